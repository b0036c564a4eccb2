"""Real inference on pages rendered with real fonts: exact text, orientation, reading order, geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scriba.document import Page, Polygon
from scriba.pipeline.levelling import text_skew
from tests.conftest import font, render_lines

# Polygons come from unclipped quads and CTC steps: a few pixels of slack, never more.
TOLERANCE = 3.0


@pytest.mark.parametrize(
    ("font_name", "size", "text"),
    [
        ("sans", 28, "Order 7731 shipped on 2026-03-14"),
        ("serif", 40, "Quarterly revenue grew by 12.5%"),
        ("mono", 24, "Error code=404 path=/api/v2/items"),
        ("arial", 56, "Hello, World!"),
        ("serif-bold", 32, "Annual General Meeting"),
    ],
)
def test_single_lines_in_several_fonts_and_sizes(ocr_engine, font_name: str, size: int, text: str) -> None:
    page = ocr_engine.ocr_image(render_lines([text], size=size, font_name=font_name, width=1100))
    assert [line.text for line in page.lines] == [text]
    assert [w.text for w in page.lines[0].words] == text.split()


def test_multi_line_page_keeps_line_order(ocr_engine) -> None:
    lines = [
        "Dear Ms. Rivera,",
        "thank you for your letter of 3 May.",
        "We enclose the signed contract and",
        "an invoice for the first instalment.",
        "Yours sincerely, Tom Becker",
    ]
    page = ocr_engine.ocr_image(render_lines(lines, size=32, font_name="serif"))
    assert [line.text for line in page.lines] == lines
    assert page.text == "\n".join(lines)


def test_upside_down_page_reads_right_way_up(ocr_engine) -> None:
    lines = [
        "Upside down pages happen in scanners",
        "when a sheet goes in the wrong way;",
        "most lines then read as turned and",
        "the whole page is read turned by 180.",
    ]
    image = np.ascontiguousarray(np.rot90(render_lines(lines, size=34), 2))
    page = ocr_engine.ocr_image(image)
    assert [line.text for line in page.lines] == lines
    assert page.metadata["rotation"] == 180
    assert_geometry(page)


@pytest.mark.parametrize("turns", [1, 3])
def test_tall_line_rotated_90_degrees(ocr_engine, turns: int) -> None:
    text = "Rotated line of text 42"
    image = np.ascontiguousarray(np.rot90(render_lines([text], size=40, width=700), turns))
    page = ocr_engine.ocr_image(image)
    assert [line.text for line in page.lines] == [text]
    assert_geometry(page)


@pytest.mark.parametrize(("turns", "rotation"), [(1, 270), (3, 90)])
def test_page_on_its_side_reads_lines_in_order(ocr_engine, turns: int, rotation: int) -> None:
    """A page scanned sideways: every line is read, in reading order (they came out in the order of their
    x positions before), and the polygons lie on the page as given, over the lines' ink."""
    lines = [
        "Sideways scans are common in offices",
        "when a landscape sheet is fed upright;",
        "the lines then run down the page,",
        "and still have to be read in order.",
    ]
    upright = render_lines(lines, size=34)
    image = np.ascontiguousarray(np.rot90(upright, turns))
    page = ocr_engine.ocr_image(image)
    assert [line.text for line in page.lines] == lines
    assert page.metadata["rotation"] == rotation
    assert (page.width, page.height) == (image.shape[1], image.shape[0])
    assert_geometry(page)
    ink = image.min(axis=2) < 128
    for line in page.lines:
        x0, y0 = np.floor(np.min(line.polygon, axis=0)).astype(int)
        x1, y1 = np.ceil(np.max(line.polygon, axis=0)).astype(int)
        assert y1 - y0 > 3 * (x1 - x0)  # a line running down the given page
        assert ink[y0:y1, x0:x1].mean() > 0.05


