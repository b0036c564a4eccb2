"""Every kind of bad input raises InputError naming the input and saying what is wrong (API level)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scriba.errors import InputError
from scriba.io.pdf import PageError
from scriba.io.sources import Source, expand_inputs, iter_pages
from tests.conftest import render_lines
from tests.io.bad_files import (
    BAD_INPUTS,
    absurd_mediabox,
    lying_page_count,
    pdf_with_broken_page,
    raw_png,
    unreadable,
)


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_file_gives_input_error(tmp_path: Path, kind: str) -> None:
    writer, words = BAD_INPUTS[kind]
    path = writer(tmp_path)
    (src,) = expand_inputs([str(path)])
    with pytest.raises(InputError) as info:
        list(iter_pages(src))
    assert info.value.source == str(path)
    assert str(path) in str(info.value)
    assert any(w.lower() in info.value.reason.lower() for w in words), info.value.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file(tmp_path: Path) -> None:
    (src,) = expand_inputs([str(unreadable(tmp_path))])
    with pytest.raises(InputError, match="cannot read"):
        list(iter_pages(src))


@pytest.mark.parametrize(
    "obj",
    [np.zeros((0, 10, 3), np.uint8), np.zeros((10, 0), np.uint8), Image.new("RGB", (0, 5)), b""],
    ids=["array-0-rows", "array-0-cols", "pil-0-wide", "empty-bytes"],
)
def test_empty_in_memory_inputs(obj: object) -> None:
    (src,) = expand_inputs([obj])
    with pytest.raises(InputError):
        list(iter_pages(src))


def test_huge_in_memory_png_is_refused_before_decoding() -> None:
    src = Source("<bytes>", obj=raw_png(20_000, 12_000))
    with pytest.raises(InputError, match="200 MP limit"):
        list(iter_pages(src))


def test_pdf_with_password(tmp_path: Path) -> None:
    path = BAD_INPUTS["encrypted-pdf"][0](tmp_path)
    (src,) = expand_inputs([str(path)])
    with pytest.raises(InputError, match="wrong password"):
        list(iter_pages(src, password="guess"))
    (page,) = list(iter_pages(src, password="user-pass", dpi=50))
    assert page.image.ndim == 3


def test_a_batch_goes_on_past_bad_inputs(tmp_path: Path, ocr_engine, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(render_lines(["Still read after errors"], size=36, width=700)).save(good)
    bad = [BAD_INPUTS[k][0](tmp_path) for k in ("missing", "empty", "corrupt-pdf")]
    inputs = [str(bad[0]), str(good), str(bad[1]), str(bad[2])]
    with pytest.raises(InputError, match="no such file"):
        ocr_engine(inputs)
    doc = ocr_engine(inputs, errors="collect")
    assert [p.source for p in doc.pages] == inputs
    assert [p.error is not None for p in doc.pages] == [True, False, True, True]
    assert doc.pages[1].text == "Still read after errors"
    err = capsys.readouterr().err
    assert all(str(b) in err for b in bad)


@pytest.mark.parametrize("inputs", [None, 5, [3.5], ["a.png", object()]])
def test_unsupported_input_types_say_what_is_accepted(inputs: object) -> None:
    with pytest.raises(TypeError, match=r"unsupported input type \w+: pass paths, bytes, arrays or PIL images"):
        expand_inputs(inputs)


def test_pdf_page_that_fails_to_load_is_named_and_the_others_are_read(tmp_path: Path) -> None:
    path = pdf_with_broken_page(tmp_path / "broken_page.pdf", ["one", "two", "three"], broken=1)
    (src,) = expand_inputs([str(path)])
    with pytest.raises(PageError, match=r"broken_page\.pdf: page 2: unreadable") as info:
        list(iter_pages(src, dpi=30))
    assert info.value.index == 1
    failed: list[PageError] = []
    pages = list(iter_pages(src, dpi=30, on_page_error=failed.append))
    assert [p.index for p in pages] == [0, 2]
    assert [e.index for e in failed] == [1]


def test_absurd_mediabox_is_refused_before_rendering(tmp_path: Path) -> None:
    (src,) = expand_inputs([str(absurd_mediabox(tmp_path))])
    failed: list[PageError] = []
    pages = list(iter_pages(src, dpi=200, on_page_error=failed.append))
    assert [p.index for p in pages] == [0]
    assert pages[0].image.shape[:2] == (2200, 1700)
    (e,) = failed
    assert str(e).startswith(f"{src.name}: page 2: size 9999999 x 9999999 pt is beyond PDF's limit")


def test_ocr_api_collects_page_errors_in_place(tmp_path: Path, ocr_engine) -> None:
    path = pdf_with_broken_page(tmp_path / "broken_page.pdf", ["First page", "Second page", "Third page"], 1)
    with pytest.raises(PageError):
        ocr_engine(str(path))
    doc = ocr_engine(str(path), errors="collect")
    assert [(p.index, p.error is None) for p in doc.pages] == [(0, True), (1, False), (2, True)]
    assert doc.pages[1].error.startswith("unreadable")
    assert doc.pages[2].text == "Third page"


def test_non_utf8_file_name_is_read_and_printable(tmp_path: Path) -> None:
    raw = os.fsdecode(bytes(tmp_path) + b"/caf\xe9.png")
    Image.fromarray(render_lines(["Hello"], size=30, width=300)).save(raw, format="PNG")
    (src,) = expand_inputs([str(tmp_path)])
    assert src.path == raw
    assert src.name.endswith("caf\\xe9.png")
    src.name.encode("utf-8")  # no lone surrogates left to break an encoder
    (page,) = list(iter_pages(src))
    assert page.source == src.name


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(fifo := tmp_path / "pipe.png")
    (src,) = expand_inputs([str(fifo)])
    with pytest.raises(InputError, match="not a regular file"):
        list(iter_pages(src))


def test_a_page_tree_that_lies_is_given_up_after_a_run_of_failures(tmp_path: Path, ocr_engine) -> None:
    (src,) = expand_inputs([str(lying_page_count(tmp_path / "liar.pdf"))])
    failed: list[PageError] = []
    pages = []
    with pytest.raises(InputError, match=r"liar\.pdf: pages 3-12 are all unreadable; .* the 999987 pages after"):
        for page in iter_pages(src, dpi=30, on_page_error=failed.append):
            pages.append(page.index)
    assert pages == [0, 1] and [e.index for e in failed] == list(range(2, 12))
    # The same document through the OCR API: the two real pages, then the failures, then the reason it stopped.
    doc = ocr_engine(str(src.path), errors="collect")
    assert [p.text for p in doc.pages[:2]] == ["Real page one", "Real page two"]
    assert len(doc.pages) == 13 and "page tree looks broken" in doc.pages[-1].error


def test_parser_gives_up_a_lying_page_tree_too(tmp_path: Path) -> None:
    from scriba.pipeline.parse import LayoutOptions, ParseOptions, Parser

    (src,) = expand_inputs([str(lying_page_count(tmp_path / "liar.pdf"))])
    seen = []
    with pytest.raises(InputError, match="page tree looks broken"):
        for parsed in Parser(ParseOptions(ocr_mode="never", layout=LayoutOptions(enabled=False))).iter_source(src):
            seen.append(parsed.page.error is None)
    assert seen == [True, True] + [False] * 10


def test_any_exception_from_a_pillow_decoder_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A damaged TIFF found by the fuzz test made Pillow raise TypeError("Missing dimensions") while loading.
    from PIL import ImageFile

    path = tmp_path / "page.png"
    Image.fromarray(render_lines(["Hello"], size=30, width=300)).save(path)

    def broken_load(self: ImageFile.ImageFile) -> None:
        raise TypeError("Missing dimensions")

    monkeypatch.setattr(ImageFile.ImageFile, "load", broken_load)
    (src,) = expand_inputs([str(path)])
    with pytest.raises(InputError, match=r"page\.png: image data is corrupt or truncated \(TypeError: Missing dim"):
        list(iter_pages(src))
