"""The web page in a real headless Chromium: upload a rendered page, see its text, Markdown and word boxes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, render_lines
from tests.serve.conftest import Server, pdf_bytes, png_bytes

CHROMIUM = Path(os.environ.get("SCRIBA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # small /dev/shm in containers
LINES = ["Delivery note 2026-11-23", "Twelve boxes of index cards", "Signed by the warehouse team"]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def blue_box_pixels(page) -> int:  # type: ignore[no-untyped-def]
    """Pixels of the canvas in the word-box colour: proof that boxes were really drawn."""
    return page.evaluate(
        """() => {
            const c = document.getElementById('canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 1] < 150 && d[i + 2] > 200) n++;
            return n;
        }"""
    )


def test_upload_shows_text_markdown_and_word_boxes(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    image = tmp_path / "delivery.png"
    image.write_bytes(png_bytes(render_lines(LINES, size=34, width=1000)))
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append("request failed: " + r.url))
    page.goto(server.url + "/")
    assert page.title().startswith("Scriba")
    page.wait_for_function("document.getElementById('model').options.length > 0")
    page.set_input_files("#file", str(image))
    page.wait_for_function("Number(document.getElementById('canvas').dataset.boxes) > 0", timeout=120_000)

    text = page.inner_text("#text")
    for line in LINES:
        assert line in text
    assert "Twelve boxes of index cards" in page.inner_text("#markdown")
    n_words = sum(len(line.split()) for line in LINES)
    assert int(page.get_attribute("#canvas", "data-boxes")) == n_words
    assert blue_box_pixels(page) > 500
    assert "delivery.png: 1 page(s)" in page.inner_text("#status")

    with page.expect_download() as dl:
        page.click("#dl-json")
    doc = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert doc["pages"][0]["text"].splitlines() == LINES
    with page.expect_download() as dl:
        page.click("#dl-md")
    assert "Signed by the warehouse team" in Path(dl.value.path()).read_text(encoding="utf-8")

    shot = tmp_path / "web.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("SCRIBA_UPDATE_SCREENSHOTS"):
        (REPO / "docs" / "screenshots").mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, REPO / "docs" / "screenshots" / "web.png")
    assert not errors, errors
    page.close()


def test_pdf_pages_and_errors_in_the_page(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "two.pdf"
    pdf.write_bytes(pdf_bytes([render_lines(["First sheet of the pair"], size=30, width=800),
                               render_lines(["Second sheet of the pair"], size=30, width=800)]))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/")
    page.set_input_files("#file", str(pdf))
    page.wait_for_function("Number(document.getElementById('canvas').dataset.boxes) > 0", timeout=120_000)
    assert page.inner_text("#pageinfo") == "page 1 of 2"
    assert blue_box_pixels(page) > 100  # the PDF page image came from /v1/render, boxes on top
    page.click("#next")
    page.wait_for_function("document.getElementById('canvas').dataset.page === '1'")
    assert page.inner_text("#pageinfo") == "page 2 of 2"
    assert "Second sheet of the pair" in page.inner_text("#text")

    junk = tmp_path / "junk.png"
    junk.write_bytes(b"this is not an image")
    page.set_input_files("#file", str(junk))
    page.wait_for_function("document.getElementById('status').classList.contains('error')")
    assert "not a supported image or PDF" in page.inner_text("#status")
    page.close()


def test_parse_mode_renders_markdown(server: Server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("scriba.pipeline.parse")
    image = tmp_path / "memo.png"
    image.write_bytes(png_bytes(render_lines(["Memo to all staff", "The office closes early on Friday."],
                                             size=34, width=1000)))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/")
    page.select_option("#mode", "parse")
    page.set_input_files("#file", str(image))
    page.wait_for_function("Number(document.getElementById('canvas').dataset.boxes) > 0", timeout=120_000)
    assert "The office closes early on Friday." in page.inner_text("#markdown")
    page.close()
