"""Packing short line crops side by side into recognizer rows.

PP-OCR recognizers read a batch padded to at least 320 columns (48-pixel height): shorter inputs without
padding lose case and punctuation, so PaddleOCR pads every short crop to 320 and most of the work on form-like
pages goes into padding. A row holds several short crops instead, left to right with a gap of padding between
them, and the row's CTC time steps are split between the crops at the middle of each gap. Offsets are
multiples of the model's time stride, so every crop starts on a time-step boundary.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

# Input columns per CTC time step of PP-OCR recognizers (a 320-wide input gives 40 steps).
TIME_STRIDE = 8


@dataclass(frozen=True)
class Slot:
    """One crop placed in a row: its index in the input list, its left offset and its width, in pixels."""

    index: int
    offset: int
    width: int


@dataclass(frozen=True)
class Row:
    slots: tuple[Slot, ...]

    @property
    def content_end(self) -> int:
        last = self.slots[-1]
        return last.offset + last.width


def align_up(x: int, step: int = TIME_STRIDE) -> int:
    """`x` rounded up to a multiple of `step`."""
    return int(math.ceil(x / step) * step)


def pack_rows(widths: list[int], row_width: int, gap: int, align: int = TIME_STRIDE) -> tuple[list[Row], list[int]]:
    """First-fit decreasing: crops narrower than `row_width` share rows of that width; wider ones are left out
    and returned (indices) for ordinary batching. Rows come out ordered by their fill."""
    short = [i for i, w in enumerate(widths) if w < row_width]
    wide = [i for i, w in enumerate(widths) if w >= row_width]
    short.sort(key=lambda i: -widths[i])
    rows: list[list[Slot]] = []
    ends: list[int] = []  # next free offset of each row
    for i in short:
        w = widths[i]
        for r, end in enumerate(ends):
            offset = align_up(end + gap, align)
            if offset + w <= row_width:
                rows[r].append(Slot(i, offset, w))
                ends[r] = offset + w
                break
        else:
            rows.append([Slot(i, 0, w)])
            ends.append(w)
    return [Row(tuple(r)) for r in rows], wide


def step_ranges(row: Row, steps: int, stride: int) -> list[tuple[int, int]]:
    """For each slot, the [start, end) time steps it owns: up to the middle of the gap on either side, the
    last slot to the end of the row (CTC may emit a character's spike a step or two after its pixels)."""
    bounds = [0]
    for left, right in zip(row.slots, row.slots[1:]):
        middle = (left.offset + left.width + right.offset) / 2
        bounds.append(min(steps, max(bounds[-1], round(middle / stride))))
    bounds.append(steps)
    return list(itertools.pairwise(bounds))
