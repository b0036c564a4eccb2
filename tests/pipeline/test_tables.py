"""Table structure from real text-layer words (generated PDF) and from a rendered ruled grid with spans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from scriba.document import bbox_of
from scriba.io.textlayer import read_text_layer
from scriba.pipeline.tables import TableWord, recognize_table
from tests.conftest import font
from tests.pipeline.parse_fixtures import _canvas

# A borderless table: a header cell spanning two columns, then a sub-header row, then data rows.
HEADER = ("Site", "Rainfall (mm)")
SUB = ("", "Spring", "Autumn")
DATA = [("Hill farm", "312", "287"), ("River mill", "198", "240"), ("Old quarry", "97", "105")]


def _borderless_words(tmp_path: Path) -> tuple[list[TableWord], tuple[float, float, float, float]]:
    c, (_w, h) = _canvas(tmp_path / "table.pdf")
    xs = (72, 220, 320)
    y = h - 100
    c.setFont("SerifBold", 11)
    c.drawString(xs[0], y, HEADER[0])
    c.drawString(xs[1] + 10, y, HEADER[1])  # over both number columns
    y -= 18
    c.drawString(xs[1], y, SUB[1])
    c.drawString(xs[2], y, SUB[2])
    c.setFont("Serif", 11)
    for row in DATA:
        y -= 18
        for x, text in zip(xs, row):
            c.drawString(x, y, text)
    c.showPage()
    c.save()
    pdf = pdfium.PdfDocument(str(tmp_path / "table.pdf"))
    layer = read_text_layer(pdf[0], 2.0)
    words = [TableWord(w.text, bbox_of(w.polygon)) for w in layer.words]
    box = (0.0, 0.0, 612 * 2.0, 792 * 2.0)
    return words, box


def test_borderless_table_from_text_layer_words(tmp_path: Path) -> None:
    words, box = _borderless_words(tmp_path)
    table = recognize_table(None, box, words)
    assert table.method == "borderless"
    assert (table.n_rows, table.n_cols) == (5, 3)
    assert table.grid() == [
        ["Site", "Rainfall (mm)", ""],
        ["", "Spring", "Autumn"],
        ["Hill farm", "312", "287"],
        ["River mill", "198", "240"],
        ["Old quarry", "97", "105"],
    ]
    spanning = [c for c in table.cells if c.colspan > 1]
    assert [(c.row, c.col, c.colspan, c.text) for c in spanning] == [(0, 1, 2, "Rainfall (mm)")]


def test_ruled_grid_with_merged_cells_from_pixels() -> None:
    """A drawn 3x3 grid whose top-right two cells are merged (no rule between them) and whose first column's
    lower two cells are merged: the spans come from the missing rules."""
    img = Image.new("RGB", (600, 240), "white")
    d = ImageDraw.Draw(img)
    xs, ys = (10, 200, 400, 590), (10, 85, 160, 230)
    for y in ys:
        d.line([(xs[0], y), (xs[-1], y)], fill="black", width=2)
    for k, x in enumerate(xs):
        d.line([(x, ys[0]), (x, ys[-1])], fill="black", width=2)
    d.rectangle([xs[2] - 2, ys[0] + 3, xs[2] + 2, ys[1] - 3], fill="white")  # no rule: merged header
    d.rectangle([xs[0] + 3, ys[2] - 2, xs[1] - 3, ys[2] + 2], fill="white")  # no rule: merged first column
    f = font("sans", 24)
    texts = {
        (0, 0): "Name",
        (0, 1): "Scores",
        (1, 0): "Group A",
        (1, 1): "10",
        (1, 2): "12",
        (2, 1): "14",
        (2, 2): "9",
    }
    words = []
    for (r, c), text in texts.items():
        x, y = xs[c] + 20, ys[r] + 22
        d.text((x, y), text, font=f, fill="black")
        x0, y0, x1, y1 = d.textbbox((x, y), text, font=f)
        words.append(TableWord(text, (x0, y0, x1, y1)))
    table = recognize_table(np.asarray(img), (0, 0, 600, 240), words)
    assert table.method == "ruled"
    cells = {(c.row, c.col): (c.rowspan, c.colspan, c.text) for c in table.cells}
    assert cells == {
        (0, 0): (1, 1, "Name"),
        (0, 1): (1, 2, "Scores"),
        (1, 0): (2, 1, "Group A"),
        (1, 1): (1, 1, "10"),
        (1, 2): (1, 1, "12"),
        (2, 1): (1, 1, "14"),
        (2, 2): (1, 1, "9"),
    }
    assert table.to_html().startswith(
        '<table><thead><tr><td>Name</td><td colspan="2">Scores</td></tr></thead>'
    )


@pytest.mark.parametrize("n", [0])
def test_empty_word_list_gives_empty_table(n: int) -> None:
    table = recognize_table(None, (0, 0, 10, 10), [])
    assert (table.n_rows, table.n_cols, table.cells) == (n, n, [])


def test_borderless_headers_wider_than_figures_and_set_apart_dollar_signs() -> None:
    """A statement's amounts are right-aligned under dated headers wider than they are (each header reaches
    over the white corridor to its left), and the first row's dollar signs stand apart at the left of each
    column: one column per date, '$ 178' in one cell, and no header lost."""
    f = font("sans", 22)
    img = Image.new("RGB", (1000, 200), "white")
    d = ImageDraw.Draw(img)
    words: list[TableWord] = []

    def put(text: str, x: float, y: float, right: bool = False) -> None:
        x0 = x - f.getlength(text) if right else x
        d.text((x0, y), text, font=f, fill="black")
        words.append(TableWord(text, d.textbbox((x0, y), text, font=f)))

    rights = (560, 760, 960)
    for x, date in zip(rights, ("Jan 26, 2025", "Jan 28, 2024", "Jan 29, 2023")):
        put(date, x, 20, right=True)
    rows = [("Cost of revenue", "178", "141", "138"), ("Research and development", "3,423", "2,532", "1,892")]
    for r, (label, *amounts) in enumerate(rows):
        y = 70 + 45 * r
        put(label, 10, y)
        for x, amount in zip(rights, amounts):
            if r == 0:
                put("$", x - 120, y)
            put(amount, x, y, right=True)
    table = recognize_table(np.asarray(img), (0, 0, 1000, 200), words)
    assert table.method == "borderless"
    assert table.grid() == [
        ["", "Jan 26, 2025", "Jan 28, 2024", "Jan 29, 2023"],
        ["Cost of revenue", "$ 178", "$ 141", "$ 138"],
        ["Research and development", "3,423", "2,532", "1,892"],
    ]


@pytest.mark.parametrize("ocr_mode", ["auto", "always"])
def test_unruled_statement_keeps_each_year_in_its_column(tmp_path: Path, ocr_mode: str) -> None:
    """Amounts right-aligned under two year headers with no rules: one column per year on both paths."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    from scriba import ParseOptions, Parser

    pdfmetrics.registerFont(TTFont("LibSerif", "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"))
    rows = [["", "2025", "2024"], ["Revenue", "12,480", "11,902"], ["Cost of sales", "7,215", "6,988"],
            ["Gross profit", "5,265", "4,914"], ["Operating expenses", "3,102", "2,975"],
            ["Operating income", "2,163", "1,939"], ["Income tax", "541", "485"], ["Net income", "1,622", "1,454"]]  # fmt: skip
    table = Table(rows, colWidths=[200, 90, 90])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "LibSerif", 10.5), ("ALIGN", (1, 0), (-1, -1), "RIGHT")]))
    pdf = tmp_path / "statement.pdf"
    SimpleDocTemplate(str(pdf), pagesize=A4).build([Spacer(1, 40), table])
    doc = Parser(ParseOptions(dpi=200, ocr_mode=ocr_mode))(pdf)
    tables = [b for p in doc.pages for b in p.blocks if b.kind == "table"]
    assert len(tables) == 1
    html = tables[0].data.html
    assert "<td>2025</td><td>2024</td>" in html
    assert "<td>Net income</td><td>1,622</td><td>1,454</td>" in html
