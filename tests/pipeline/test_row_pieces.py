"""Pieces of one printed line (wide justified spaces, words of an OCR'd text layer set in their own sizes) read
as one line in its place; a region drawn over two columns keeps the columns apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriba import ParseOptions, Parser
from scriba.document import Line, polygon_of_bbox
from scriba.pipeline.layout_order import Region, assemble_page
from scriba.pipeline.row_pieces import join_row_pieces
from tests.pipeline.parse_fixtures import _canvas

# A paragraph set justified in a narrow measure, as a scanned book's OCR layer gives it: every word placed on
# its own, short words in a smaller size (their boxes fit the ink), so the spaces around them look wide.
PARAGRAPH = [
    "any crop was very trifling. Since the use of bones has, however, become",
    "general, the turnip crop has been, in many instances, ten-fold, and in few",
    "less than four or five-fold its former bulk. All",
    "the succeeding crops of grain and seeds have been amazingly increased, and",
    "upon the four or five-shift system, there is no doubt the land will go on",
    "progressively improving, requiring a less quantity of bones annually, from",
    "its increased fertility and power, as the farmers of the county reported.",
]
SMALL = {"its", "in", "of", "or", "on", "a"}


def _ocr_layer_pdf(path: Path) -> Path:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    c, (_w, h) = _canvas(path)
    left, measure, size = 90.0, 400.0, 11.0
    y = h - 120
    for k, text in enumerate(PARAGRAPH):
        words = text.split()
        sizes = [size * (0.8 if w in SMALL else 1.0) for w in words]
        widths = [stringWidth(w, "Serif", s) for w, s in zip(words, sizes)]
        last = k == len(PARAGRAPH) - 1
        # Justified: the spaces share what the words leave of the measure (the short third line most of all).
        gap = 0.3 * size if last else (measure - sum(widths)) / (len(words) - 1)
        x = left
        for word, s, wd in zip(words, sizes, widths):
            c.setFont("Serif", s)
            c.drawString(x, y, word)
            x += wd + gap
        y -= size * 1.3
    c.showPage()
    c.save()
    return path


def test_a_justified_line_with_wide_spaces_reads_in_place(tmp_path: Path) -> None:
    pytest.importorskip("reportlab")
    doc = Parser(ParseOptions(dpi=144))(_ocr_layer_pdf(tmp_path / "book.pdf"))
    md = doc.to_markdown()
    assert " ".join(md.split()) == " ".join(" ".join(PARAGRAPH).split())


def _line(text: str, x0: float, y0: float, x1: float, h: float = 30.0) -> Line:
    return Line(text, 1.0, polygon_of_bbox(x0, y0, x1, y0 + h))


def test_pieces_join_where_a_line_above_runs_across_the_gap() -> None:
    lines = [
        _line("general, the turnip crop has been, in many", 100, 100, 900),
        _line("less than four", 100, 140, 330),
        _line("its", 380, 145, 420, 22),
        _line("former bulk.", 470, 140, 640),
    ]
    joined = join_row_pieces(lines)
    assert [x.text for x in joined] == [
        "general, the turnip crop has been, in many",
        "less than four its former bulk.",
    ]
    assert [w.text for w in joined[1].words] == []  # these lines carry no words: none are invented


def test_a_region_over_two_columns_keeps_them_apart() -> None:
    left = ["The left column opens here", "and goes on for a while", "before it ends down here."]
    right = ["The right column follows", "beside it at a narrow gap", "and closes the page."]
    lines = [_line(t, 100, 200 + 40 * k, 460) for k, t in enumerate(left)]
    lines += [_line(t, 500, 200 + 40 * k, 860) for k, t in enumerate(right)]
    assert len(join_row_pieces(lines)) == 6
    blocks = assemble_page([Region("text", (80, 180, 880, 340))], lines, 1000, 1400)
    assert [x.text for b in blocks for x in b.lines] == left + right
