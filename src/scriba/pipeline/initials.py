"""Large initial letters (drop caps and raised caps) joined to the line they begin.

The detector reads such a letter as a box of its own beside the first line, and the recognizer reads "T" and
"he bridge was..." apart: joined, the line reads "The bridge was...". The joined line keeps the first line's
height (a drop cap spans two or three lines; its whole box would cover the lines below it) and starts at the
letter's left edge; the letter's word box is merged into the first word's."""

from __future__ import annotations

from scriba.document import Line, Word, bbox_of, union_polygon

# The letter is at least this many times as tall as the line beside it, and that line starts within this many
# line heights of the letter's right edge (or overlaps it by up to half a line height: the boxes are grown).
TALLER = 1.5
GAP = 1.0


def is_initial(line: Line) -> bool:
    """One upper-case letter (cased scripts only: a lone CJK character is an ordinary line)."""
    return len(line.text) == 1 and line.text.isupper()


def join_initials(lines: list[Line]) -> list[Line]:
    """The lines with each large initial letter joined to the line it begins; other lines are unchanged."""
    boxes = [bbox_of(line.polygon) for line in lines]
    taken: set[int] = set()
    joined: dict[int, Line] = {}
    for i, letter in enumerate(lines):
        if not is_initial(letter):
            continue
        lx0, ly0, lx1, ly1 = boxes[i]
        beside = []
        for j, (x0, y0, x1, y1) in enumerate(boxes):
            h = y1 - y0
            if j == i or j in taken or j in joined or not lines[j].text or h <= 0:
                continue
            centre = (y0 + y1) / 2
            if ly1 - ly0 >= TALLER * h and -0.5 * h <= x0 - lx1 <= GAP * h and ly0 <= centre <= ly1:
                beside.append((y0, j))
        if beside:
            j = min(beside)[1]
            joined[j] = _prefixed(letter, lines[j], lx0)
            taken.add(i)
    return [joined.get(k, line) for k, line in enumerate(lines) if k not in taken]


def _prefixed(letter: Line, line: Line, left: float) -> Line:
    """`line` with `letter` in front of its first word, its box widened left to `left`."""
    polygon = [list(p) for p in line.polygon]
    x0, _, x1, _ = bbox_of(polygon)
    for p in polygon:
        if p[0] < (x0 + x1) / 2:  # the left corners
            p[0] = min(p[0], left)
    words = list(line.words)
    if words:
        first = words[0]
        words[0] = Word(letter.text + first.text, min(letter.confidence, first.confidence),
                        union_polygon([letter.polygon, first.polygon]))  # fmt: skip
    n = len(line.text)
    confidence = (letter.confidence + line.confidence * n) / (n + 1)
    return Line(text=letter.text + line.text, confidence=confidence, polygon=polygon, words=words)
