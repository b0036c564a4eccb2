"""Pieces of one printed line, read as separate lines, joined back inside a running-text region.

A justified line with wide word spaces comes apart: the detector's boxes stop at a wide gap, and OCR'd PDF
text layers set each word in its own font size, so a short word ("its") has a smaller box than its
neighbours and the gap to it looks wide. Left apart, such pieces read as cells side by side and become
paragraphs of their own, out of place in the reading order.

A gap is closed only where it is not a column gutter: some line just above or below in the same region runs
across it. A region the layout model drew over two columns keeps its columns apart.
"""

from __future__ import annotations

from scriba.document import Line, bbox_of, union_polygon
from scriba.pipeline.reading_order import Box

MAX_GAP = 2.0  # widest gap closed, in line heights (justified lines reach about 1.6 after a full stop)
REACH = 2.0  # how far above or below (in line heights) a line crossing the gap is looked for


def _same_row(a: Box, b: Box) -> bool:
    ha, hb = a[3] - a[1], b[3] - b[1]
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    centre = abs((a[1] + a[3]) - (b[1] + b[3])) / 2
    return overlap >= 0.5 * min(ha, hb) and centre < 0.5 * max(ha, hb)


def _crossed(boxes: list[Box], i: int, j: int, h: float) -> bool:
    """Does a line of another row, near these two, span the gap between line i and line j (to its right)?"""
    a, b = boxes[i], boxes[j]
    top, bottom = min(a[1], b[1]), max(a[3], b[3])
    for k, c in enumerate(boxes):
        if k in (i, j) or _same_row(c, a) or _same_row(c, b):
            continue
        near = c[3] > top - REACH * h and c[1] < bottom + REACH * h
        if near and c[0] < a[2] and c[2] > b[0]:
            return True
    return False


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
    boxes = [bbox_of(x.polygon) for x in lines]
    right_of: dict[int, int] = {}
    for i, a in enumerate(boxes):
        best = None
        for j, b in enumerate(boxes):
            h = max(a[3] - a[1], b[3] - b[1])
            if j == i or not _same_row(a, b) or b[0] < a[2] - 0.1 * h or b[0] <= a[0]:
                continue
            if best is None or b[0] < boxes[best][0]:
                best = j
        if best is None:
            continue
        b = boxes[best]
        h = max(a[3] - a[1], b[3] - b[1])
        if b[0] - a[2] <= MAX_GAP * h and _crossed(boxes, i, best, h):
            right_of[i] = best
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
