"""Born-digital pages whose content is printed sideways (a landscape table on a portrait page): the text
layer's turned glyphs are read as words and lines in their own direction, and the page is laid out upright."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from scriba import BlockKind, ParseOptions, Parser, TableData
from scriba.io.textlayer import read_text_layer
from tests.pipeline.parse_fixtures import SIDEWAYS_CAPTION, SIDEWAYS_NOTE, SIDEWAYS_TABLE, sideways_pdf


@pytest.mark.parametrize(("quarter", "turn"), [(1, 270), (-1, 90)])
def test_turned_glyphs_form_words_and_lines(tmp_path: Path, quarter: int, turn: int) -> None:
    pdf = pdfium.PdfDocument(sideways_pdf(tmp_path / "sideways.pdf", quarter))
    try:
        layer = read_text_layer(pdf[0], 2.0)
    finally:
        pdf.close()
    assert layer.turn == turn
    texts = [line.text for line in layer.lines]
    assert SIDEWAYS_CAPTION in texts and SIDEWAYS_NOTE in texts
    assert {"Q1 sales", "Central"} <= set(texts)  # cells, not one letter per line
    # Polygons stay on the page as given: a line read upwards is tall and narrow there.
    caption = next(line for line in layer.lines if line.text == SIDEWAYS_CAPTION)
    xs, ys = [p[0] for p in caption.polygon], [p[1] for p in caption.polygon]
    assert max(ys) - min(ys) > 5 * (max(xs) - min(xs))


@pytest.mark.parametrize("quarter", [1, -1])
def test_sideways_table_is_parsed_upright(tmp_path: Path, quarter: int) -> None:
    doc = Parser(ParseOptions(dpi=144))(sideways_pdf(tmp_path / "sideways.pdf", quarter))
    page = doc.pages[0]
    assert page.metadata["method"] == "text-layer" and page.metadata["rotation"] in (90, 270)
    assert page.width > page.height  # laid out in the landscape frame the content is printed in
    table = next(b for b in page.blocks if b.kind is BlockKind.TABLE)
    assert isinstance(table.data, TableData) and table.data.rows == len(SIDEWAYS_TABLE)
    cells = {(c["row"], c["col"]): c["text"] for c in table.data.cells}
    for r, row in enumerate(SIDEWAYS_TABLE):
        for k, text in enumerate(row):
            assert cells[(r, k)] == text
    md = doc.to_markdown()
    assert md.index(SIDEWAYS_CAPTION) < md.index("<table>") < md.index(SIDEWAYS_NOTE)


def test_upright_pages_keep_their_frame(tmp_path: Path) -> None:
    from tests.pipeline.parse_fixtures import article_pdf

    page = Parser(ParseOptions(dpi=144))(article_pdf(tmp_path / "article.pdf"), pages="1").pages[0]
    assert page.metadata["rotation"] == 0 and page.height > page.width
