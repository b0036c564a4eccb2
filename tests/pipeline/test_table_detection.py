"""Finding tables: a table image with no page around it is one table block; running text in columns and a
diagram's labels are not tables."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scriba.document import Line, Word, polygon_of_bbox
from scriba.models.layout.picodet import page_canvas
from scriba.pipeline.layout_order import Region, confirm_tables
from scriba.pipeline.tables import TableWord, _extent, looks_like_grid
from tests.conftest import font

GRID = [
    ["Station", "Rainfall", "Days", "Mean"],
    ["Hillside", "312", "41", "8.5"],
    ["Riverside", "198", "37", "9.1"],
    ["Quarry", "97", "22", "10.4"],
]

PROSE = [
    "The committee reviewed the proposal in detail before the annual meeting of the members.",
    "Measurements were taken every morning at the same station near the river and the old mill.",
    "Most of the samples showed a steady increase in temperature over the whole of the season.",
    "A second survey confirmed the trend across all of the northern districts and the coast.",
    "The results suggest that the new method reduces the cost of each test by a third.",
    "Further work is needed to understand the effect of humidity on the sensors in winter.",
    "Volunteers recorded the number of birds seen at each site during the spring migration.",
    "The library extended its opening hours to serve students during the examination weeks.",
]


def _table_image() -> np.ndarray:
    """A 4 x 4 table alone (a crop, as in PubTabNet: wide and short, no page margins), ruled as papers rule
    them: above and below the header and at the end. Stretched to the layout model's page shape it was a figure."""
    f = font("sans", 22)
    col_w, row_h = 190, 46
    img = Image.new("RGB", (4 * col_w + 12, 4 * row_h + 12), "white")
    d = ImageDraw.Draw(img)
    for r in (0, 1, 4):
        d.line([(6, 6 + r * row_h), (6 + 4 * col_w, 6 + r * row_h)], fill="black", width=1)
    for r, row in enumerate(GRID):
        for c, text in enumerate(row):
            d.text((6 + c * col_w + 6, 6 + r * row_h + 12), text, font=f, fill="black")
    return np.asarray(img)


def _wrap(words: list[str], width: int, f) -> list[str]:  # type: ignore[no-untyped-def]
    lines, cur = [], ""
    for w in words:
        cand = f"{cur} {w}".strip()
        if f.getlength(cand) > width and cur:
            lines.append(cur)
            cur = w
        else:
            cur = cand
    return [*lines, cur] if cur else lines


