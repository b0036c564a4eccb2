"""Reading order: lines into rows, rows into paragraph blocks, blocks ordered by recursive XY-cut.

Everything works on axis-aligned boxes (x0, y0, x1, y1); callers map indices back to their objects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Box = tuple[float, float, float, float]


def box_area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def box_overlap(a: Box, b: Box) -> float:
    """Area of the intersection of two boxes."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def box_union(a: Box, b: Box) -> Box:
    """The smallest box holding both."""
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def sort_lines(boxes: Sequence[Box]) -> list[int]:
    """Top-to-bottom, then left-to-right within a row. A row tolerance of half the median line height adapts
    to resolution (PaddleOCR uses a fixed 10 px)."""
    if not boxes:
        return []
    heights = [b[3] - b[1] for b in boxes]
    tol = 0.5 * float(np.median(heights))
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][1], boxes[i][0]))
    # Bubble pass: neighbours whose tops are within tol form one row, read left to right.
    for _ in range(len(order)):
        changed = False
        for k in range(len(order) - 1):
            a, b = boxes[order[k]], boxes[order[k + 1]]
            if abs(b[1] - a[1]) < tol and b[0] < a[0]:
                order[k], order[k + 1] = order[k + 1], order[k]
                changed = True
        if not changed:
            break
    return order


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def group_paragraphs(boxes: Sequence[Box]) -> list[list[int]]:
    """Group lines into paragraphs: a line joins the one above when the vertical gap is small, they overlap
    horizontally and their heights match (so headings split from body text)."""
    n = len(boxes)
    parent = list(range(n))
    for i in range(n):
        ai = boxes[i]
        hi = ai[3] - ai[1]
        for j in range(n):
            if i == j:
                continue
            aj = boxes[j]
            hj = aj[3] - aj[1]
            gap = aj[1] - ai[3]
            h = min(hi, hj)
            if not (-0.3 * h <= gap <= 0.8 * h):
                continue
            if max(hi, hj) > 1.4 * h:
                continue
            overlap = min(ai[2], aj[2]) - max(ai[0], aj[0])
            if overlap < 0.3 * min(ai[2] - ai[0], aj[2] - aj[0]):
                continue
            # Lines side by side on one row are different cells, not one paragraph.
            if gap < 0 and abs(aj[1] - ai[1]) < 0.5 * h:
                continue
            parent[_find(parent, j)] = _find(parent, i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(_find(parent, i), []).append(i)
    return [sorted(g, key=lambda k: (boxes[k][1], boxes[k][0])) for g in groups.values()]


def _gaps(intervals: list[tuple[float, float]], min_gap: float) -> list[float]:
    """Cut positions in the empty stretches of a 1-D projection."""
    ivs = sorted(intervals)
    cuts: list[float] = []
    end = ivs[0][1]
    for lo, hi in ivs[1:]:
        if lo - end >= min_gap:
            cuts.append((lo + end) / 2)
        end = max(end, hi)
    return cuts


def xy_cut(boxes: Sequence[Box], min_gap: float | None = None) -> list[int]:
    """Recursive XY-cut: split by vertical gaps (columns) first, then horizontal gaps (bands), and recurse."""
    if not boxes:
        return []
    if min_gap is None:
        heights = [b[3] - b[1] for b in boxes]
        min_gap = max(4.0, 0.8 * float(np.median(heights)))
    return _xy_cut(list(range(len(boxes))), boxes, min_gap)


def _xy_cut(ids: list[int], boxes: Sequence[Box], min_gap: float) -> list[int]:
    if len(ids) <= 1:
        return ids
    for axis in (0, 1):  # 0: columns (cut along x), 1: bands (cut along y)
        lo, hi = (0, 2) if axis == 0 else (1, 3)
        cuts = _gaps([(boxes[i][lo], boxes[i][hi]) for i in ids], min_gap if axis == 0 else 1.0)
        if cuts:
            edges = [-np.inf, *cuts, np.inf]
            parts = [
                [i for i in ids if edges[k] <= (boxes[i][lo] + boxes[i][hi]) / 2 < edges[k + 1]]
                for k in range(len(edges) - 1)
            ]
            out: list[int] = []
            for part in parts:
                out.extend(_xy_cut(part, boxes, min_gap))
            return out
    return sorted(ids, key=lambda i: (boxes[i][1], boxes[i][0]))
