"""Paragraphs set apart by extra space between them, found from the lines alone: where the layout model
missed them (a noisy scan it cannot lay out, one text region drawn over several paragraphs), a step from one
line to the next clearly longer than the group's usual line pitch starts a new paragraph."""

from __future__ import annotations

from statistics import median

from scriba.pipeline.reading_order import Box

MIN_RATIO = 1.25  # a paragraph step is at least this many usual pitches ...
MIN_EXTRA = 0.3  # ... and longer by at least this many line heights
MIN_STEPS = 3  # steps needed to know the usual pitch


def spacing_cuts(boxes: list[Box]) -> list[int]:
    """Positions k (lines of one paragraph group, top to bottom) where line k starts a new paragraph because
    the step from line k-1's centre to its own is long. Pieces on one row (a step under half a line) neither
    count nor cut. Line centres are used rather than gaps: OCR boxes grow and shrink with ascenders and
    descenders, their centres much less."""
    if len(boxes) < MIN_STEPS + 1:
        return []
    h = median(b[3] - b[1] for b in boxes)
    centres = [(b[1] + b[3]) / 2 for b in boxes]
    steps = [(k, centres[k] - centres[k - 1]) for k in range(1, len(boxes))]
    rows = [(k, s) for k, s in steps if s >= 0.5 * h]
    if len(rows) < MIN_STEPS:
        return []
    pitch = median(s for _, s in rows)
    return [k for k, s in rows if s >= MIN_RATIO * pitch and s - pitch >= MIN_EXTRA * h]
