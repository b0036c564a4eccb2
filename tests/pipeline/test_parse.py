"""The parser on PDFs generated here with known text: reading order, headings, tables, captions, margins,
scanned pages through OCR, encrypted / corrupt inputs and a failing page."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest

from scriba import Document, InputError, ParseOptions, Parser
from tests.conftest import render_lines
from tests.pipeline.parse_fixtures import (
    CAPTION,
    CLOSING,
    LEFT,
    RIGHT,
    TABLE,
    TITLE,
    article_pdf,
    scanned_pdf,
)


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser(ParseOptions(dpi=144))


@pytest.fixture(scope="module")
def article(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return article_pdf(tmp_path_factory.mktemp("parse") / "article.pdf")


@pytest.fixture(scope="module")
def article_doc(parser: Parser, article: Path) -> Document:
    return parser(article)


def _joined(lines: list[str]) -> str:
    text = " ".join(lines)
    return re.sub(r"-\s(?=[a-z])", "", text)  # the hyphenated line break mends to one word


def test_pages_read_from_the_text_layer(article_doc: Document) -> None:
    assert [p.metadata["method"] for p in article_doc.pages[:2]] == ["text-layer", "text-layer"]
    assert all(p.error is None for p in article_doc.pages)


def test_two_columns_read_column_by_column(article_doc: Document) -> None:
    page = article_doc.pages[0]
    body = [b for b in page.blocks if b.kind not in ("header", "footer", "page_number")]
    assert [b.kind for b in body] == ["title", "text", "text", "text", "text"]
    assert body[0].text == TITLE
    expected = [_joined(p) for p in LEFT + RIGHT]
    assert [_joined([line.text for line in b.lines]) for b in body[1:]] == expected


def test_markdown_has_heading_paragraphs_and_no_page_number(article_doc: Document) -> None:
    md = article_doc.to_markdown()
    paragraphs = md.split("\n\n")
    assert paragraphs[0] == f"# {TITLE}"
    assert paragraphs[1:5] == [_joined(p) for p in LEFT + RIGHT]
    page_numbers = [b for b in article_doc.pages[0].blocks if b.kind == "page_number"]
    assert [b.text for b in page_numbers] == ["7"]  # kept in JSON ...
    assert "\n7\n" not in md and not md.startswith("7")  # ... out of the Markdown body


def test_ruled_table_cells_and_caption(article_doc: Document) -> None:
    page = article_doc.pages[1]
    kinds = [b.kind for b in page.blocks]
    assert kinds[:2] == ["table_caption", "table"]
    table = page.blocks[1]
    assert table.data.rows == 4 and table.data.cols == 3
    grid = [["" for _ in range(3)] for _ in range(4)]
    for cell in table.data.cells:
        assert cell["rowspan"] == 1 and cell["colspan"] == 1
        grid[cell["row"]][cell["col"]] = cell["text"]
    assert grid == TABLE
    assert table.data.table_method == "ruled"
    assert table.data.caption == CAPTION
    assert table.data.html == (
        "<table><thead><tr><td>Region</td><td>2022</td><td>2023</td></tr></thead><tbody>"
        "<tr><td>North</td><td>120</td><td>135</td></tr><tr><td>South</td><td>98</td><td>101</td></tr>"
        "<tr><td>East</td><td>77</td><td>80</td></tr></tbody></table>"
    )
    md = article_doc.to_markdown()
    assert f"*{CAPTION}*\n\n<table>" in md


def test_hyphenated_line_break_is_joined(article_doc: Document) -> None:
    md = article_doc.to_markdown()
    assert CLOSING in md


def test_empty_page_has_no_blocks(article_doc: Document) -> None:
    empty = article_doc.pages[2]
    assert empty.error is None and empty.blocks == []


def test_page_of_one_colour_is_not_read_by_ocr() -> None:
    class NoOCR:
        def ocr_image(self, *_: object, **__: object) -> None:
            raise AssertionError("a page of one colour was sent to OCR")

    parser = Parser(ParseOptions(dpi=144))
    parser._ocr = NoOCR()
    for colour in (255, 0, 128):
        page = parser.parse_image(np.full((600, 400, 3), colour, np.uint8)).page
        assert page.error is None and page.lines == [] and page.metadata["method"] == "ocr"


def test_json_round_trip_keeps_block_types(article_doc: Document) -> None:
    again = Document.from_json(article_doc.to_json())
    assert again.to_markdown() == article_doc.to_markdown()
    assert [b.kind for b in again.pages[1].blocks] == [b.kind for b in article_doc.pages[1].blocks]


def test_ocr_never_and_always(parser: Parser, article: Path) -> None:
    never = Parser(ParseOptions(dpi=144, ocr_mode="never"))(article, pages="1")
    assert never.pages[0].metadata["method"] == "text-layer"
    always = Parser(ParseOptions(dpi=144, ocr_mode="always"))(article, pages="2")
    page = always.pages[0]
    assert page.metadata["method"] == "ocr"
    table = next(b for b in page.blocks if b.kind == "table")
    texts = {c["text"] for c in table.data.cells}
    assert {"North", "South", "East", "120"} <= texts


def test_scanned_page_goes_through_ocr(parser: Parser, tmp_path: Path) -> None:
    lines = [
        "Scanned pages have no text layer",
        "so the parser reads them with OCR",
        "and keeps the order of lines",
    ]
    pdf = scanned_pdf(tmp_path / "scan.pdf", render_lines(lines, size=40, font_name="serif"))
    doc = parser(pdf)
    page = doc.pages[0]
    assert page.metadata["method"] == "ocr"
    words = doc.to_markdown().split()
    for expected in ("Scanned", "layer", "parser", "OCR", "order"):
        assert expected in words
    assert words.index("Scanned") < words.index("parser") < words.index("order")


def test_encrypted_pdf_needs_its_password(tmp_path: Path) -> None:
    pdf = article_pdf(tmp_path / "locked.pdf", encrypt="s3cret")
    p = Parser(ParseOptions(dpi=144))
    with pytest.raises(InputError, match="encrypted"):
        p(pdf)
    with pytest.raises(InputError, match="wrong password"):
        p(pdf, password="nope")
    doc = p(pdf, password="s3cret", pages="1")
    assert doc.pages[0].blocks[0].text == TITLE


def test_corrupt_and_truncated_pdf(parser: Parser, article: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(article.read_bytes()[:700])
    with pytest.raises(InputError, match="corrupt or truncated"):
        parser(truncated)
    doc = parser([truncated, article], errors="collect", pages="1")
    assert doc.pages[0].error and doc.pages[1].blocks[0].text == TITLE


def test_a_failing_page_is_recorded_and_the_rest_parsed(
    article: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scriba.pipeline.parse as parse_module

    real = parse_module.read_text_layer
    calls = {"n": 0}

    def fail_on_second_page(page, scale):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:  # fault injection: the second page's text layer cannot be read
            raise RuntimeError("damaged content stream")
        return real(page, scale)

    monkeypatch.setattr(parse_module, "read_text_layer", fail_on_second_page)
    doc = Parser(ParseOptions(dpi=144))(article)
    assert [p.index for p in doc.pages] == [0, 1, 2]
    assert doc.pages[1].error == "RuntimeError: damaged content stream"
    assert doc.pages[0].blocks[0].text == TITLE
    assert '"error": "RuntimeError: damaged content stream"' in doc.to_json()


def test_page_orientation_model_reads_all_four_turns() -> None:
    import cv2

    from scriba.models.classification.orientation import PageOrientation

    page = render_lines(
        ["Pages fed sideways into a scanner", "come out turned by a quarter turn", "or upside down, and the parser",
         "turns them upright before reading"], size=40, font_name="serif")  # fmt: skip
    po = PageOrientation()
    turns = {0: page, 90: cv2.rotate(page, cv2.ROTATE_90_CLOCKWISE), 180: cv2.rotate(page, cv2.ROTATE_180),
             270: cv2.rotate(page, cv2.ROTATE_90_COUNTERCLOCKWISE)}  # fmt: skip
    for angle, image in turns.items():
        assert po.detect(image) == angle
        assert np.array_equal(po.upright(image, angle), page)


def test_scan_turned_sideways_is_read_upright(parser: Parser, tmp_path: Path) -> None:
    import cv2

    lines = [
        "Scanned pages have no text layer",
        "so the parser reads them with OCR",
        "and keeps the order of lines",
    ]
    turned = cv2.rotate(render_lines(lines, size=40, font_name="serif"), cv2.ROTATE_90_CLOCKWISE)
    doc = parser(scanned_pdf(tmp_path / "sideways.pdf", turned))
    page = doc.pages[0]
    assert page.metadata["method"] == "ocr" and page.metadata["rotation"] == 90
    words = doc.to_markdown().split()
    assert words.index("Scanned") < words.index("parser") < words.index("order")


def test_streamed_pages_equal_pages_parsed_one_by_one(article: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream reads page n+1's text layer while the layout model runs on page n on a thread of its own;
    the blocks are those of each page parsed alone."""
    import pypdfium2 as pdfium

    from scriba.models.layout.picodet import LayoutDetector

    threads: set[str] = set()
    real = LayoutDetector.__call__

    def recording(self, rgb):  # type: ignore[no-untyped-def]
        threads.add(threading.current_thread().name)
        return real(self, rgb)

    monkeypatch.setattr(LayoutDetector, "__call__", recording)
    parser = Parser(ParseOptions(dpi=144))
    streamed = parser(article)
    layout_threads = {name.split("_")[0] for name in threads}
    pdf = pdfium.PdfDocument(str(article))
    alone = [parser.parse_pdf_page(pdf[k], "article.pdf", k, "article").page for k in range(len(pdf))]
    assert [[(b.kind, b.text) for b in p.blocks] for p in streamed.pages] == [
        [(b.kind, b.text) for b in p.blocks] for p in alone
    ]
    assert streamed.pages[0].blocks[0].text == TITLE
    assert "scriba-layout" in layout_threads  # text-layer pages (a page without text is read by OCR here)


def test_a_failing_layout_run_is_recorded_on_its_page(article: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scriba.models.layout.picodet import LayoutDetector

    real = LayoutDetector.__call__
    calls = {"n": 0}

    def fail_on_second_page(self, rgb):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:  # fault injection on the layout thread
            raise RuntimeError("layout model failed")
        return real(self, rgb)

    monkeypatch.setattr(LayoutDetector, "__call__", fail_on_second_page)
    doc = Parser(ParseOptions(dpi=144))(article)
    assert [p.error for p in doc.pages] == [None, "RuntimeError: layout model failed", None]
    assert doc.pages[0].blocks[0].text == TITLE
