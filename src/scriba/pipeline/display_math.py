"""Display formulas the layout model did not mark, found from the text read on the page.

A line set apart from the prose (not a line of a paragraph) whose text is mathematics (a relation or a big
operator, no words of prose) starts a formula region; the small pieces around it that the detector reads as
lines of their own (a fraction's numerator and denominator, an integral's limits, an exponent) join it. Each
region becomes a formula block, which the formula stage reads into LaTeX; one it cannot read goes back to text.
Separate equations stacked one under another stay separate formulas."""

from __future__ import annotations

import re

from scriba.document import Line, bbox_of
from scriba.pipeline.reading_order import Box, box_union

_RELATION = re.compile(r"[=<>≤≥≈≠≡≃≅∝∈∉⊂⊃⊆⊇→⇒⇔↦]")
_OPERATOR = re.compile(r"[∑∏∫∮∇∂√]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_LETTERS = re.compile(r"[A-Za-z]+")
_WORD = re.compile(r"[^\W\d_]{3,}")
_ITEM = re.compile(r"^\s*(\d{1,3}[.)]|\(\d{1,3}\)|[a-z][.)]|\([a-z]\))\s")
TAG = re.compile(r"^[(（]\s*[A-Z]?\d{1,3}(\.\d{1,3})?[a-z]?\s*[)）]$")
_FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "lim", "max", "min", "sup", "inf", "det",
              "dim", "ker", "arg", "gcd", "deg", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan", "mod", "Pr",
              "ln", "lg", "tr", "diag", "rank", "span", "sgn"}  # fmt: skip


def reads_as_prose(text: str) -> bool:
    """Text that holds a sentence (CJK text, or four words of three letters or more that are not function
    names): in a region the layout model took for a formula, its text is worth more than a LaTeX guess."""
    if _CJK.search(text):
        return True
    return sum(w.lower() not in _FUNCTIONS for w in _WORD.findall(text)) >= 4


_MATH_SIGN = re.compile(r"[=<>≤≥≈≠≡≃≅∝∈∉⊂⊃⊆⊇→⇒⇔↦∑∏∫∮∇∂√±×÷·∞′″^_+−/|\\α-ωΑ-Ω]|\s-\s")


def names_no_math(text: str) -> bool:
    """Words with no sign of mathematics in them ("* Doncaster Report, p. 8."): a footnote or a label the layout
    model took for a formula, whose LaTeX could only be its words set in italics."""
    words = [w for w in _WORD.findall(text) if w.lower() not in _FUNCTIONS]
    return len(words) >= 2 and not _MATH_SIGN.search(text)


def math_text(text: str) -> bool:
    """Mathematics rather than prose: a relation or a big operator among letters or digits, no CJK, no word of
    four letters or more (function names aside) and at most one of three."""
    if (
        _CJK.search(text)
        or not (_RELATION.search(text) or _OPERATOR.search(text))
        or not re.search(r"\w", text)
    ):
        return False
    if _ITEM.match(text):  # "150. s(t) = 2t + 8": an exercise or a list item, set as text with its formula
        return False
    words = [w for w in _LETTERS.findall(text) if w not in _FUNCTIONS and w.lower() not in _FUNCTIONS]
    return not any(len(w) >= 4 for w in words) and sum(len(w) == 3 for w in words) <= 1


def _wordless(text: str) -> bool:
    """No word of prose: no run of three letters or more but function names."""
    return not any(len(w) >= 3 for w in _LETTERS.findall(text) if w not in _FUNCTIONS)


def _piece(text: str) -> bool:
    """A fragment a formula's detector lines break into: a few characters, no word of prose."""
    return 0 < len(re.sub(r"\s", "", text)) <= 6 and _wordless(text)


def _v_overlap(a: Box, b: Box) -> float:
    return min(a[3], b[3]) - max(a[1], b[1])


