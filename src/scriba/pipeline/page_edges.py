"""A page photographed at an angle, squared up by its edges before its layout is read.

In a phone photo the page is a four-sided shape on a darker table or background, its columns and lines
converging. The layout model draws upright boxes, which cannot hold converging columns. When the page's edges
can be seen (a bright four-sided region, much brighter than what surrounds it, holding every line of text), the
parser maps that quadrilateral onto a rectangle (a homography), moves the lines read on the photo with it, and
lays out, orders and crops the squared-up page. Scans and born-digital pages, whose paper fills the frame,
are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from scriba.document import Line, move_lines

WORK_SIDE = 800  # the edges are looked for on a copy this large
MIN_AREA = 0.25  # of the photo: a smaller bright shape is a card or a figure, not the page
MIN_OUTSIDE = 0.03  # of the photo outside the page: less, and the page fills the frame (a scan)
MIN_CONTRAST = 40  # grey levels between the page and what surrounds it
SQUARE = 0.01  # corners this close (of the longer side) to an upright rectangle: nothing to square up


@dataclass
class SquaredPage:
    image: np.ndarray
    homography: np.ndarray  # 3 x 3: a point on the photo -> the same point on the squared-up page
    # The page's corners on the photo: top-left, top-right, bottom-right, bottom-left.
    corners: list[list[float]]

    def to_square(self, polygon: list[list[float]]) -> list[list[float]]:
        p = np.asarray(polygon, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(p, self.homography).reshape(-1, 2).tolist()

    def move(self, lines: list[Line]) -> None:
        """Lines (and their words) read on the photo, moved onto the squared-up page."""
        move_lines(lines, self.to_square)


def _ordered(quad: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    s, d = quad.sum(1), np.diff(quad, axis=1).ravel()
    return np.array(
        [quad[np.argmin(s)], quad[np.argmin(d)], quad[np.argmax(s)], quad[np.argmax(d)]], np.float64
    )


def page_quad(image: np.ndarray) -> np.ndarray | None:
    """The page's four corners on the photo (top-left first, clockwise), or None when no page shape stands out
    from its surroundings."""
    h, w = image.shape[:2]
    k = WORK_SIDE / max(h, w)
    small = cv2.resize(image, (max(round(w * k), 1), max(round(h * k), 1)), interpolation=cv2.INTER_AREA)
    grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    _, bright = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Text and rules inside the page are dark too: close them so the page is one shape.
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    area = cv2.contourArea(hull)
    total = grey.shape[0] * grey.shape[1]
    if not MIN_AREA * total <= area <= (1 - MIN_OUTSIDE) * total:
        return None
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(quad) != 4 or not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
        return None
    inside = np.zeros_like(grey)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 255)
    ring = cv2.dilate(inside, np.ones((25, 25), np.uint8)) > 0
    page, around = grey[inside > 0], grey[ring & (inside == 0)]
    if not len(around) or float(np.median(page)) - float(np.median(around)) < MIN_CONTRAST:
        return None
    return _ordered(quad.astype(np.float64) / k)


def square_up(image: np.ndarray, lines: list[Line]) -> SquaredPage | None:
    """The page squared up by its edges, when they stand out and hold every line read; else None."""
    quad = page_quad(image)
    if quad is None:
        return None
    contour = quad.astype(np.float32).reshape(-1, 1, 2)
    for line in lines:
        for x, y in line.polygon:
            if cv2.pointPolygonTest(contour, (float(x), float(y)), True) < -2:
                return None  # text outside the shape: it is not the page's edge
    tl, tr, br, bl = quad
    width = round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    side = max(width, height)
    box = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    # An upright rectangle already (a scan with a dark border): only cropping, nothing to square up.
    if np.abs(quad - quad.min(0) - box).max() < SQUARE * side:
        return None
    if min(width, height) < 32:
        return None
    homography = cv2.getPerspectiveTransform(quad.astype(np.float32), box.astype(np.float32))
    squared = cv2.warpPerspective(image, homography, (width, height), flags=cv2.INTER_LINEAR)
    return SquaredPage(squared, homography, quad.tolist())
