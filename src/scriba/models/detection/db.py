"""DB (Differentiable Binarization) text detection: resize, normalize, run, then
probability map -> binary map -> contours -> box score -> unclip -> quadrilaterals in page pixels."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
import pyclipper

from scriba.models.registry import DetectorSpec, resolve_file
from scriba.models.runtime import SHRINK_AFTER_RUN, RuntimeOptions, get_session, per_page_run_options

# ONNX Runtime's CPU arena keeps the largest buffers a run ever needed for the life of the process: one large
# page (a detector input up to 4000 px a side needs about 2.5 GB) would leave that much resident after it. Runs
# on inputs over this many pixels give their buffers back at the end (arena shrinkage); ordinary pages (an A4
# page at 200 dpi is 3.9 MP) keep the arena, unless the process returns large blocks (scriba.memory). Results
# are the same either way.
ARENA_KEEP_PIXELS = 6_000_000

# Contours scoring under this (or the threshold) are checked for parts of different heights (see
# boxes_from_probability): ordinary lines score 0.8 and more.
SPLIT_BELOW = 0.7


@dataclass
class DetectionResult:
    boxes: np.ndarray  # N x 4 x 2 float32, clockwise from top-left, page pixels
    scores: np.ndarray  # N float32, mean probability inside each box


def resize_for_detection(
    image: np.ndarray, limit_side_len: int, limit_type: str, max_side_limit: int = 4000
) -> tuple[np.ndarray, float, float]:
    """Resize so the limit holds and both sides are multiples of 32 (the network's stride). With "min" the
    longest side is then kept within `max_side_limit`, as PaddleX does (a long strip would grow without bound)."""
    h, w = image.shape[:2]
    if limit_type == "max":
        ratio = limit_side_len / max(h, w) if max(h, w) > limit_side_len else 1.0
    elif limit_type == "min":
        ratio = limit_side_len / min(h, w) if min(h, w) < limit_side_len else 1.0
        if max(h, w) * ratio > max_side_limit:
            ratio = max_side_limit / max(h, w)
    else:  # "resize_long": scale the long side to exactly the limit
        ratio = limit_side_len / max(h, w)
    rh = max(int(round(h * ratio / 32) * 32), 32)
    rw = max(int(round(w * ratio / 32) * 32), 32)
    if (rh, rw) != (h, w):
        image = cv2.resize(image, (rw, rh))
    return image, rh / h, rw / w


def order_clockwise(pts: np.ndarray) -> np.ndarray:
    """Order 4 points as top-left, top-right, bottom-right, bottom-left."""
    rect = np.zeros((4, 2), dtype=np.float32)
    s = pts.sum(axis=1)
    rect[0] = pts[np.argmin(s)]
    rect[2] = pts[np.argmax(s)]
    rest = np.delete(pts, (np.argmin(s), np.argmax(s)), axis=0)
    diff = np.diff(rest, axis=1).ravel()
    rect[1] = rest[np.argmin(diff)]
    rect[3] = rest[np.argmax(diff)]
    return rect


def order_clockwise_many(quads: np.ndarray) -> np.ndarray:
    """`order_clockwise` of each of N quads (N x 4 x 2) at once: the same arithmetic, so the same result, without
    numpy's per-call overhead (a page has hundreds of line and word quads)."""
    pts = np.asarray(quads)
    n = len(pts)
    out = np.zeros((n, 4, 2), dtype=np.float32)
    if n == 0:
        return out
    rows = np.arange(n)
    s = pts.sum(axis=2)
    first, last = s.argmin(axis=1), s.argmax(axis=1)
    out[:, 0] = pts[rows, first]
    out[:, 2] = pts[rows, last]
    rest = np.ones((n, 4), dtype=bool)
    rest[rows, first] = False
    rest[rows, last] = False
    two = first != last  # all four sums equal: three points are left, done one by one below
    others = pts[two][rest[two]].reshape(-1, 2, 2)
    diff = others[:, :, 1] - others[:, :, 0]
    k = np.arange(len(others))
    out[two, 1] = others[k, diff.argmin(axis=1)]
    out[two, 3] = others[k, diff.argmax(axis=1)]
    for i in np.flatnonzero(~two):
        out[i] = order_clockwise(pts[i])
    return out


def mini_box(contour: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimum-area rectangle of a contour, points ordered TL, TR, BR, BL; and its shorter side."""
    rect = cv2.minAreaRect(contour)
    pts = sorted(cv2.boxPoints(rect).tolist(), key=lambda p: p[0])
    left = sorted(pts[:2], key=lambda p: p[1])
    right = sorted(pts[2:], key=lambda p: p[1])
    box = np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)
    return box, min(rect[1])


def box_score(prob: np.ndarray, box: np.ndarray) -> float:
    """Mean probability inside the box polygon (the 'fast' score: over its bounding rectangle, masked)."""
    h, w = prob.shape
    # Plain Python on the four corners: numpy's per-call overhead was most of this function's time.
    xs, ys = box[:, 0].tolist(), box[:, 1].tolist()
    xmin = min(max(math.floor(min(xs)), 0), w - 1)
    xmax = min(max(math.ceil(max(xs)), 0), w - 1)
    ymin = min(max(math.floor(min(ys)), 0), h - 1)
    ymax = min(max(math.ceil(max(ys)), 0), h - 1)
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = (box - np.array([xmin, ymin], dtype=np.float32)).astype(np.int32)
    cv2.fillPoly(mask, shifted.reshape(1, -1, 2), 1)
    return float(cv2.mean(prob[ymin : ymax + 1, xmin : xmax + 1], mask)[0])


def unclip(box: np.ndarray, ratio: float) -> np.ndarray | None:
    """Grow the shrunk text kernel back by area * ratio / perimeter (the DB paper's offset)."""
    area = cv2.contourArea(box)
    length = cv2.arcLength(box, True)
    if length == 0:
        return None
    distance = area * ratio / length
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(
        [tuple(p) for p in box.astype(np.int64).tolist()], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON
    )
    expanded = offset.Execute(distance)
    if len(expanded) != 1:
        return None
    return np.array(expanded[0], dtype=np.float32).reshape(-1, 1, 2)


def boxes_from_probability(
    prob: np.ndarray, spec: DetectorSpec, dest_h: int, dest_w: int, min_size: int = 3
) -> DetectionResult:
    """Contours of the binarized map -> scored, unclipped quads scaled to the original page size."""
    bitmap = (prob > spec.thresh).astype(np.uint8)
    h, w = bitmap.shape
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[np.ndarray] = []
    scores: list[float] = []
    sx, sy = dest_w / w, dest_h / h
    for contour in contours[: spec.max_candidates]:
        found = _scored_box(prob, contour, spec, min_size)
        if found is None:
            continue
        kept = [(found[0], found[1], -math.inf, math.inf)]
        if found[1] < max(spec.box_thresh, SPLIT_BELOW):
            # A line that starts with a large initial letter has a bounding rectangle as tall as the letter, mostly
            # empty: its mean is low (under the threshold, often) though the line itself is certain, and the
            # recognizer squeezes the line to the letter's height. Such a contour is read as its parts of
            # different heights, each scored on its own; one that passed as a whole is cut only if every part
            # passes.
            parts = [
                (_scored_box(prob, part, spec, min_size), lo, hi)
                for part, lo, hi in split_by_height(contour, prob)
            ]
            sure = [(*p, lo, hi) for p, lo, hi in parts if p is not None and p[1] >= spec.box_thresh]
            if found[1] < spec.box_thresh or (sure and len(sure) == len(parts)):
                kept = sure
        for box, score, lo, hi in kept:
            grown = unclip(box, spec.unclip_ratio)
            if grown is None:
                continue
            box, sside = mini_box(grown)
            if sside < min_size + 2:
                continue
            # A part grows back only outwards, not across the cut into its neighbour.
            box[:, 0] = np.clip(box[:, 0], lo, hi)
            boxes.append(box)
            scores.append(score)
    scaled = np.stack(boxes) if boxes else np.zeros((0, 4, 2), np.float32)  # to page pixels, all at once
    scaled[:, :, 0] = np.clip(np.round(scaled[:, :, 0] * sx), 0, dest_w)
    scaled[:, :, 1] = np.clip(np.round(scaled[:, :, 1] * sy), 0, dest_h)
    return _filter_small(scaled, scores, dest_h, dest_w)


def _scored_box(
    prob: np.ndarray, contour: np.ndarray, spec: DetectorSpec, min_size: int
) -> tuple[np.ndarray, float] | None:
    """A contour's minimum-area box and its score, or None when the box is too thin to be text."""
    box, sside = mini_box(contour)
    if sside < min_size:
        return None
    return box, box_score(prob, box)


def split_by_height(
    contour: np.ndarray, prob: np.ndarray, ratio: float = 2.0, core: float = 0.5
) -> list[tuple[np.ndarray, float, float]]:
    """A long horizontal contour that begins or ends with a part over `ratio` times as tall as the rest (a large
    initial letter), cut into that part and the rest. Heights are those of the confident core (probability over
    `core`): the map's low fringe fades slowly from a large letter into the line beside it, so each part also
    keeps only the rows its core mostly spans. Each part comes with the x range it may grow into (to the cut,
    unbounded at the contour's ends). Empty for any other contour: upright, short, of even height, with a tall
    part wider than a letter or in its middle."""
    x, y, w, h = cv2.boundingRect(contour)
    if w < 4 * h:
        return []
    mask = np.zeros((h, w), np.uint8)
    cv2.drawContours(mask, [contour - np.array([x, y], np.int32)], -1, 1, -1)
    sure = (prob[y : y + h, x : x + w] > core) & (mask > 0)
    heights = sure.sum(axis=0).astype(np.float32)
    if not heights.any():
        return []
    typical, highest = float(np.median(heights[heights > 0])), float(heights.max())
    if highest <= ratio * typical:
        return []
    # Cut half-way between the line's height and the tallest part's: the fringe's slope lies below that.
    tall = _without_short_runs(heights > (typical + highest) / 2, max(2, int(typical / 2)))
    cuts = [0, *(np.flatnonzero(np.diff(tall.astype(np.int8))) + 1).tolist(), w]
    if len(cuts) != 3 or (cuts[1] if tall[0] else w - cuts[1]) > 2 * highest:
        return []
    parts: list[tuple[np.ndarray, float, float]] = []
    for a, b in itertools.pairwise(cuts):
        if not sure[:, a:b].any():
            continue
        cols = [np.flatnonzero(c) for c in sure[:, a:b].T if c.any()]
        top = float(np.median([c[0] for c in cols]))
        bottom = float(np.median([c[-1] for c in cols]))
        pad = max(1, round(0.15 * (bottom - top + 1)))
        piece = np.zeros((h, b - a), np.uint8)
        r0, r1 = max(0, int(top) - pad), min(h, int(bottom) + pad + 1)
        piece[r0:r1] = mask[r0:r1, a:b]
        found, _ = cv2.findContours(piece, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if found:
            lo = x + a if a > 0 else -math.inf
            hi = x + b if b < w else math.inf
            parts.append((max(found, key=cv2.contourArea) + np.array([x + a, y], np.int32), lo, hi))
    return parts


def _without_short_runs(flags: np.ndarray, shortest: int) -> np.ndarray:
    """Runs of equal flags shorter than `shortest` take their left neighbour's value (the first run its right
    neighbour's): the fringe at a contour's ends and around the cut flickers."""
    out = flags.copy()
    cuts = [0, *(np.flatnonzero(np.diff(out.astype(np.int8))) + 1).tolist(), len(out)]
    if len(cuts) > 2 and cuts[1] < shortest:
        out[: cuts[1]] = out[cuts[1]]
    for a, b in itertools.pairwise(cuts[1:]):
        if b - a < shortest:
            out[a:b] = out[a - 1]
    return out


def _filter_small(boxes: np.ndarray, scores: list[float], h: int, w: int) -> DetectionResult:
    """Boxes (N x 4 x 2) ordered clockwise, then clipped to the page, as PaddleOCR does (the pipeline crops them
    as they leave here); those with a side of 3 pixels or less are dropped."""
    if not len(boxes):
        return DetectionResult(np.zeros((0, 4, 2), np.float32), np.zeros((0,), np.float32))
    box = order_clockwise_many(boxes)
    box[:, :, 0] = np.clip(box[:, :, 0], 0, w - 1)
    box[:, :, 1] = np.clip(box[:, :, 1], 0, h - 1)
    top = np.linalg.norm(box[:, 0] - box[:, 1], axis=1)
    left = np.linalg.norm(box[:, 0] - box[:, 3], axis=1)
    keep = (top > 3) & (left > 3)
    return DetectionResult(box[keep], np.array(scores, np.float32)[keep])


class TextDetector:
    """Finds text lines on a page image; usable on its own: `TextDetector(spec)(rgb_array)`."""

    def __init__(
        self, spec: DetectorSpec, runtime: RuntimeOptions | None = None, **overrides: object
    ) -> None:
        self.spec = replace(spec, **overrides) if overrides else spec
        self.session = get_session(resolve_file(spec.file), runtime)
        self.input_name = self.session.get_inputs()[0].name
        self._mean = np.array(self.spec.mean, np.float32) * 255.0
        self._inv_std = 1.0 / (np.array(self.spec.std, np.float32) * 255.0)

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        resized, _, _ = resize_for_detection(
            image, self.spec.limit_side_len, self.spec.limit_type, self.spec.max_side_limit
        )
        # PaddleOCR's detectors were trained on BGR input, normalized with these per-channel values in BGR order.
        # Written plane by plane into the 1 x 3 x H x W input: ~10x faster than one broadcast expression and a
        # transposed copy, with the same float32 arithmetic.
        h, w = resized.shape[:2]
        x = np.empty((1, 3, h, w), dtype=np.float32)
        planes = cv2.split(resized)
        for c in range(3):
            np.subtract(planes[2 - c], self._mean[c], out=x[0, c])
            x[0, c] *= self._inv_std[c]
        return x

    def probability_map(self, image: np.ndarray) -> np.ndarray:
        x = self.preprocess(image)
        shrink = SHRINK_AFTER_RUN if x.shape[2] * x.shape[3] > ARENA_KEEP_PIXELS else per_page_run_options()
        out = self.session.run(None, {self.input_name: x}, shrink)[0]
        return out[0, 0]

    def __call__(self, image: np.ndarray) -> DetectionResult:
        h, w = image.shape[:2]
        prob = self.probability_map(image)
        return boxes_from_probability(prob, self.spec, h, w)
