"""CTC text recognition: width-batched inference, greedy decoding with per-character confidence and the
time steps of every character (from which word boxes are derived)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from scriba.errors import ModelError
from scriba.models.registry import RecognizerSpec, resolve_file
from scriba.models.runtime import RuntimeOptions, get_session, model_metadata


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


def ctc_greedy_decode(probs: np.ndarray, characters: list[str], content_frac: float) -> Recognition:
    """probs: T x C softmax output of one line. content_frac: fraction of the T steps covering real pixels
    (the rest is right padding), used to express character positions as fractions of the crop."""
    idx = probs.argmax(axis=1)
    return ctc_decode_best(idx, probs[np.arange(probs.shape[0]), idx], characters, content_frac)


def ctc_decode_best(idx: np.ndarray, conf: np.ndarray, characters: list[str], content_frac: float) -> Recognition:
    """Greedy CTC decoding from the best class per time step (`idx`, T) and its probability (`conf`, T)."""
    t_steps = idx.shape[0]
    keep = idx != 0
    keep[1:] &= idx[1:] != idx[:-1]
    positions = np.flatnonzero(keep)
    if positions.size == 0:
        return Recognition("", 0.0)
    # A character's run ends where the argmax changes.
    change = np.flatnonzero(np.diff(idx) != 0) + 1
    scale = 1.0 / (t_steps * max(content_frac, 1e-6))
    text_chars, confs, spans = [], [], []
    for p in positions:
        c = int(idx[p])
        if c >= len(characters):
            continue
        run_end = change[np.searchsorted(change, p, side="right")] if change.size and change[-1] > p else t_steps
        text_chars.append(characters[c])
        confs.append(float(conf[p]))
        spans.append((min(p * scale, 1.0), min(run_end * scale, 1.0)))
    if not confs:
        return Recognition("", 0.0)
    return Recognition("".join(text_chars), float(np.mean(confs)), confs, spans)


class TextRecognizer:
    """Reads text lines from crops; usable on its own: `TextRecognizer(spec)([rgb_crop, ...])`.

    batching="bucketed" (default): each crop is resized to height 48 at its own aspect ratio (no minimum width),
    crops are sorted by that width and grouped so that a batch pads at most ~`pad_slack` of its pixels; the
    recognizer's cost grows with the padded width, so this does the least work. batching="paddle" reproduces
    PaddleOCR's inference (batches of `batch_size` in aspect order, padded to the widest and to at least
    `spec.min_width`). A bucketed batch also holds at most `max_batch_width` pixel columns: the output is
    (width / 8) x 18,385 probabilities per line for PP-OCRv5, so wide batches cost memory, not speed (the time
    per line does not fall with the batch size on a CPU). `workers` > 1 runs that many batches at once (ONNX Runtime releases the GIL; give the
    session one intra-op thread then, which uses a CPU better than one run spread over several threads).
    """

    def __init__(
        self,
        spec: RecognizerSpec,
        runtime: RuntimeOptions | None = None,
        batch_size: int = 6,
        batching: str = "bucketed",
        workers: int = 1,
        pad_slack: float = 0.1,
        max_batch_width: int = 1600,
        **overrides: object,
    ) -> None:
        if batching not in ("bucketed", "paddle"):
            raise ValueError(f"batching must be 'bucketed' or 'paddle', not {batching!r}")
        self.spec = replace(spec, **overrides) if overrides else spec
        # The session outputs only the best class and its probability per step (see add_ctc_argmax).
        self.session = get_session(resolve_file(spec.file), replace(runtime or RuntimeOptions(), ctc_argmax=True))
        self.input_name = self.session.get_inputs()[0].name
        self.characters = load_characters(self.spec)
        classes = self.session.get_modelmeta().custom_metadata_map.get("classes", "")
        n_out = int(classes) if classes.isdigit() else None
        if n_out is not None and n_out != len(self.characters):
            raise ModelError(
                f"{spec.file.path}: model predicts {n_out} classes but the key list gives {len(self.characters)}"
            )
        self.batch_size = batch_size
        self.batching = batching
        self.workers = max(1, workers)
        self.pad_slack = pad_slack
        self.max_batch_width = max_batch_width
        self._pool: ThreadPoolExecutor | None = None
        self._scale = np.float32(1.0 / (255.0 * self.spec.std))
        self._shift = np.float32(self.spec.mean / self.spec.std)

    def content_width(self, crop: np.ndarray) -> int:
        """Width of the crop resized to the model's height at its own aspect ratio (capped at max_width)."""
        ch, cw = crop.shape[:2]
        return max(1, min(self.spec.max_width, math.ceil(self.spec.height * cw / max(ch, 1))))

    def _batch_tensor(self, crops: list[np.ndarray], width: int) -> tuple[np.ndarray, list[int]]:
        """N x 3 x H x width float32: each crop resized to height H (BGR, as PaddleOCR trained), normalized,
        right-padded with zeros. Returns the tensor and each crop's content width."""
        h = self.spec.height
        x = np.zeros((len(crops), 3, h, width), dtype=np.float32)
        widths = []
        for k, crop in enumerate(crops):
            w = min(width, self.content_width(crop))
            resized = cv2.resize(crop, (w, h))
            # (pixel / 255 - mean) / std, written channel-first straight into the batch, channels reversed.
            chw = resized.transpose(2, 0, 1)[::-1]
            np.multiply(chw, self._scale, out=x[k, :, :, :w], casting="unsafe")
            x[k, :, :, :w] -= self._shift
            widths.append(w)
        return x, widths

    def batch_width(self, crops: list[np.ndarray]) -> int:
        """PaddleOCR's batch width: the widest aspect ratio in the batch, at least spec.min_width."""
        h = self.spec.height
        max_ratio = max(c.shape[1] / max(c.shape[0], 1) for c in crops)
        width = max(self.spec.min_width, int(h * max_ratio))
        return min(width, self.spec.max_width)

    def plan_batches(self, crops: list[np.ndarray]) -> list[tuple[list[int], int]]:
        """(crop indices, padded width) for each batch, in the order they run."""
        if self.batching == "paddle":
            order = np.argsort([c.shape[1] / max(c.shape[0], 1) for c in crops], kind="stable")
            batches = []
            for start in range(0, len(order), self.batch_size):
                ids = [int(i) for i in order[start : start + self.batch_size]]
                width = self.batch_width([crops[i] for i in ids])
                # Same padded width, fewer lines per run: each line reads exactly as in PaddleOCR's batch, but
                # wide batches no longer grow ONNX Runtime's arena (peak memory) for no gain in speed.
                per_run = max(1, self.max_batch_width // width)
                batches.extend((ids[k : k + per_run], width) for k in range(0, len(ids), per_run))
            return batches
        widths = [self.content_width(c) for c in crops]
        # Never narrower than spec.min_width (zero padding): on shorter inputs the recognizer's case and
        # punctuation go wrong ("Invoice" -> "InVOiCE" on a 48 x 200 word crop), as PaddleOCR always pads to 320.
        floor = min(self.spec.min_width, self.spec.max_width)
        order = [int(i) for i in np.argsort(widths, kind="stable")]
        batches = []
        ids: list[int] = []
        content = 0
        for i in order:
            w = widths[i]  # the widest so far: the order is ascending
            grown = w * (len(ids) + 1)
            full = len(ids) >= self.batch_size or grown > self.max_batch_width
            if ids and (full or grown - content - w > self.pad_slack * grown):
                batches.append((ids, max(widths[ids[-1]], floor)))
                ids, content = [], 0
            ids.append(i)
            content += w
        if ids:
            batches.append((ids, max(widths[ids[-1]], floor)))
        return batches

    def _run_batch(self, crops: list[np.ndarray], width: int) -> list[Recognition]:
        x, widths = self._batch_tensor(crops, width)
        idx, conf = self.session.run(None, {self.input_name: x})
        return [ctc_decode_best(idx[k], conf[k], self.characters, widths[k] / width) for k in range(len(crops))]

    def __call__(self, crops: list[np.ndarray]) -> list[Recognition]:
        if not crops:
            return []
        batches = self.plan_batches(crops)
        jobs = [([crops[i] for i in ids], width) for ids, width in batches]
        if self.workers > 1 and len(jobs) > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="scriba-rec")
            # Widest batches first, so the last ones to finish are short.
            outputs = list(self._pool.map(lambda job: self._run_batch(*job), jobs[::-1]))[::-1]
        else:
            outputs = [self._run_batch(*job) for job in jobs]
        results: list[Recognition] = [Recognition("", 0.0)] * len(crops)
        for (ids, _), recs in zip(batches, outputs):
            for i, rec in zip(ids, recs):
                results[i] = rec
        return results
