"""A page reads the same whatever was read before it: a Chinese page after English pages keeps every Han
character, through one OCR engine and one Parser reused across calls, and within one multi-page call."""

from __future__ import annotations

import numpy as np

from scriba import OCR, ParseOptions, Parser
from tests.conftest import CHINESE_PAGE_LINES, chinese_page, latin_page


def _lines(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.text for line in page.lines]


def test_ocr_engine_reads_a_chinese_page_after_latin_pages_as_alone() -> None:
    zh, en = chinese_page(), latin_page()
    alone = _lines(OCR(model="ppocrv5")(zh).pages[0])
    assert alone == CHINESE_PAGE_LINES
    ocr = OCR(model="ppocrv5")
    for _ in range(2):
        ocr(en)
    assert _lines(ocr(zh).pages[0]) == alone
    # One call, pages pipelined through the recognizer back to back.
    doc = ocr([en, zh, en, zh])
    assert _lines(doc.pages[1]) == alone and _lines(doc.pages[3]) == alone
    assert _lines(doc.pages[0]) == _lines(doc.pages[2])


def test_recognizer_decides_its_head_per_call() -> None:
    """The recognizer alone: English crops then Chinese crops read as the Chinese crops alone."""
    ocr = OCR(model="ppocrv5")
    zh, en = chinese_page(), latin_page()

    def crops(img: np.ndarray) -> list[np.ndarray]:
        boxes = ocr.detector(img).boxes
        return [img[int(b[:, 1].min()) : int(b[:, 1].max()), int(b[:, 0].min()) : int(b[:, 0].max())] for b in boxes]

    zh_crops, en_crops = crops(zh), crops(en)
    alone = [r.text for r in ocr.recognizer(zh_crops)]
    assert any("年" in t for t in alone)
    first = ocr.recognizer.submit(en_crops)
    second = ocr.recognizer.submit(zh_crops)  # submitted before the English results are in
    first()
    assert [r.text for r in second()] == alone


def test_parser_reads_a_chinese_page_after_latin_pages_as_alone() -> None:
    zh, en = chinese_page(), latin_page()
    options = ParseOptions(ocr_mode="always")
    alone = Parser(options)(zh).pages[0]
    text_alone = [line.text for block in alone.blocks for line in block.lines]
    assert "会议时间：2023年08月25日" in text_alone
    parser = Parser(options)
    parser(en)
    after = parser([en, zh]).pages[1]
    assert [line.text for block in after.blocks for line in block.lines] == text_alone
