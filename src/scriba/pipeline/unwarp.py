"""Curled and bent pages, without a dewarping network: the page surface is estimated from its own text lines.

The detector's probability map already holds every text line as a band; the centre curve of each long band
(its mean row, column by column) says how the page bends there. A smooth vertical displacement
y = v + g(x, v) is fitted to all centre curves at once (g a low-degree polynomial, zero at the page's middle
column, so each line keeps its height there), and the page is remapped so that every line runs straight:
the pixel at (x, v) of the flattened page comes from (x, v + g(x, v)) of the page as given. Results read on
the flattened page are mapped back through the same function, so polygons refer to the page as given.

Only pages on which several long lines are measurably bent are flattened (a share of them, not most: a book
page curls near its spine only); straight lines, skewed or converging, leave a page as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Polynomial terms x^i v^j of the displacement: i >= 1 (a term in v alone would only move whole lines, which
# the unknown line heights absorb), bows up to cubic along the line, varying quadratically down the page.
TERMS = tuple((i, j) for i in range(1, 4) for j in range(3))
# A band is a line when it is this many times longer than thick; a page needs this many such lines.
MIN_ELONGATION = 6.0
MIN_LINES = 4
# A page is curled when enough of its long lines bow. Pages curl near the spine, so only part of their lines
# bow: the median line of a phone photo of a book page bows by 0.27 thickness while a third of its long lines
# bow by 0.7-1.3. Lines of flat pages (rendered, born-digital PDFs, forms, receipts, skewed or photographed at
# an angle) bow by 0.05-0.5 (ascenders, descenders, the band's own ends): over about 400 of them no page had
# more than one long line at 0.7 or more (benchmarks/unwarp_trigger.py measures both).
LONG_LINE = 20.0  # a long line: this many times longer than thick (short bands bow little even when curled)
BOWED = 0.7  # a bowed line: peak to peak off its own straight fit, in band thicknesses
MIN_BOWED = 3  # a curled page has at least this many bowed long lines
BOWED_SHARE = 0.15  # ... and they are at least this share of its long lines


@dataclass
class Curve:
    points: np.ndarray  # K x 2 (x, y) along the band's centre, page pixels
    thickness: float  # the band's mean thickness, page pixels


def centre_curves(prob: np.ndarray, page_w: int, page_h: int, thresh: float = 0.3) -> list[Curve]:
    """The centre curve of every long text band of a probability map (map pixels scaled to the page's)."""
    mh, mw = prob.shape
    sx, sy = page_w / mw, page_h / mh
    bitmap = (prob > thresh).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bitmap, connectivity=8)
    curves = []
    for k in range(1, n):
        x, y, w, h, area = stats[k]
        thickness = area / max(w, 1)
        if w < MIN_ELONGATION * thickness or w < 20:
            continue
        mask = labels[y : y + h, x : x + w] == k
        count = mask.sum(axis=0)
        rows = np.arange(h, dtype=np.float64)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = (mask * rows).sum(axis=0) / count
        cols = np.flatnonzero(count > 0)
        # Columns near the band's ends are rounded off by the shrunk kernel: keep the inner 90%.
        inner = cols[(cols >= 0.05 * w) & (cols <= 0.95 * w)]
        if len(inner) < 8:
            continue
        pts = np.stack([(x + inner + 0.5) * sx, (y + centre[inner] + 0.5) * sy], axis=1)
        curves.append(Curve(pts, float(thickness * sy)))
    return curves


def bow(curve: Curve) -> float:
    """Peak-to-peak distance of a centre curve from its straight-line fit, in band thicknesses."""
    x, y = curve.points[:, 0], curve.points[:, 1]
    resid = y - np.polyval(np.polyfit(x, y, 1), x)
    return float((resid.max() - resid.min()) / max(curve.thickness, 1.0))


def length(curve: Curve) -> float:
    """The centre curve's horizontal extent, page pixels."""
    return float(curve.points[-1, 0] - curve.points[0, 0])


def bowed_long_lines(bows: np.ndarray, lengths: np.ndarray, thicknesses: np.ndarray) -> tuple[int, int]:
    """(long lines, long lines that bow by BOWED or more) among lines given by their bow, length, thickness."""
    bows = np.asarray(bows, np.float64)
    long = np.asarray(lengths, np.float64) >= LONG_LINE * np.maximum(np.asarray(thicknesses, np.float64), 1.0)
    return int(long.sum()), int((bows[long] >= BOWED).sum())


def curled(long: int, bowed: int) -> bool:
    return bowed >= MIN_BOWED and bowed >= BOWED_SHARE * long


