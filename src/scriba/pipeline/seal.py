"""Seal (stamp) text: find coloured seals on a page, detect their curved text lines, straighten each line into
a strip, and read the strips with the page's own recognizer.

A seal's text runs along arcs, which the line detector and a quad crop cannot read. The PP-OCRv4 mobile seal
detector (a DB model trained on seals) gives each curved line as a polygon. The polygon is split into its two
long sides (the split whose sides, resampled to matching points, lie closest together all along), each quad
between two neighbouring point pairs is warped straight by its own perspective transform, and the quads are
stitched side by side. The side farther from the arc's centre becomes the strip's top and the strip runs
clockwise (how seal text along the top of a seal reads); text written the other way round (along the bottom,
letters upright) then reads upside down, and the 0/180 classifier turns it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from scriba.document import Block, Line, Page
from scriba.models.detection.db import TextDetector, box_score, mini_box, unclip
from scriba.models.registry import AUXILIARY, DetectorSpec, ModelFile
from scriba.models.runtime import RuntimeOptions

# PaddleX's seal_recognition pipeline settings for the seal detector (limit 736 "min", thresh 0.2,
# box_thresh 0.6, unclip_ratio 0.5: the polygons hug the letters; the strips get a margin below).
SEAL_DETECTOR = DetectorSpec(
    AUXILIARY["seal-det"], limit_side_len=736, limit_type="min", thresh=0.2, box_thresh=0.6, unclip_ratio=0.5
)


@dataclass
class SealLine:
    polygon: np.ndarray  # N x 2, page pixels
    strip: np.ndarray  # the straightened line, RGB


# -- finding seals ------------------------------------------------------------------------------------------
def ink_mask(image: np.ndarray) -> np.ndarray:
    """Saturated red or blue pixels (seal inks), as a 0/255 mask."""
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    h, s, v = cv2.split(hsv)
    coloured = (s > 70) & (v > 60)
    red = (h <= 12) | (h >= 165)
    blue = (h >= 95) & (h <= 135)
    return ((coloured & (red | blue)) * 255).astype(np.uint8)


def find_seals(image: np.ndarray, min_side: int = 48) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of seal-like blobs of coloured ink: about as wide as tall (circles, ovals,
    squares), at least `min_side` pixels, with some ink but not solid."""
    mask = ink_mask(image)
    if not mask.any():
        return []
    h, w = mask.shape
    k = max(3, round(min(h, w) * 0.01) | 1)
    joined = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    joined = cv2.dilate(joined, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined)
    boxes = []
    for x, y, bw, bh, _area in stats[1:n].tolist():
        if min(bw, bh) < min_side or not 0.4 <= bw / bh <= 2.5:
            continue
        ink = float(mask[y : y + bh, x : x + bw].mean()) / 255.0
        if not 0.01 <= ink <= 0.6:
            continue
        pad = int(0.04 * max(bw, bh))
        boxes.append((max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)))
    # Letters inside a seal's ring can make blobs of their own: keep only the outermost boxes.
    return [b for b in boxes if not any(o != b and _contains(o, b) for o in boxes)]


def _contains(outer: tuple[int, int, int, int], inner: tuple[int, int, int, int]) -> bool:
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    larger = (outer[2] - outer[0]) * (outer[3] - outer[1]) > (inner[2] - inner[0]) * (inner[3] - inner[1])
    return larger and outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


# -- curved line polygons ---------------------------------------------------------------------------------
def polygons_from_probability(prob: np.ndarray, spec: DetectorSpec, dest_h: int, dest_w: int) -> list[np.ndarray]:
    """DB's polygon mode: each contour of the binarized map, simplified, scored, grown by the unclip offset,
    scaled to dest_h x dest_w (N x 2 float32 each)."""
    bitmap = (prob > spec.thresh).astype(np.uint8)
    h, w = bitmap.shape
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for contour in contours[: spec.max_candidates]:
        approx = cv2.approxPolyDP(contour, 0.002 * cv2.arcLength(contour, True), True).reshape(-1, 2)
        if len(approx) < 4 or box_score(prob, approx.astype(np.float32)) < spec.box_thresh:
            continue
        grown = unclip(approx.astype(np.float32), spec.unclip_ratio)
        if grown is None or mini_box(grown)[1] < 5:
            continue
        poly = grown.reshape(-1, 2)
        poly[:, 0] = np.clip(poly[:, 0] * dest_w / w, 0, dest_w - 1)
        poly[:, 1] = np.clip(poly[:, 1] * dest_h / h, 0, dest_h - 1)
        out.append(poly)
    return out


