"""Tables set as text: an unruled grid of figures that the layout model reads as text regions comes out as a
table block with its cells, from the text layer and from OCR; running text in columns, a table of contents,
lists and a form's fields do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriba.pipeline import layout_order
from scriba.pipeline.text_tables import CURRENCY, DASH, NUM, TEXT, Phrase, cell_kind, find_grids
from tests.conftest import FONT_DIR

INTRO = [
    "Operating expenses were higher in fiscal year 2025, driven by compensation and benefits,",
    "including stock-based compensation, reflecting employee growth and compensation increases.",
    "The amounts recognized in the income statement were as follows:",
]
YEARS = ["Jan 26, 2025", "Jan 28, 2024", "Jan 29, 2023"]
ROWS = [
    ["Cost of revenue", "$ 178", "$ 141", "$ 138"],
    ["Research and development", "3,423", "2,532", "1,892"],
    ["Sales, general and administrative", "1,136", "876", "680"],
    ["Total", "$ 4,737", "$ 3,549", "$ 2,710"],
]
CLOSING = "Stock-based compensation capitalized in inventories was not significant in these years."


def _canvas(path: Path):  # type: ignore[no-untyped-def]
    pytest.importorskip("reportlab")
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    for name, file in (("Sans", "LiberationSans-Regular.ttf"), ("SansBold", "LiberationSans-Bold.ttf")):
        font = FONT_DIR / "liberation" / file
        if not font.is_file():
            pytest.skip(f"font {font} missing (install fonts-liberation)")
        pdfmetrics.registerFont(TTFont(name, str(font)))
    return canvas.Canvas(str(path), pagesize=letter), letter


def statement_pdf(path: Path) -> Path:
    """A paragraph, then an expense table as annual reports set it: no rules, row labels at the left margin
    and three columns of amounts far to the right, right-aligned under dated headers, with the dollar signs of
    the first and total rows set apart; then a closing line. The layout model reads it as text regions."""
    c, (_w, h) = _canvas(path)
    y = h - 90
    c.setFont("Sans", 10)
    for line in INTRO:
        c.drawString(72, y, line)
        y -= 13
    y -= 24
    xs = [400, 470, 540]
    c.setFont("SansBold", 9)
    c.drawCentredString(455, y, "Year Ended")
    y -= 12
    for x, text in zip(xs, YEARS):
        c.drawRightString(x, y, text)
    y -= 12
    c.setFont("Sans", 9)
    c.drawCentredString(455, y, "(In millions)")
    y -= 14
    for row in ROWS:
        c.drawString(72, y, row[0])
        for x, text in zip(xs, row[1:]):
            if text.startswith("$ "):
                c.drawString(x - 55, y, "$")
                text = text[2:]
            c.drawRightString(x, y, text)
        y -= 13
    c.setFont("Sans", 10)
    c.drawString(72, y - 20, CLOSING)
    c.showPage()
    c.save()
    return path


PROSE = (
    "In 2019 the survey covered 42 sites in the northern districts and found that 31 of them had grown by "
    "3.5 percent on average, while the cost per site rose from 1,200 to 1,450 dollars over the same 12 months. "
    "The board approved a second phase in March 2020 with 12 new stations, a budget of 2.4 million and a "
    "team of 18 volunteers who visited each station twice a week until the end of the season in October."
)


def three_column_pdf(path: Path) -> Path:
    """A page of running text in three columns, full of years, counts, amounts and percentages."""
    c, (w, h) = _canvas(path)
    size, gutter = 9, 20
    col_w = (w - 144 - 2 * gutter) / 3
    lines: list[str] = []
    current = ""
    for word in (PROSE + " ").split() * 6:
        candidate = f"{current} {word}".strip()
        if c.stringWidth(candidate, "Sans", size) > col_w and current:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    per_column = -(-len(lines) // 3)
    c.setFont("Sans", size)
    for k, line in enumerate(lines):
        col, row = divmod(k, per_column)
        c.drawString(72 + col * (col_w + gutter), h - 72 - row * 11.5, line)
    c.showPage()
    c.save()
    return path


@pytest.fixture(scope="module")
def parsers():  # type: ignore[no-untyped-def]
    from scriba import ParseOptions, Parser
    from scriba.pipeline.parse import LayoutOptions, TableOptions

    # The rules engine (word alignment here), so that the cells do not depend on the table model being installed.
    def make(mode: str) -> Parser:
        return Parser(
            ParseOptions(
                ocr_mode=mode, layout=LayoutOptions(orientation=False), table=TableOptions(engine="rules")
            )
        )

    return {"auto": make("auto"), "always": make("always")}


def _figures_row(cells: list[str]) -> list[str]:
    """A table row's filled cells, dollar signs left out (OCR may read a lone '$' or not)."""
    out = [" ".join(c.replace("$", " ").split()) for c in cells]
    return [c for c in out if c]


