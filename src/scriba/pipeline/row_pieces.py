"""Pieces of one printed line, read as separate lines, joined back inside a running-text region.

A justified line with wide word spaces comes apart: the detector's boxes stop at a wide gap, and OCR'd PDF
text layers set each word in its own font size, so a short word ("its") has a smaller box than its
neighbours and the gap to it looks wide. Left apart, such pieces read as cells side by side and become
paragraphs of their own, out of place in the reading order.

A gap is closed only where it is not a column gutter: some line just above or below in the same region runs
across it. A region the layout model drew over two columns keeps its columns apart.
"""

from __future__ import annotations

import numpy as np

from scriba.document import Line, bbox_of, union_polygon

MAX_GAP = 2.0  # widest gap closed, in line heights (justified lines reach about 1.6 after a full stop)
REACH = 2.0  # how far above or below (in line heights) a line crossing the gap is looked for


def _same_row(boxes: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Which boxes share a row with box a: they overlap by half the lower one's height, centres close."""
    ha, hb = a[3] - a[1], boxes[:, 3] - boxes[:, 1]
    overlap = np.minimum(a[3], boxes[:, 3]) - np.maximum(a[1], boxes[:, 1])
    centre = np.abs((a[1] + a[3]) - (boxes[:, 1] + boxes[:, 3])) / 2
    return (overlap >= 0.5 * np.minimum(ha, hb)) & (centre < 0.5 * np.maximum(ha, hb))


def _crossed(boxes: np.ndarray, i: int, j: int, h: float) -> bool:
    """Does a line of another row, near these two, span the gap between line i and line j (to its right)?"""
    a, b = boxes[i], boxes[j]
    top, bottom = min(a[1], b[1]), max(a[3], b[3])
    other = ~(_same_row(boxes, a) | _same_row(boxes, b))
    other[[i, j]] = False
    near = (boxes[:, 3] > top - REACH * h) & (boxes[:, 1] < bottom + REACH * h)
    spans = (boxes[:, 0] < a[2]) & (boxes[:, 2] > b[0])
    return bool((other & near & spans).any())


def _joined(pieces: list[Line]) -> Line:
    words = [w for p in pieces for w in p.words]
    return Line(
        text=" ".join(p.text for p in pieces),
        confidence=min(p.confidence for p in pieces),
        polygon=union_polygon([p.polygon for p in pieces]),
        words=words,
    )


def join_row_pieces(lines: list[Line]) -> list[Line]:
    """Lines of one running-text region, with the pieces of each printed line joined left to right."""
    if len(lines) < 2:
        return lines
    boxes = np.array([bbox_of(x.polygon) for x in lines], dtype=np.float64)
    heights = boxes[:, 3] - boxes[:, 1]
    right_of: dict[int, int] = {}
    for i, a in enumerate(boxes):
        h = np.maximum(heights[i], heights)
        beside = _same_row(boxes, a) & (boxes[:, 0] >= a[2] - 0.1 * h) & (boxes[:, 0] > a[0])
        beside[i] = False
        if not beside.any():
            continue
        cands = np.flatnonzero(beside)
        j = int(cands[np.argmin(boxes[cands, 0])])
        if boxes[j, 0] - a[2] <= MAX_GAP * h[j] and _crossed(boxes, i, j, float(h[j])):
            right_of[i] = j
    # A piece claimed from two lines on its left goes with the nearer one.
    left_of: dict[int, int] = {}
    for i, j in sorted(right_of.items(), key=lambda kv: boxes[kv[0]][2]):
        left_of[j] = i
    right_of = {i: j for j, i in left_of.items()}
    if not right_of:
        return lines
    starts = [i for i in range(len(lines)) if i not in left_of]
    out: list[Line] = []
    for i in starts:
        chain = [i]
        while chain[-1] in right_of:  # x grows along a chain, so it ends
            chain.append(right_of[chain[-1]])
        out.append(lines[i] if len(chain) == 1 else _joined([lines[k] for k in chain]))
    return out
