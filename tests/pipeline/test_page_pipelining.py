"""Pipelined multi-page OCR (detect page n+1 while page n is recognized) gives what page-by-page OCR gives."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from scriba.errors import InputError
from scriba.io.sources import PageImage
from scriba.pipeline.ocr import OCR, OCROptions
from tests.conftest import render_lines

PAGES = [
    ["Minutes of the meeting", "held on 12 March 2026"],
    ["Budget review", "travel costs fell by 8%"],
    ["Next steps", "send the report to all members"],
]


def _pdf_bytes() -> bytes:
    images = [Image.fromarray(render_lines(lines, size=34, width=900)) for lines in PAGES]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=100.0, save_all=True, append_images=images[1:])
    return buf.getvalue()


def test_pipelined_pages_equal_sequential_pages() -> None:
    data = _pdf_bytes()
    pipelined = OCR(options=OCROptions(dpi=100, pipeline_pages=True))(data)
    sequential = OCR(options=OCROptions(dpi=100, pipeline_pages=False))(data)
    got = [[line.text for line in p.lines] for p in pipelined.pages]
    assert got == [[line.text for line in p.lines] for p in sequential.pages]
    assert got == PAGES
    assert [p.index for p in pipelined.pages] == [0, 1, 2]


def test_next_page_is_queued_for_recognition_before_a_page_is_returned() -> None:
    engine = OCR(options=OCROptions(dpi=100))
    events: list[str] = []
    submit = engine.recognizer.submit

    def recording_submit(crops: list, *args: object, **kwargs: object) -> object:
        events.append("queued")
        return submit(crops, *args, **kwargs)

    engine.recognizer.submit = recording_submit  # type: ignore[method-assign]
    images = [render_lines(lines, size=34, width=900) for lines in PAGES]
    pages = (PageImage(image=img, source="doc", index=k) for k, img in enumerate(images))
    texts = []
    for _, page in engine.ocr_stream(pages):
        events.append("returned")
        texts.append([line.text for line in page.lines])
    assert texts == PAGES
    # Page 2's lines are queued while page 1 is still being read, and so on; the last page alone at the end.
    assert events == ["queued", "queued", "returned", "queued", "returned", "returned"]


def test_error_in_the_page_source_comes_out_after_earlier_pages() -> None:
    engine = OCR()
    image = render_lines(["first page"], size=34, width=700)

    def pages():
        yield PageImage(image=image, source="a.pdf", index=0)
        raise InputError("a.pdf", "page 2 is damaged")

    seen = []
    with pytest.raises(InputError):
        for _, page in engine.ocr_stream(pages()):
            seen.append(page.text)
    assert [t.strip() for t in seen] == ["first page"]


def test_stopping_early_ends_the_stage_threads_and_reads_a_bounded_lookahead() -> None:
    engine = OCR(options=OCROptions(dpi=100))
    image = render_lines(["a page of a long stream"], size=34, width=700)
    pulled = []

    def pages():
        for k in range(50):
            pulled.append(k)
            yield PageImage(image=image, source="long.pdf", index=k)

    stream = engine.ocr_stream(pages())
    _, first = next(stream)
    assert first.text.strip() == "a page of a long stream"
    stream.close()  # the consumer stops: every stage thread must end, and the source is not read to its end
    alive = [t.name for t in threading.enumerate() if t.name.startswith(("scriba-decode", "scriba-detect", "scriba-crop"))]
    assert alive == []
    assert len(pulled) <= 8


def test_upside_down_page_reads_right_and_reports_rotation() -> None:
    engine = OCR()
    image = render_lines(["Turned pages are read once", "after the classifier votes"], size=34, width=900)
    page = engine.ocr_image(image[::-1, ::-1].copy())
    assert page.metadata["rotation"] == 180
    assert [line.text for line in page.lines] == ["Turned pages are read once", "after the classifier votes"]


def test_bad_input_among_good_ones_is_collected_in_order(tmp_path) -> None:
    good = [tmp_path / "a.png", tmp_path / "c.png"]
    for path, text in zip(good, ["alpha page", "gamma page"]):
        Image.fromarray(render_lines([text], size=34, width=600)).save(path)
    bad = tmp_path / "b.png"
    bad.write_bytes(b"not an image")
    doc = OCR()([good[0], bad, good[1]], errors="collect")
    assert [p.error is not None for p in doc.pages] == [False, True, False]
    assert [p.text.strip() for p in doc.pages[::2]] == ["alpha page", "gamma page"]
    assert doc.pages[1].source.endswith("b.png")


SAMPLE_LINES = [f"Line {k} of a dense page, item {k * 7}" for k in range(12)]


class _Counting:
    """The real classifier, recording how many crops each call gets."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.calls: list[int] = []

    def __call__(self, crops: list) -> list:
        self.calls.append(len(crops))
        return self.real(crops)

    def should_flip(self, result: object) -> bool:
        return self.real.should_flip(result)


def _counting_classifier(engine: OCR) -> list[int]:
    engine.classifier = _Counting(engine.classifier)
    return engine.classifier.calls


def test_classifier_sample_skips_the_rest_of_an_upright_page() -> None:
    engine = OCR(cls_sample=3)
    seen = _counting_classifier(engine)
    page = engine.ocr_image(render_lines(SAMPLE_LINES, size=28, width=900, spacing=1.6))
    assert seen == [3]  # the 3 widest lines, nothing else
    assert [line.text for line in page.lines] == SAMPLE_LINES


def test_classifier_sample_still_turns_an_upside_down_page() -> None:
    engine = OCR(cls_sample=3)
    seen = _counting_classifier(engine)
    image = render_lines(SAMPLE_LINES, size=28, width=900, spacing=1.6)
    page = engine.ocr_image(image[::-1, ::-1].copy())
    assert seen[0] == 3 and sum(seen) >= len(SAMPLE_LINES)  # the sample says "turned": every line is classified
    assert page.metadata["rotation"] == 180
    assert [line.text for line in page.lines] == SAMPLE_LINES