# -- straightening ----------------------------------------------------------------------------------------
def resample(points: np.ndarray, n: int, closed: bool = False) -> np.ndarray:
    """n points evenly spaced by arc length along a polyline (closed: around the polygon)."""
    pts = np.asarray(points, np.float64)
    if closed:
        pts = np.vstack([pts, pts[:1]])
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    dist = np.concatenate([[0.0], np.cumsum(seg)])
    if dist[-1] == 0:
        return np.repeat(pts[:1], n, axis=0)
    at = np.linspace(0.0, dist[-1], n, endpoint=not closed)
    return np.stack([np.interp(at, dist, pts[:, 0]), np.interp(at, dist, pts[:, 1])], axis=1)


def split_sides(polygon: np.ndarray, n: int = 48, m: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """The two long sides of a text band's outline, both running from the same end (m points each): of all
    the ways to cut the outline at two points, the one whose halves lie closest together point by point."""
    ring = resample(polygon, n, closed=True)
    best, best_cost = (0, n // 2), math.inf
    for i in range(n):
        for j in range(i + 2, i + n - 1):
            if j - i < 3 or n - (j - i) < 3:
                continue
            a = ring[np.arange(i, j + 1) % n]
            b = ring[np.arange(j, i + n + 1) % n][::-1]
            cost = float(np.linalg.norm(resample(a, m) - resample(b, m), axis=1).mean())
            if cost < best_cost:
                best, best_cost = (i, j), cost
    i, j = best
    side_a = resample(ring[np.arange(i, j + 1) % n], m)
    side_b = resample(ring[np.arange(j, i + n + 1) % n][::-1], m)
    return side_a, side_b


def _circle_centre(points: np.ndarray) -> np.ndarray | None:
    """Least-squares circle through the points (algebraic fit); None when they are nearly collinear."""
    x, y = points[:, 0], points[:, 1]
    a = np.stack([x, y, np.ones_like(x)], axis=1)
    try:
        sol, *_ = np.linalg.lstsq(a, x * x + y * y, rcond=None)
    except np.linalg.LinAlgError:
        return None
    centre = np.array([sol[0] / 2, sol[1] / 2])
    return centre if np.all(np.isfinite(centre)) else None


def orient_sides(side_a: np.ndarray, side_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(top, bottom) of the strip, both in reading direction: on a curved band the side away from the arc's
    centre is the top and the strip runs clockwise; on a straight one the upper side is the top, left to right."""
    mid = (side_a + side_b) / 2
    height = float(np.linalg.norm(side_a - side_b, axis=1).mean())
    chord = mid[-1] - mid[0]
    length = float(np.linalg.norm(chord)) or 1.0
    normal = np.array([chord[1], -chord[0]]) / length  # "up" when the chord runs left to right
    bow = float(np.abs((mid - mid[0]) @ normal).max())
    centre = _circle_centre(mid) if bow > 0.3 * height else None
    if centre is not None:
        top, bottom = (side_a, side_b) if (
            np.linalg.norm(side_a - centre, axis=1).mean() >= np.linalg.norm(side_b - centre, axis=1).mean()
        ) else (side_b, side_a)
        angles = np.unwrap(np.arctan2(top[:, 1] - centre[1], top[:, 0] - centre[0]))
        if angles[-1] < angles[0]:  # image y points down: growing angles run clockwise on the page
            top, bottom = top[::-1], bottom[::-1]
        return top, bottom
    if chord[0] < 0 or (chord[0] == 0 and chord[1] > 0):
        side_a, side_b, normal = side_a[::-1], side_b[::-1], -normal
    up_a = float(((side_a - mid) @ normal).mean())
    return (side_a, side_b) if up_a >= 0 else (side_b, side_a)


def square_ends(top: np.ndarray, bottom: np.ndarray, margin: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """The sides as `split_sides` cuts them meet at the middle of each rounded end, which would pinch the
    strip's first and last letters. Cut the narrow ends off and grow the band back straight along its
    direction there, by what was cut plus `margin` of its height."""
    gap = np.linalg.norm(top - bottom, axis=1)
    height = float(np.median(gap))
    wide = np.flatnonzero(gap >= 0.75 * height)
    if len(wide) < 2:
        return top, bottom
    s, e = int(wide[0]), int(wide[-1])
    mid = (top + bottom) / 2
    steps = np.linalg.norm(np.diff(mid, axis=0), axis=1)
    lead, tail = float(steps[:s].sum()), float(steps[e:].sum())
    top, bottom, mid = top[s : e + 1], bottom[s : e + 1], mid[s : e + 1]

    def away(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        v = a - b
        return v / (float(np.linalg.norm(v)) or 1.0)

    def length(p: np.ndarray) -> float:
        return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) or 1.0

    first, last = away(mid[0], mid[1]), away(mid[-1], mid[-2])
    grow0, grow1 = lead + margin * height, tail + margin * height
    # Each side grows in proportion to its own length (the outer arc is longer than the inner one), so that
    # resampling both sides evenly still pairs the points across the band.
    sides = []
    for side in (top, bottom):
        r = length(side) / length(mid)
        sides.append(np.vstack([side[0] + first * grow0 * r, side, side[-1] + last * grow1 * r]))
    return sides[0], sides[1]


def straighten(image: np.ndarray, top: np.ndarray, bottom: np.ndarray, margin: float = 0.15) -> np.ndarray:
    """The band between two matching sidelines as a straight strip: every quad between neighbouring point
    pairs warped to a rectangle by its own perspective transform, the rectangles side by side. The sides are
    first pushed apart by `margin` of the band's height (the seal detector's polygons hug the letters)."""
    offset = (top - bottom) * margin
    top, bottom = top + offset, bottom - offset
    height = max(8, round(float(np.median(np.linalg.norm(top - bottom, axis=1)))))
    h_img, w_img = image.shape[:2]
    tiles = []
    for k in range(len(top) - 1):
        src = np.array([top[k], top[k + 1], bottom[k + 1], bottom[k]], np.float32)
        width = round(float(np.linalg.norm(top[k + 1] - top[k]) + np.linalg.norm(bottom[k + 1] - bottom[k])) / 2)
        if width < 1:
            continue
        # Warp from the quad's own neighbourhood, not the whole page.
        x0, y0 = np.floor(src.min(axis=0)).astype(int) - 2
        x1, y1 = np.ceil(src.max(axis=0)).astype(int) + 3
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w_img), min(y1, h_img)
        if x1 <= x0 or y1 <= y0:
            continue
        dst = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
        m = cv2.getPerspectiveTransform(src - np.array([x0, y0], np.float32), dst)
        tiles.append(
            cv2.warpPerspective(
                image[y0:y1, x0:x1], m, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
        )
    if not tiles:
        return np.full((height, 1, 3), 255, np.uint8)
    return np.ascontiguousarray(np.hstack(tiles))


def rectify(image: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """One curved (or straight) text line's polygon -> the straightened strip, in reading direction."""
    side_a, side_b = split_sides(polygon)
    top, bottom = square_ends(*orient_sides(side_a, side_b))
    height = float(np.linalg.norm(top - bottom, axis=1).mean())
    length = float(np.linalg.norm(np.diff((top + bottom) / 2, axis=0), axis=1).sum())
    # About one quad per half line-height: fine enough to follow the arc, few enough to stay fast.
    n = int(min(200, max(2, round(2 * length / max(height, 1.0))))) + 1
    return straighten(image, resample(top, n), resample(bottom, n))


# -- reading ----------------------------------------------------------------------------------------------
class SealReader:
    """Reads the seals on a page with an OCR engine's classifier and recognizer: `SealReader(ocr)(image)`
    gives one Block of kind "seal" per seal, its lines top to bottom (the arc over the top first, then the
    straight lines inside, then the arc along the bottom), each line's text in reading order along its arc."""

    def __init__(self, ocr: object, runtime: RuntimeOptions | None = None, file: ModelFile | None = None) -> None:
        from dataclasses import replace

        self.ocr = ocr
        spec = replace(SEAL_DETECTOR, file=file) if file else SEAL_DETECTOR
        self.detector = TextDetector(spec, runtime)

    def lines(self, image: np.ndarray) -> list[SealLine]:
        """The seal's text lines (polygon and strip) in an image that holds one seal."""
        h, w = image.shape[:2]
        prob = self.detector.probability_map(image)
        polys = polygons_from_probability(prob, self.detector.spec, h, w)
        return [SealLine(p, rectify(image, p)) for p in polys]

    def read_seal(self, image: np.ndarray, origin: tuple[int, int] = (0, 0)) -> Block:
        """One seal's block; `origin`: where the image's top-left lies on the page."""
        found = self.lines(image)
        recs = self.ocr.recognize_lines([ln.strip for ln in found]) if found else []  # type: ignore[attr-defined]
        drop = getattr(getattr(self.ocr, "options", None), "drop_score", 0.5)
        out = []
        for ln, rec in zip(found, recs):
            if rec.confidence < drop or not rec.text.strip():
                continue
            poly = (ln.polygon + np.array(origin, np.float32)).round(1)
            out.append(Line(text=rec.text.strip(), confidence=rec.confidence, polygon=poly.tolist()))
        out.sort(key=lambda ln: float(np.mean([p[1] for p in ln.polygon])))
        h, w = image.shape[:2]
        x0, y0 = origin
        box = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]]
        return Block(lines=out, polygon=box, kind="seal")

    def __call__(self, image: np.ndarray) -> list[Block]:
        blocks = []
        for x0, y0, x1, y1 in find_seals(image):
            block = self.read_seal(np.ascontiguousarray(image[y0:y1, x0:x1]), (x0, y0))
            if block.lines:
                blocks.append(block)
        return blocks

    def add_to_page(self, image: np.ndarray, page: Page) -> Page:
        """Add the seals' blocks to a page read from `image`. The page's own lines that lie mostly on a seal's
        lines (the line detector's misreadings of its arcs, its straight lines read twice) are dropped; other
        lines inside a seal's box stay (coloured ink is not always a seal)."""
        seals = self(image)
        if not seals:
            return page
        h, w = image.shape[:2]
        covered = np.zeros((h, w), np.uint8)
        for block in seals:
            for ln in block.lines:
                cv2.fillPoly(covered, [np.round(np.asarray(ln.polygon)).astype(np.int32)], 1)
        covered = cv2.dilate(covered, np.ones((5, 5), np.uint8))
        seal_texts = [ln.text for block in seals for ln in block.lines]

        def on_seal(line: Line) -> bool:
            pts = np.round(np.asarray(line.polygon)).astype(np.int32)
            x0, y0 = np.clip(pts.min(axis=0), 0, [w - 1, h - 1])
            x1, y1 = np.clip(pts.max(axis=0) + 1, 1, [w, h])
            mask = np.zeros((y1 - y0, x1 - x0), np.uint8)  # the line's own box only: pages have many lines
            cv2.fillPoly(mask, [pts - np.array([x0, y0])], 1)
            area = int(mask.sum())
            share = int((mask & covered[y0:y1, x0:x1]).sum()) / max(area, 1)
            # A straight quad over curved text covers the seal's line only in part: then the text decides.
            return share > 0.5 or (share > 0.15 and any(_alike(line.text, t) for t in seal_texts))

        kept = []
        for block in page.blocks:
            lines = [ln for ln in block.lines if not on_seal(ln)]
            if lines or not block.lines:
                block.lines = lines
                kept.append(block)
        page.blocks = kept + seals
        return page


def _alike(a: str, b: str) -> bool:
    """The same text, give or take a misread letter or two (spaces ignored)."""
    from difflib import SequenceMatcher

    a, b = a.replace(" ", ""), b.replace(" ", "")
    return bool(a and b) and SequenceMatcher(None, a, b).ratio() >= 0.6
