"""Exports of a real OCR result: JSON schema and round trip, hOCR as XML, Markdown paragraphs, overlay PNG."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scriba.block_types import BlockKind, FigureData, TableData
from scriba.document import Block, Document, Line, Page, Word
from scriba.export.overlay import draw_overlay
from tests.conftest import font
from tests.export.schema import check_document

FIRST = ["Exports come from one tree:", "text, JSON, hOCR and Markdown."]
SECOND = ["A second paragraph starts", "after a wide gap."]


@pytest.fixture(scope="module")
def page_image() -> np.ndarray:
    f = font("sans", 30)
    img = Image.new("RGB", (1000, 520), "white")
    draw = ImageDraw.Draw(img)
    for k, text in enumerate(FIRST):
        draw.text((60, 50 + 46 * k), text, font=f, fill="black")
    for k, text in enumerate(SECOND):
        draw.text((60, 300 + 46 * k), text, font=f, fill="black")
    return np.asarray(img)


@pytest.fixture(scope="module")
def doc(page_image: np.ndarray) -> Document:
    from scriba import OCR

    engine = OCR(model="ppocrv5")
    document = engine([page_image, page_image])
    assert [[ln.text for ln in b.lines] for b in document.pages[0].blocks] == [FIRST, SECOND]
    return document


def test_text_export(doc: Document) -> None:
    page_text = "\n".join(FIRST) + "\n\n" + "\n".join(SECOND)
    assert doc.text() == page_text + "\n\f\n" + page_text


def test_json_follows_schema(doc: Document) -> None:
    data = json.loads(doc.to_json())
    check_document(data)
    assert len(data["pages"]) == 2
    page = data["pages"][0]
    assert (page["width"], page["height"], page["index"]) == (1000, 520, 0)
    line = page["blocks"][0]["lines"][0]
    assert line["text"] == FIRST[0]
    assert [w["text"] for w in line["words"]] == FIRST[0].split()


def test_json_round_trip(doc: Document) -> None:
    text = doc.to_json()
    loaded = Document.from_json(text)
    assert loaded.to_dict() == doc.to_dict()
    assert loaded.to_json() == text
    assert loaded.text() == doc.text()
    assert Document.from_json(loaded.to_json()) == loaded  # exact once at JSON precision


def test_json_keeps_block_types_attributes_and_errors() -> None:
    word = Word("42", 0.9, [[0, 0], [10, 0], [10, 5], [0, 5]])
    line = Line("42", 0.9, word.polygon, [word])
    table = Block(
        [line],
        word.polygon,
        kind="table",
        attributes={"source_id": "t1"},
        data=TableData(html="<table></table>", rows=1),
    )
    page = Page(100, 50, 3, "x.pdf", [table], metadata={"method": "text-layer"})
    bad = Page(0, 0, 0, "broken.png", error="file is empty")
    doc = Document([page, bad], metadata={"model": "ppocrv5"})
    loaded = Document.from_json(doc.to_json())
    assert loaded == doc
    block = json.loads(doc.to_json())["pages"][0]["blocks"][0]
    assert block["type"] == "table" and block["html"] == "<table></table>" and block["source_id"] == "t1"
    assert loaded.pages[0].blocks[0].kind is BlockKind.TABLE
    assert isinstance(loaded.pages[0].blocks[0].data, TableData) and loaded.pages[0].blocks[0].data.rows == 1


def test_block_kinds_are_typed() -> None:
    block = Block(kind="figure")
    assert block.kind is BlockKind.FIGURE and block.kind == "figure"
    block.kind = "text"  # stages retype blocks with plain names too
    assert block.kind is BlockKind.TEXT
    with pytest.raises(ValueError, match="unknown block kind 'picture'"):
        Block(kind="picture")
    figure = Block(kind="figure")
    figure.payload(FigureData).caption = "Figure 1. A chart"
    assert figure.to_dict()["caption"] == "Figure 1. A chart" and figure.to_dict()["image"] is None


def test_hocr_is_xml_with_word_boxes(doc: Document) -> None:
    root = ET.fromstring(doc.to_hocr())
    ns = "{http://www.w3.org/1999/xhtml}"
    spans = list(root.iter(f"{ns}span"))
    words = [s for s in spans if s.get("class") == "ocrx_word"]
    lines = [s for s in spans if s.get("class") == "ocr_line"]
    pages = [d for d in root.iter(f"{ns}div") if d.get("class") == "ocr_page"]
    assert len(pages) == 2
    assert len(lines) == 2 * (len(FIRST) + len(SECOND))
    expected = " ".join(FIRST + SECOND).split()
    assert [w.text for w in words[: len(expected)]] == expected
    for w in words:
        m = re.search(r"bbox (\d+) (\d+) (\d+) (\d+); x_wconf (\d+)", w.get("title", ""))
        assert m, w.get("title")
        x0, y0, x1, y1, conf = map(int, m.groups())
        assert 0 <= x0 < x1 <= 1000 and 0 <= y0 < y1 <= 520 and 0 <= conf <= 100


def test_hocr_escapes_markup() -> None:
    word = Word("<b>&", 1.0, [[0, 0], [10, 0], [10, 5], [0, 5]])
    doc = Document([Page(20, 10, blocks=[Block([Line("<b>&", 1.0, word.polygon, [word])], word.polygon)])])
    root = ET.fromstring(doc.to_hocr())
    assert "<b>&" in "".join(root.itertext())


def test_markdown_paragraphs(doc: Document) -> None:
    md = doc.to_markdown()
    paragraphs = md.strip().split("\n\n")
    assert paragraphs[:2] == [" ".join(FIRST), " ".join(SECOND)]
    assert len(paragraphs) == 4


def test_overlay_png(tmp_path, doc: Document, page_image: np.ndarray) -> None:
    overlay = draw_overlay(page_image, doc.pages[0])
    path = tmp_path / "overlay.png"
    overlay.save(path)
    with Image.open(path) as img:
        assert img.size == (1000, 520) and img.mode == "RGB"
        arr = np.asarray(img)
    # Word boxes are drawn in red where the page was white.
    red = (arr[:, :, 0] > 180) & (arr[:, :, 1] < 80) & (arr[:, :, 2] < 80)
    assert red.sum() > 100
