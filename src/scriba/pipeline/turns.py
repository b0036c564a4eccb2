"""Quarter turns of a page and of the points on it.

`angle` is how far the page as given is turned clockwise (0, 90, 180 or 270), the convention of
`PageOrientation`: the upright page is the given one turned back by `angle`. Points are continuous pixel
coordinates (a page W pixels wide spans x = 0..W), so turning twice gives the same point back.
"""

from __future__ import annotations

import cv2
import numpy as np

ANGLES = (0, 90, 180, 270)
_UNDO = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


def upright_image(image: np.ndarray, angle: int) -> np.ndarray:
    """The given page turned back upright."""
    if angle % 360 == 0:
        return image
    return np.ascontiguousarray(cv2.rotate(image, _UNDO[angle % 360]))


def to_upright(points: np.ndarray, angle: int, w: int, h: int) -> np.ndarray:
    """Points (..., 2) on the given page (w x h pixels) -> the same points on the upright page."""
    p = np.asarray(points, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    angle %= 360
    if angle == 90:  # the upright page is the given one turned counter-clockwise: h wide, w high
        return np.stack([y, w - x], axis=-1)
    if angle == 180:
        return np.stack([w - x, h - y], axis=-1)
    if angle == 270:
        return np.stack([h - y, x], axis=-1)
    return p


def from_upright(points: np.ndarray, angle: int, w: int, h: int) -> np.ndarray:
    """Points on the upright page -> the same points on the given page (w x h pixels): to_upright undone, which
    is to_upright by the opposite turn, from the upright page's size (h x w after a quarter turn)."""
    upright_w, upright_h = (h, w) if angle % 180 else (w, h)
    return to_upright(points, -angle, upright_w, upright_h)