def _three_column_page() -> np.ndarray:
    """An A4-shaped page of running text in three justified-width columns, continuing from column to column."""
    f = font("serif", 22)
    width, height, margin, gutter = 1654, 2339, 120, 50
    col_w = (width - 2 * margin - 2 * gutter) // 3
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    text = " ".join(PROSE * 3).split()
    lines = _wrap(text, col_w, f)
    per_col = -(-len(lines) // 3)
    for k, line in enumerate(lines):
        col, row = divmod(k, per_col)
        d.text((margin + col * (col_w + gutter), margin + row * 36), line, font=f, fill="black")
    return np.asarray(img)


@pytest.fixture(scope="module")
def parser():  # type: ignore[no-untyped-def]
    from scriba import ParseOptions, Parser
    from scriba.pipeline.parse import LayoutOptions, TableOptions

    # The rules engine (word alignment here), so that the cells do not depend on the table model being installed.
    return Parser(
        ParseOptions(
            ocr_mode="always", layout=LayoutOptions(orientation=False), table=TableOptions(engine="rules")
        )
    )


def test_table_image_without_a_page_is_one_table_block(parser) -> None:  # type: ignore[no-untyped-def]
    page = parser(_table_image()).pages[0]
    tables = [b for b in page.blocks if b.kind == "table"]
    assert len(tables) == 1, [(b.kind, b.text) for b in page.blocks]
    cells = {(c["row"], c["col"]): c["text"] for c in tables[0].data.cells}
    assert (tables[0].data.rows, tables[0].data.cols) == (4, 4)
    assert [[cells[r, c] for c in range(4)] for r in range(4)] == GRID
    assert "<td>Riverside</td><td>198</td>" in tables[0].data.html


def test_three_column_prose_page_has_no_table(parser) -> None:  # type: ignore[no-untyped-def]
    page = parser(_three_column_page()).pages[0]
    assert [b.kind for b in page.blocks if b.kind == "table"] == []
    text = " ".join(" ".join(b.text for b in page.blocks).split())
    assert "steady increase in temperature" in text
    assert "examination weeks" in text


def _words(rows: list[tuple[float, list[tuple[float, str]]]], h: float = 20) -> list[TableWord]:
    return [TableWord(t, (x, y, x + 12 * len(t), y + h)) for y, cells in rows for x, t in cells]


def test_grid_of_short_phrases_is_a_table_and_spread_labels_are_not() -> None:
    cols = [(0.0, "Group"), (200.0, "12.5"), (320.0, "0.41"), (440.0, "n/a")]
    table = _words([(30.0 * k, cols) for k in range(5)])
    assert looks_like_grid(table, (0, 0, 500, 150))
    # The same labels three line heights apart (a diagram's labels between its shapes): not a table.
    diagram = _words([(80.0 * k, cols) for k in range(5)])
    assert not looks_like_grid(diagram, (0, 0, 500, 400))
    # A grid in one corner of a big figure (a chart's legend): not a table.
    assert not looks_like_grid(table, (0, 0, 1500, 900))
    # Lines of running text side by side (two columns of prose): not a table.
    prose = _words(
        [
            (30.0 * k, [(0.0, "the committee reviewed the proposal"), (600.0, "in detail before the annual")])
            for k in range(6)
        ]
    )
    assert not looks_like_grid(prose, (0, 0, 1000, 180))
    # A form's "Label:" fields in columns: not a table.
    form = _words(
        [(30.0 * k, [(0.0, "Name:"), (150.0, "Rivera"), (400.0, "Date:"), (550.0, "May")]) for k in range(5)]
    )
    assert not looks_like_grid(form, (0, 0, 650, 150))


def _sentence(text: str, y: float, h: float = 20) -> list[TableWord]:
    """Words of a line of running text: one space (6 px) between them."""
    out, x = [], 0.0
    for t in text.split():
        out.append(TableWord(t, (x, y, x + 12 * len(t), y + h)))
        x += 12 * len(t) + 6
    return out


def _line(words: list[TableWord]) -> Line:
    return Line(
        text=" ".join(w.text for w in words),
        confidence=1.0,
        polygon=polygon_of_bbox(*_extent(words)),
        words=[Word(w.text, 1.0, polygon_of_bbox(*w.box)) for w in words],
    )


def test_unsure_table_is_kept_over_a_grid_and_wins_over_a_figure() -> None:
    cols = [(0.0, "Group"), (200.0, "12.5"), (320.0, "0.41"), (440.0, "n/a")]
    grid = [_line(_words([(30.0 * k, cols)])) for k in range(5)]
    box = (0.0, 0.0, 500.0, 150.0)
    regions = [Region("figure", box, 0.8), Region("table", box, 0.3)]
    assert [r.kind for r in confirm_tables(regions, grid)] == ["table"]
    # The same unsure table over running text goes; the figure stays.
    prose = [_line(_sentence(PROSE[k][:40], 30.0 * k)) for k in range(5)]
    regions = [Region("figure", box, 0.8), Region("table", box, 0.3)]
    assert [r.kind for r in confirm_tables(regions, prose)] == ["figure"]
    # A confident table stays whatever its words.
    assert [r.kind for r in confirm_tables([Region("table", box, 0.9)], prose)] == ["table"]


def test_page_canvas_pads_crops_and_leaves_pages() -> None:
    aspect = 608 / 800
    a4 = np.zeros((1169, 827, 3), np.uint8)
    same, ox, oy = page_canvas(a4, aspect, 1.5)
    assert same is a4 and (ox, oy) == (0, 0)
    wide = np.zeros((50, 500, 3), np.uint8)
    canvas, ox, oy = page_canvas(wide, aspect, 1.5)
    h, w = canvas.shape[:2]
    assert w == 500 and (w / h) == pytest.approx(aspect * 1.5, rel=0.01)
    assert canvas[oy : oy + 50, ox : ox + 500].max() == 0 and canvas[0, 0, 0] == 255


def test_an_exam_papers_questions_and_choices_are_not_a_table() -> None:
    from scriba.pipeline.layout_order import drop_prose_tables

    texts = [
        "数学单元测试（第三章）",
        "1. 下列各数中，最大的数是（）",
        "A.2 B.32 C.9 D.50",
        "2. 计算的结果等于（）",
        "A.27 B.11 C.45 D.4",
        "3. Which of the numbers below is a prime?",
        "A. 21 B. 23 C. 25 D. 27",
    ]
    lines = [Line(t, 1.0, polygon_of_bbox(100, 100 + 40 * k, 700, 130 + 40 * k)) for k, t in enumerate(texts)]
    exam = Region("table", (90, 90, 710, 400), 0.9)
    assert drop_prose_tables([exam], lines) == []
    # A table whose first column numbers its rows is still a table.
    rows = [f"{k}. Station {k} 312 41 8.5" for k in range(1, 7)]
    numbered = [Line(t, 1.0, polygon_of_bbox(100, 100 + 40 * k, 700, 130 + 40 * k)) for k, t in enumerate(rows)]
    table = Region("table", (90, 90, 710, 400), 0.9)
    assert drop_prose_tables([table], numbered) == [table]