def is_curved(curves: list[Curve]) -> bool:
    if len(curves) < MIN_LINES:
        return False
    return curled(
        *bowed_long_lines(
            np.array([bow(c) for c in curves]),
            np.array([length(c) for c in curves]),
            np.array([c.thickness for c in curves]),
        )
    )


@dataclass
class Warp:
    """y_given = v + g(x, v) over the page; x is unchanged."""

    coef: np.ndarray
    width: int
    height: int
    v_range: tuple[float, float]  # the fitted lines' span: g is not extrapolated beyond it
    x_range: tuple[float, float]

    def _basis(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        xn = (np.clip(x, *self.x_range) - self.width / 2) / (self.width / 2)
        vn = (np.clip(v, *self.v_range) - self.height / 2) / (self.height / 2)
        return np.stack([xn**i * vn**j for i, j in TERMS], axis=-1)

    def shift(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        return self._basis(np.asarray(x, np.float64), np.asarray(v, np.float64)) @ self.coef

    def flatten(self, image: np.ndarray) -> np.ndarray:
        """The page remapped so that its lines run straight (same size)."""
        h, w = image.shape[:2]
        # g is smooth: evaluated on a coarse grid and interpolated, which is exact enough and ~50x cheaper.
        step = 8
        gx = np.arange(0, w + step, step, dtype=np.float64)
        gv = np.arange(0, h + step, step, dtype=np.float64)
        xx, vv = np.meshgrid(gx, gv)
        coarse = (vv + self.shift(xx, vv)).astype(np.float32)
        map_y = cv2.resize(coarse, (len(gx) * step, len(gv) * step), interpolation=cv2.INTER_LINEAR)[:h, :w]
        map_x = np.broadcast_to(np.arange(w, dtype=np.float32), (h, w))
        return cv2.remap(
            image,
            np.ascontiguousarray(map_x),
            np.ascontiguousarray(map_y),
            cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REPLICATE,
        )

    def to_given(self, polygon: list[list[float]]) -> list[list[float]]:
        """A polygon on the flattened page, on the page as given."""
        p = np.asarray(polygon, np.float64).reshape(-1, 2)
        y = p[:, 1] + self.shift(p[:, 0], p[:, 1])
        return np.stack([p[:, 0], np.clip(y, 0, self.height - 1)], axis=1).tolist()


def fit_warp(curves: list[Curve], width: int, height: int, rounds: int = 4) -> Warp:
    """Least squares over all centre points: y = v_k + g(x, v_k), with one unknown v_k per line (its height at
    the middle column) refined in turn with g; lines that fit badly (merged bands, figures) are dropped."""
    v = np.array([np.interp(width / 2, c.points[:, 0], c.points[:, 1]) for c in curves])
    keep = np.ones(len(curves), bool)
    xs = [c.points[:, 0] for c in curves]
    lo = min(float(c.points[:, 0].min()) for c in curves)
    hi = max(float(c.points[:, 0].max()) for c in curves)
    warp = Warp(np.zeros(len(TERMS)), width, height, (float(v.min()), float(v.max())), (lo, hi))
    for _ in range(rounds):
        idx = np.flatnonzero(keep)
        basis = np.concatenate([warp._basis(xs[k], np.full(len(xs[k]), v[k])) for k in idx])
        target = np.concatenate([curves[k].points[:, 1] - v[k] for k in idx])
        # Each line weighs the same, whatever its length.
        weight = np.concatenate([np.full(len(xs[k]), 1 / np.sqrt(len(xs[k]))) for k in idx])
        warp.coef = np.linalg.lstsq(basis * weight[:, None], target * weight, rcond=None)[0]
        err = np.zeros(len(curves))
        for k in range(len(curves)):
            resid = curves[k].points[:, 1] - warp.shift(xs[k], np.full(len(xs[k]), v[k]))
            v[k] = float(np.median(resid))
            err[k] = float(np.abs(resid - v[k]).mean() / max(curves[k].thickness, 1.0))
        keep = err <= max(3 * float(np.median(err)), 0.3)
        if keep.sum() < MIN_LINES:
            keep = np.ones(len(curves), bool)
        warp.v_range = (float(v[keep].min()), float(v[keep].max()))
    return warp


def estimate(prob: np.ndarray, width: int, height: int, force: bool = False) -> Warp | None:
    """The warp that flattens the page, or None when its lines are straight (or too few to tell)."""
    curves = centre_curves(prob, width, height)
    if len(curves) < MIN_LINES or not (force or is_curved(curves)):
        return None
    return fit_warp(curves, width, height)