@pytest.mark.parametrize("mode", ["auto", "always"])
def test_unruled_table_of_figures_read_as_text_is_a_table(
    parsers, tmp_path: Path, mode: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    pdf = statement_pdf(tmp_path / "statement.pdf")
    parser = parsers[mode]
    # The layout model alone leaves no table here: the figures would come out as paragraphs of numbers.
    with monkeypatch.context() as m:
        m.setattr(layout_order, "find_text_tables", lambda regions, lines: regions)
        plain = parser(pdf).pages[0]
    assert [b for b in plain.blocks if b.kind == "table"] == []
    assert any("2,532" in b.text for b in plain.blocks if b.kind in ("text", "reference", "title"))

    page = parser(pdf).pages[0]
    assert page.metadata["method"] == ("text-layer" if mode == "auto" else "ocr")
    tables = [b for b in page.blocks if b.kind == "table"]
    assert len(tables) == 1, [(b.kind, b.text) for b in page.blocks]
    grid = [_figures_row(r) for r in _grid(tables[0].data)]
    for row in ROWS:
        assert _figures_row(row) in grid, grid
    assert any("Year Ended" in c for r in grid for c in r)
    dates = [c for r in grid for c in r if c.startswith("Jan ")]  # one cell each (a unit line may join them)
    assert len(dates) == 3 and all(c.startswith(year) for c, year in zip(dates, YEARS)), dates
    # The running text around it stays text, and no figure of the table is left outside it.
    text = " ".join(b.text for b in page.blocks if b.kind != "table")
    assert "as follows:" in text and "not significant in these years" in text
    for row in ROWS:
        for cell in row[1:]:
            assert cell.replace("$ ", "") not in text.split()
    assert (
        "<td>Research and development</td><td>3,423</td><td>2,532</td><td>1,892</td>" in tables[0].data.html
    )
    if mode == "auto":  # the text layer keeps a '$' set apart from its amount
        assert "<td>Total</td><td>$ 4,737</td><td>$ 3,549</td><td>$ 2,710</td>" in tables[0].data.html


def _grid(data) -> list[list[str]]:  # type: ignore[no-untyped-def]
    cells = {(c["row"], c["col"]): c["text"] for c in data.cells}
    return [[cells.get((r, k), "") for k in range(data.cols)] for r in range(data.rows)]


@pytest.mark.parametrize("mode", ["auto", "always"])
def test_three_columns_of_running_text_with_numbers_are_no_table(parsers, tmp_path: Path, mode: str) -> None:  # type: ignore[no-untyped-def]
    page = parsers[mode](three_column_pdf(tmp_path / "columns.pdf")).pages[0]
    assert [b.kind for b in page.blocks if b.kind == "table"] == []
    text = " ".join(" ".join(b.text for b in page.blocks).split())
    assert "found that 31 of them had grown by 3.5 percent" in text
    assert "until the end of the season in October" in text


# -- the grid finder on phrases with known boxes ---------------------------------------------------------------


def test_cell_kinds() -> None:
    figures = [
        "1,136",
        "(23.5)",
        "$ 4,737",
        "$4,737",
        "-$12",
        "12.5%",
        "-40",
        "3.3 V",
        "16MHz",
        "2023",
        "0.41",
    ]
    for text in figures:
        assert cell_kind(text) == NUM, text
    for text in ["—", "-", "n/a"]:
        assert cell_kind(text) == DASH, text
    assert cell_kind("$") == CURRENCY
    for text in ["Total", "Jan 26, 2025", "Research and development", "12 new stations", "Fig. 3", "1.2.3a4"]:
        assert cell_kind(text) == TEXT, text


def _p(text: str, x: float, y: float, h: float = 20.0, right: bool = False) -> Phrase:
    w = 11.0 * len(text)
    x0 = x - w if right else x
    return Phrase(text, (x0, y, x0 + w, y + h), cell_kind(text))


def test_grid_of_figures_takes_labels_and_headers() -> None:
    phrases = [_p("Revenue for the year grew in every segment, as the table shows:", 0, 0)]
    phrases += [_p(t, x, 40, right=True) for t, x in (("2025", 700), ("2024", 850), ("2023", 1000))]
    rows = [("Revenue", "12,410", "11,032", "9,870"), ("Cost of sales", "(7,120)", "(6,544)", "(6,001)"),
            ("Gross profit", "5,290", "4,488", "3,869"), ("Operating profit", "2,280", "1,617", "1,204")]  # fmt: skip
    for k, (label, *figures) in enumerate(rows):
        y = 70 + 30 * k
        phrases.append(_p(label, 0, y))
        phrases += [_p(t, x, y, right=True) for t, x in zip(figures, (700, 850, 1000))]
    phrases.append(_p("The figures are unaudited.", 0, 220))
    grids = find_grids(phrases)
    assert len(grids) == 1
    held = {p.text for p in grids[0].phrases}
    assert held == {p.text for p in phrases[1:-1]}
    # The row of years is a row of figures too; the labels make a fourth column.
    assert (grids[0].rows, grids[0].columns) == (5, 4)


def test_contents_lists_and_fields_are_no_grids() -> None:
    # A table of contents: section numbers, titles, page numbers (with or without dot leaders).
    titles = [
        "Introduction",
        "Background",
        "Data collection",
        "Survey design",
        "Results",
        "Costs",
        "Discussion",
    ]
    for leaders in (False, True):
        toc = []
        for k, title in enumerate(titles):
            y = 30 * k
            toc += [
                _p(f"{k // 3 + 1}.{k % 3 + 1}", 0, y),
                _p(title + (" " + "." * 30 if leaders else ""), 60, y),
            ]
            toc.append(_p(str(3 + 4 * k + k % 2), 900, y, right=True))
        assert find_grids(toc) == [], leaders
    # An index in two columns: terms and their page numbers.
    terms = ["absorption", "accuracy", "acid rain", "adhesion", "aerosol", "albedo", "algae", "alloy"]
    index = [
        q
        for k, term in enumerate(terms)
        for q in (
            _p(term, 0, 30 * k),
            _p(str(3 + 4 * k), 400, 30 * k, right=True),
            _p(terms[-1 - k], 500, 30 * k),
            _p(str(130 + 5 * k), 900, 30 * k, right=True),
        )
    ]
    assert find_grids(index) == []
    # Two numbered lists side by side.
    items = [
        "Check the supply voltage",
        "Connect the cable",
        "Press reset",
        "Wait for the light",
        "Record it",
    ]
    lists = [
        q
        for k, item in enumerate(items)
        for q in (
            _p(f"{k + 1}.", 0, 30 * k),
            _p(item, 40, 30 * k),
            _p(f"{k + 6}.", 500, 30 * k),
            _p(item, 540, 30 * k),
        )
    ]
    assert find_grids(lists) == []
    # A form's fields: "Label:" and a value, two to a line.
    labels = ["Invoice no:", "Date:", "Customer:", "Order:", "Account:"]
    form = [
        q
        for k, label in enumerate(labels)
        for q in (
            _p(label, 0, 30 * k),
            _p(str(10423 + 7 * k), 400, 30 * k, right=True),
            _p(label, 500, 30 * k),
            _p(str(55 * k + 3), 900, 30 * k, right=True),
        )
    ]
    assert find_grids(form) == []
    # The same figures far apart (a chart's value labels): not a table.
    chart = [
        _p(t, x, 120 * k, right=True)
        for k in range(4)
        for t, x in (("12.5", 300), ("8.1", 600), ("3.3", 900))
    ]
    assert find_grids(chart) == []
