"""Lines that belong together on one row, joined before blocks are formed: a bullet sign set apart from its
item, and an exam question's answer choices set in a row at tab stops."""

from __future__ import annotations

import re

from scriba.document import Line, Word, bbox_of, union_polygon

BULLETS = set("•·▪◦●○■□➢►–-*")
CHOICE = re.compile(r"^\s*[(（]?([A-H])\s*[.．、:：)）]")
CHOICE_ROW = re.compile(r"^\s*[(（]?A\s*[.．、:：)）].*\s[(（]?B\s*[.．、:：)）]")
QUESTION = re.compile(r"^\s*[(（]?\d{1,3}\s*[.．、)）]")


def reads_as_exam(texts: list[str]) -> bool:
    """Numbered questions with rows of lettered answer choices: an exam paper, whose choices stand in
    columns like a table's cells but are not one."""
    questions = sum(bool(QUESTION.match(t)) for t in texts)
    choices = sum(bool(CHOICE.match(t)) for t in texts)
    return questions >= 2 and choices >= 2 and questions + choices >= 0.5 * len(texts)


def attach_bullets(lines: list[Line]) -> list[Line]:
    """A line that is only a bullet sign (the text layer and the detector keep it apart from its item when
    it stands in the margin) joins the line to its right on the same row: '• IBM MT/ST ...'."""
    bullets = [x for x in lines if x.text.strip() in BULLETS and x.text.strip()]
    if not bullets:
        return lines
    others = [x for x in lines if not (x.text.strip() in BULLETS and x.text.strip())]
    taken: set[int] = set()
    for bullet in bullets:
        _, by0, bx1, by1 = bbox_of(bullet.polygon)
        best, best_gap = None, float("inf")
        for k, x in enumerate(others):
            x0, y0, _, y1 = bbox_of(x.polygon)
            h = max(y1 - y0, 1.0)
            overlap = min(by1, y1) - max(by0, y0)
            gap = x0 - bx1
            if (
                k not in taken
                and overlap > 0.3 * min(h, by1 - by0)
                and -0.2 * h <= gap <= 3 * h
                and gap < best_gap
            ):
                best, best_gap = k, gap
        if best is None:
            others.append(bullet)  # a lone sign stays a line of its own
            continue
        taken.add(best)
        item = others[best]
        others[best] = _joined([bullet, item], f"{bullet.text.strip()} {item.text}")
    return others


def _joined(parts: list[Line], text: str) -> Line:
    """One line made of `parts` on a row, reading `text`; a part without word boxes is one word."""
    return Line(
        text=text,
        confidence=min(x.confidence for x in parts),
        polygon=union_polygon([x.polygon for x in parts]),
        words=[w for x in parts for w in (x.words or [Word(x.text.strip(), x.confidence, x.polygon)])],
    )


def join_choice_rows(lines: list[Line]) -> list[Line]:
    """The answer choices of a question set in one row at tab stops ('A. 2   B. 32   C. 9   D. 50') are one
    line: apart, their even spacing looks like the columns of the page, and the page was read choice column
    by choice column. Lines on one row join when each starts with the next choice letter (A, B, C, ...)."""
    starts = [CHOICE.match(x.text) for x in lines]
    if sum(m is not None for m in starts) < 2:
        return lines
    boxes = [bbox_of(x.polygon) for x in lines]
    taken: set[int] = set()
    out: list[Line] = []
    for k in sorted(range(len(lines)), key=lambda i: boxes[i][0]):
        m = starts[k]
        if k in taken or m is None:
            continue
        row, letter = [k], m.group(1)
        while True:
            _, y0, x1, y1 = boxes[row[-1]]
            h = max(y1 - y0, 1.0)
            nxt = chr(ord(letter) + 1)
            cands = [
                j for j, mj in enumerate(starts)
                if j not in taken and j not in row and mj is not None and mj.group(1) == nxt
                and min(y1, boxes[j][3]) - max(y0, boxes[j][1]) > 0.5 * h and 0 < boxes[j][0] - x1 < 30 * h
            ]  # fmt: skip
            if not cands:
                break
            row.append(min(cands, key=lambda j: boxes[j][0]))
            letter = nxt
        if len(row) < 2:
            continue
        taken.update(row)
        parts = [lines[j] for j in row]
        out.append(_joined(parts, " ".join(x.text.strip() for x in parts)))
    return [x for k, x in enumerate(lines) if k not in taken] + out
