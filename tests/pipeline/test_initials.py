"""Large initial letters: the detector keeps the line beside the letter, and the letter joins that line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scriba.document import Line, Word
from scriba.models.detection.db import split_by_height
from scriba.pipeline.initials import join_initials
from tests.conftest import font

BODY = [
    "he bridge was closed for repairs while engineers",
    "inspected the main cables over the winter months.",
    "A second survey confirmed the trend across all of",
    "the northern districts and most of the valleys.",
    "Volunteers recorded the number of birds seen at",
]


def initial_page(lines_spanned: int) -> np.ndarray:
    """A paragraph opening with a large "T": dropped over `lines_spanned` lines, or raised above the first
    line's baseline when 1."""
    size, lead, left, top = 30, 46, 60, 80
    body = font("serif", size)
    img = Image.new("RGB", (1000, 500), "white")
    d = ImageDraw.Draw(img)
    cap = font("serif", size * 3)
    bx0, by0, bx1, by1 = d.textbbox((0, 0), "T", font=cap)
    if lines_spanned > 1:  # the letter's top at the first line's cap height, its foot on the third baseline
        d.text((left - bx0, top + 4 - by0), "T", font=cap, fill=(0, 0, 0))
    else:  # the letter's foot on the first line's baseline, rising above it
        base = top + body.getbbox("h")[3]
        d.text((left - bx0, base - by1), "T", font=cap, fill=(0, 0, 0))
    indent = left + (bx1 - bx0) + 6
    for k, text in enumerate(BODY):
        x = indent if k < lines_spanned else left
        d.text((x, top + k * lead), text, font=body, fill=(0, 0, 0))
    return np.asarray(img)


@pytest.fixture(scope="module")
def ocr():
    from scriba import OCR

    return OCR()


@pytest.mark.parametrize("spanned", [1, 3], ids=["raised-cap", "drop-cap-3-lines"])
def test_initial_letter_begins_its_line(ocr, spanned: int) -> None:
    page = ocr(initial_page(spanned)).pages[0]
    lines = [line.text for block in page.blocks for line in block.lines]
    assert lines[0] == "The bridge was closed for repairs while engineers", lines
    assert "inspected the main cables over the winter months." in lines
    assert not any(t == "T" for t in lines)
    first = next(line for block in page.blocks for line in block.lines if line.text.startswith("The"))
    assert first.words[0].text == "The"


def test_a_contour_is_cut_where_a_tall_letter_ends() -> None:
    prob = np.zeros((80, 400), np.float32)
    prob[10:50, 20:60] = 0.9  # a large letter
    prob[34:50, 60:380] = 0.9  # the line beside it, its baseline shared with the letter
    contour = np.array([[20, 10], [59, 10], [59, 34], [379, 34], [379, 49], [20, 49]], np.int32).reshape(
        -1, 1, 2
    )
    parts = split_by_height(contour, prob)
    assert len(parts) == 2
    (letter, lo0, hi0), (line, lo1, hi1) = parts
    assert lo0 == -np.inf and hi0 == lo1 == 60 and hi1 == np.inf
    assert letter[:, 0, 0].max() < 60 and line[:, 0, 0].min() >= 60
    assert line[:, 0, 1].min() >= 34  # the line part keeps the line's rows only
    even = np.array([[20, 34], [379, 34], [379, 49], [20, 49]], np.int32).reshape(-1, 1, 2)
    assert split_by_height(even, prob) == []


def _line(text: str, x0: float, y0: float, x1: float, y1: float) -> Line:
    poly = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    return Line(text=text, confidence=0.9, polygon=poly, words=[Word(w, 0.9, poly) for w in text.split()])


def test_join_initials_only_joins_a_tall_capital_beside_a_line() -> None:
    lines = [
        _line("T", 10, 10, 50, 110),
        _line("he river", 56, 12, 300, 40),
        _line("rose fast", 56, 46, 300, 74),
    ]
    out = join_initials(lines)
    assert [x.text for x in out] == ["The river", "rose fast"]
    assert out[0].words[0].text == "The" and out[0].polygon[0][0] == 10 and out[0].polygon[3][1] == 40
    small = [_line("A", 10, 12, 30, 40), _line("note", 36, 12, 200, 40)]  # as tall as the line: a word
    assert [x.text for x in join_initials(small)] == ["A", "note"]
    lone = [_line("中", 10, 10, 50, 110), _line("文字", 56, 12, 300, 40)]  # CJK has no capitals
    assert [x.text for x in join_initials(lone)] == ["中", "文字"]