def _in_paragraph(i: int, boxes: list[Box], texts: list[str], math: list[bool], line_h: float) -> bool:
    """Line i is a line of running text: prose goes on beside it in its row, or the row of prose just above or
    below it (the lines there taken together, since a text layer splits a justified line at its wide spaces) has
    three words or more, sits at ordinary line spacing and starts within two line heights of its left edge (a
    hanging indent, not a centred display)."""
    x0, y0, x1, y1 = boxes[i]
    for j, (a0, b0, a1, b1) in enumerate(boxes):  # prose beside it in its row: a formula inline in a sentence
        in_row = _v_overlap(boxes[i], boxes[j]) > 0.5 * min(b1 - b0, y1 - y0)
        beside = in_row and max(a0 - x1, x0 - a1) <= line_h
        if j != i and not math[j] and beside and not _wordless(texts[j]):
            return True
    for side in (-1, 1):
        row = [
            j
            for j, (a0, b0, a1, b1) in enumerate(boxes)
            if j != i
            and not math[j]
            and a0 < x1 + 2 * line_h
            and a1 > x0 - 2 * line_h  # the same column
            and (y0 - b1 if side < 0 else b0 - y1) <= 0.35 * line_h
            and (y0 - b1 if side < 0 else b0 - y1) >= -0.3 * min(b1 - b0, y1 - y0)
            and (b1 <= y1 if side < 0 else b0 >= y0)
        ]
        words = sum(len(texts[j].split()) for j in row)
        if words >= 3 and abs(min(boxes[j][0] for j in row) - x0) <= 2 * line_h:
            return True
    return False


def _gaps(a: Box, b: Box) -> tuple[float, float]:
    """Horizontal and vertical gaps between two boxes (negative where they overlap)."""
    return max(b[0] - a[2], a[0] - b[2]), max(b[1] - a[3], a[1] - b[3])


def display_formula_groups(lines: list[Line], line_h: float) -> list[list[int]]:
    """Indices of the lines of each display formula found on the page (lines already in a formula, table or
    figure region left out by the caller)."""
    if line_h <= 0:
        return []
    boxes = [bbox_of(line.polygon) for line in lines]
    texts = [line.text.strip() for line in lines]
    # A formula starts at a relation, or at a longer stretch of mathematics; "∂B" alone is a piece of one.
    # Three characters in small type ("i=1") are a limit of a sum set in a line of text, not an equation.
    seeds = [
        math_text(t)
        and (bool(_RELATION.search(t)) or not _piece(t))
        and (len(re.sub(r"\s", "", t)) >= 4 or b[3] - b[1] >= 0.8 * line_h)
        for t, b in zip(texts, boxes)
    ]
    starts = [i for i in range(len(lines)) if seeds[i] and not _in_paragraph(i, boxes, texts, seeds, line_h)]
    groups: list[list[int]] = []
    group_boxes: list[Box] = []
    for i in sorted(starts, key=lambda k: (boxes[k][1], boxes[k][0])):
        for g, gb in enumerate(group_boxes):  # parts of one equation read as two lines, side by side
            dx, dy = _gaps(gb, boxes[i])
            if dy < -0.5 * min(gb[3] - gb[1], boxes[i][3] - boxes[i][1]) and dx <= line_h:
                groups[g].append(i)
                group_boxes[g] = box_union(gb, boxes[i])
                break
        else:
            groups.append([i])
            group_boxes.append(boxes[i])
    # Pieces (limits, numerators, denominators, exponents, the rest of a row: lines with no word of prose) go
    # to the nearest formula, nearest first, so a piece between two stacked equations joins the one it belongs
    # to, and a formula grows by its pieces.
    pieces = {j for j in range(len(lines)) if not seeds[j] and _wordless(texts[j]) and len(texts[j]) <= 40}
    while pieces and groups:
        best = None
        for j in pieces:
            for g, gb in enumerate(group_boxes):
                dx, dy = _gaps(gb, boxes[j])
                if dy < 0 and dx <= line_h:  # in the formula's row: a fraction or a script beside
                    d = max(dx, 0.0)
                elif dy < 0 and TAG.match(texts[j]) and boxes[j][0] > gb[2] and dx <= 12 * line_h:
                    d = dx  # its number, "(1)", set off at the right margin
                elif 0 <= dy <= 0.6 * line_h and dx <= 0 and _piece(texts[j]):  # over or under: a limit
                    d = dy + line_h  # a piece in a formula's row belongs to it before one stacked on another
                else:
                    continue
                if best is None or d < best[0]:
                    best = (d, j, g)
        if best is None:
            break
        _, j, g = best
        pieces.discard(j)
        groups[g].append(j)
        group_boxes[g] = box_union(group_boxes[g], boxes[j])
    return groups