@pytest.mark.parametrize("degrees", [-8, 6, 15])
def test_skewed_page_keeps_reading_order_and_paragraph(ocr_engine, degrees: float) -> None:
    """At 6 degrees the lines' upright boxes overlap their neighbours', and the order came out 1, 3, 2, 4;
    reading order is now taken on the page levelled by its text angle."""
    lines = [
        "Skewed scans are read line by line",
        "even when the page sits at an angle",
        "in the scanner or in a photo taken",
        "by hand at a desk in poor light.",
    ]
    page_img = Image.fromarray(render_lines(lines, size=32, width=1000))
    image = np.asarray(page_img.rotate(degrees, expand=True, fillcolor="white"))
    page = ocr_engine.ocr_image(image)
    assert [line.text for line in page.lines] == lines
    assert len(page.blocks) == 1  # one paragraph, as on the level page
    assert text_skew(page.lines) == pytest.approx(math.radians(-degrees), abs=math.radians(1.0))
    assert_geometry(page)


def test_level_pages_are_not_levelled(ocr_engine) -> None:
    page = ocr_engine.ocr_image(render_lines(["A level page of text", "keeps its boxes as they are"], size=32))
    assert text_skew(page.lines) == 0.0


def _page_with_paragraphs(layout: str) -> tuple[np.ndarray, list[list[str]]]:
    first = ["Scriba reads the first paragraph", "line by line from top to bottom", "before anything else."]
    second = ["Then the second paragraph follows", "with its own three lines of text", "in the same order."]
    f = font("serif", 30)
    img = Image.new("RGB", (1500, 620) if layout == "columns" else (1000, 620), "white")
    draw = ImageDraw.Draw(img)
    for k in range(3):
        if layout == "columns":
            draw.text((60, 60 + 45 * k), first[k], font=f, fill="black")
            draw.text((800, 60 + 45 * k), second[k], font=f, fill="black")
        else:
            draw.text((60, 60 + 45 * k), first[k], font=f, fill="black")
            draw.text((60, 340 + 45 * k), second[k], font=f, fill="black")
    return np.asarray(img), [first, second]


@pytest.mark.parametrize("layout", ["stacked", "columns"])
def test_reading_order_of_two_paragraphs(ocr_engine, layout: str) -> None:
    image, paragraphs = _page_with_paragraphs(layout)
    page = ocr_engine.ocr_image(image)
    assert [[line.text for line in b.lines] for b in page.blocks] == paragraphs


def _inside(inner: Polygon, outer: Polygon, tol: float = TOLERANCE) -> bool:
    """Every vertex of `inner` lies within `outer` (a convex quad), allowing `tol` pixels."""
    import cv2

    contour = np.asarray(outer, dtype=np.float32).reshape(-1, 1, 2)
    return all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -tol for x, y in inner)


def assert_geometry(page: Page) -> None:
    assert page.lines, "no lines to check"
    for line in page.lines:
        assert _inside(line.polygon, page.polygon), f"line {line.text!r} leaves the page"
        assert line.words
        for word in line.words:
            assert _inside(word.polygon, page.polygon), f"word {word.text!r} leaves the page"
            assert _inside(word.polygon, line.polygon), f"word {word.text!r} leaves line {line.text!r}"
    for block in page.blocks:
        assert _inside(block.polygon, page.polygon)


def test_word_boxes_inside_lines_inside_page(ocr_engine) -> None:
    lines = ["Geometry: words sit inside their line,", "lines sit inside the page (and so do blocks)."]
    page = ocr_engine.ocr_image(render_lines(lines, size=30, font_name="arial", margin=12))
    assert [line.text for line in page.lines] == lines
    assert_geometry(page)


def test_word_boxes_follow_the_words(ocr_engine) -> None:
    """Each word box covers its own word's ink: words are left to right and barely overlap."""
    page = ocr_engine.ocr_image(render_lines(["alpha    beta    gamma"], size=40))
    words = page.lines[0].words
    assert [w.text for w in words] == ["alpha", "beta", "gamma"]
    lefts = [min(p[0] for p in w.polygon) for w in words]
    rights = [max(p[0] for p in w.polygon) for w in words]
    assert lefts == sorted(lefts)
    for k in range(len(words) - 1):
        assert rights[k] <= lefts[k + 1] + TOLERANCE
