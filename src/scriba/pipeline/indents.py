"""Paragraphs that start with an indented first line (books, newspapers, letters), set with no space between
them: the layout model draws one text region over several, and their lines are evenly spaced, so only the
indent says where one ends and the next begins."""

from __future__ import annotations

import re
from statistics import median

from scriba.pipeline.reading_order import Box

_ENDS = re.compile(r"[.!?:;\"”’)。！？]$")
_ITEM = re.compile(r"^\s*([•·▪◦●○■□➢►–\-*]|\d{1,3}[.)]|\(\d{1,3}\)|[a-z][.)]|\([a-z]\))\s")
MIN_INDENT, MAX_INDENT = 0.8, 5.0  # line heights


def indent_cuts(boxes: list[Box], texts: list[str]) -> list[int]:
    """Positions k (lines in reading order, one paragraph group) where line k starts a new paragraph: it is
    indented from the flush left edge most lines share, the line before it ends the previous paragraph (short
    of the right edge, or on a sentence's last mark), and the line after it, if any, is flush again (so an
    indented quotation or a hanging indent is not cut). A list item's wrapped line is never a cut."""
    if len(boxes) < 3:
        return []
    h = median(b[3] - b[1] for b in boxes)
    left = median(b[0] for b in boxes)
    right = max(b[2] for b in boxes)
    cuts = []
    for k in range(1, len(boxes)):
        b, prev = boxes[k], boxes[k - 1]
        if not MIN_INDENT * h <= b[0] - left <= MAX_INDENT * h:
            continue
        if abs(prev[0] - left) > 0.5 * h or _ITEM.match(texts[k - 1]):
            continue
        if prev[2] > right - 1.5 * h and not _ENDS.search(texts[k - 1].rstrip()):
            continue
        if k + 1 < len(boxes) and abs(boxes[k + 1][0] - left) > 0.5 * h:
            continue
        cuts.append(k)
    return cuts
