"""A skewed page turned level before its layout is read.

The layout model draws upright boxes. On a page scanned or photographed a few degrees off, a text line's upright
box is as tall as two lines, boxes of neighbouring lines and regions overlap, and lines land in the wrong
region or split into rows that are not there. The OCR reads skewed lines well from their own quads; the parser
turns the page level by the text's angle (its lines' length-weighted median), moves the lines with it, and
lays out, orders and crops the level page. The parse result then refers to the level page (as it refers to
the upright page of a page read turned), and the page's metadata says by how much it was turned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from scriba.document import Line, move_lines

# Under this skew the lines' axis-aligned boxes barely grow, and reading order works on them as they are.
SKEW_LEVELLED = math.radians(1.5)


def text_skew(lines: list[Line], least: float = SKEW_LEVELLED, min_lines: int = 1) -> float:
    """The page's text angle in radians (positive: lines run down to the right, image y growing downward):
    the length-weighted median over the top edges of lines at least twice as long as high; 0 under `least`
    or with fewer than `min_lines` such lines."""
    q = np.array([line.polygon for line in lines if len(line.polygon) == 4], dtype=np.float64)
    if not len(q):
        return 0.0
    top = q[:, 1] - q[:, 0]
    length = np.hypot(top[:, 0], top[:, 1])
    high = np.linalg.norm(q[:, 3] - q[:, 0], axis=1)
    angle = np.arctan2(top[:, 1], top[:, 0])
    keep = (length >= 2 * high) & (np.abs(angle) < math.radians(30))
    if keep.sum() < max(min_lines, 1):
        return 0.0
    order = np.argsort(angle[keep])
    weights = np.cumsum(length[keep][order])
    skew = float(angle[keep][order][np.searchsorted(weights, weights[-1] / 2)])  # length-weighted median
    return skew if abs(skew) >= least else 0.0


# Under this a long line's upright box grows by an eighth of its height per ten heights of length, and a
# straight page's detected quads, a little off level each, are not taken for a skew.
MIN_SKEW = math.radians(0.75)
MIN_LINES = 3  # one or two short lines' boxes can lie a degree off on a straight page


@dataclass
class LevelPage:
    image: np.ndarray
    matrix: np.ndarray  # 2 x 3: a point on the page as given -> the same point on the level page
    degrees: float  # how far the page was turned (counter-clockwise, as it is seen)

    def to_level(self, polygon: list[list[float]]) -> list[list[float]]:
        p = np.asarray(polygon, dtype=np.float64)
        return (p @ self.matrix[:, :2].T + self.matrix[:, 2]).tolist()

    def move(self, lines: list[Line]) -> None:
        """Lines (and their words) read on the page as given, moved onto the level page."""
        move_lines(lines, self.to_level)


def _paper(image: np.ndarray) -> tuple[int, int, int]:
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).reshape(-1, image.shape[2])
    return tuple(int(v) for v in np.median(border, axis=0))  # type: ignore[return-value]


def level_page(image: np.ndarray, skew: float) -> LevelPage | None:
    """The page turned by -`skew` (radians, positive when lines run down to the right) on a canvas large enough
    to keep its corners, filled with the paper's colour; None when the skew is under MIN_SKEW."""
    if abs(skew) < MIN_SKEW or image.ndim != 3:
        return None
    h, w = image.shape[:2]
    degrees = math.degrees(skew)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    new_w, new_h = math.ceil(h * sin + w * cos), math.ceil(h * cos + w * sin)
    m[0, 2] += new_w / 2 - w / 2
    m[1, 2] += new_h / 2 - h / 2
    turned = cv2.warpAffine(image, m, (new_w, new_h), flags=cv2.INTER_LINEAR, borderValue=_paper(image))
    return LevelPage(turned, m, degrees)
