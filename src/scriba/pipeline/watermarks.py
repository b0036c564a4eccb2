"""Watermarks: large text set across the page at a slant ("SAMPLE COPY", "DRAFT", "CONFIDENTIAL").

Such a line is not content: it would land in the middle of the page's text (as a heading, or inside a figure).
It is kept as a block of its own, left out of the Markdown. A line counts when it runs more than 15 degrees
off the page's axes and stands at least 1.5 times as tall as the page's median line; small slanted text (a
chart's tilted tick labels) stays. A large single glyph lying on such a line (a detector's stray box on the
watermark) goes with it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from scriba.document import Line

SLANT_DEGREES = 15.0
TALLER = 1.5


def _angle_and_height(line: Line) -> tuple[float, float]:
    """Degrees off the nearest page axis (0-45) of the line's long side, and its short side (its height). The
    long side, not the first edge: near 45 degrees a detector's quad may start on either side."""
    p = np.asarray(line.polygon, dtype=np.float64)
    if p.shape != (4, 2):
        return 0.0, 0.0
    along, across = p[1] - p[0], p[3] - p[0]
    if np.linalg.norm(across) > np.linalg.norm(along):
        along, across = across, along
    angle = abs(math.degrees(math.atan2(along[1], along[0]))) % 90
    return min(angle, 90 - angle), float(np.linalg.norm(across))


def split_watermarks(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """(the page's lines, its watermark lines)."""
    measured = [_angle_and_height(x) for x in lines]
    level = [h for a, h in measured if a <= SLANT_DEGREES and h > 0]
    if not level:
        return lines, []
    body = float(np.median(level))
    marks = [k for k, (a, h) in enumerate(measured) if a > SLANT_DEGREES and h >= TALLER * body]
    if not marks:
        return lines, []
    quads = [np.asarray(lines[k].polygon, dtype=np.float32) for k in marks]
    for k, (a, h) in enumerate(measured):
        if k in marks or h < TALLER * body or len(lines[k].text.strip()) > 2:
            continue
        c = np.asarray(lines[k].polygon, dtype=np.float64).mean(0)
        if any(cv2.pointPolygonTest(q, (float(c[0]), float(c[1])), True) > -0.25 * h for q in quads):
            marks.append(k)
    gone = set(marks)
    return [x for k, x in enumerate(lines) if k not in gone], [lines[k] for k in sorted(gone)]


def covered_by_watermark(box: tuple[float, float, float, float], marks: list[Line], share: float = 0.6) -> bool:
    """Whether the watermark lines' quads cover `share` of `box` (the layout model frames a large watermark
    as a figure)."""
    x0, y0, x1, y1 = box
    area = max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
    if not marks or area <= 0:
        return False
    rect = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
    inter = sum(cv2.intersectConvexConvex(rect, np.asarray(m.polygon, dtype=np.float32))[0] for m in marks)
    return inter >= share * area
