"""Pictures of text on text-layer pages: which regions are read, each once, and where their lines land."""

from __future__ import annotations

from typing import Any

import numpy as np

from scriba.document import Block, Line, Page, Word
from scriba.pipeline.layout_order import Region
from scriba.pipeline.ocr import OCROptions
from scriba.pipeline.picture_text import MARGIN, picture_boxes, read_pictures, region_options


def _line(x0: float, y0: float, x1: float, y1: float, text: str = "word") -> Line:
    poly = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    return Line(text, 0.99, poly, [Word(text, 0.99, [list(p) for p in poly])])


class _FakeOCR:
    """Reads one line across the middle of every image it is given, and remembers the images."""

    def __init__(self) -> None:
        self.images: list[np.ndarray] = []

    def ocr_image(self, image: np.ndarray, **_: Any) -> Page:
        self.images.append(image)
        h, w = image.shape[:2]
        line = _line(MARGIN, h / 2 - 5, w - MARGIN, h / 2 + 5)
        return Page(w, h, blocks=[Block(lines=[line], polygon=line.polygon)])


def test_regions_with_text_layer_lines_or_not_drawn_by_an_image_are_not_read() -> None:
    picture = (100.0, 100.0, 500.0, 300.0)
    regions = [
        Region("text", (110, 110, 490, 290)),  # inside the picture, no text-layer line: read
        Region("figure", (110, 110, 490, 290)),  # not a text kind
        Region("text", (600, 100, 900, 300)),  # not drawn by an image
        Region("text", (100, 400, 500, 600)),  # holds a text-layer line
        Region("text", (120, 120, 130, 125)),  # too small
    ]
    boxes = picture_boxes(regions, [(150, 450, 300, 470)], [picture, (100, 400, 500, 600)])
    assert boxes == [(110, 110, 490, 290)]


def test_near_duplicate_regions_are_read_once_as_one_box() -> None:
    picture = (0.0, 0.0, 1000.0, 1000.0)
    regions = [Region("text", (100, 100, 500, 300)), Region("reference", (104, 96, 520, 302))]
    assert picture_boxes(regions, [], [picture]) == [(100, 96, 520, 302)]


def test_lines_land_on_the_page_and_are_not_read_twice() -> None:
    page = np.full((400, 800, 3), 255, np.uint8)
    page[150:160, 120:480] = 0
    ocr = _FakeOCR()
    boxes = [(100.0, 100.0, 500.0, 200.0), (100.0, 140.0, 500.0, 170.0)]  # the second's line is the first's

    def crop(b: tuple[float, float, float, float]) -> np.ndarray:
        return page[int(b[1]) : int(b[3]), int(b[0]) : int(b[2])]

    lines, done = read_pictures(ocr, boxes, crop)
    assert done == 2 and len(lines) == 1
    x0, y0 = lines[0].polygon[0]
    assert (x0, y0) == (100.0, 145.0)  # the crop's own coordinates, shifted back onto the page
    assert lines[0].words[0].polygon[0] == [100.0, 145.0]
    # Each crop is read with a margin of its background colour around it.
    first = ocr.images[0]
    assert first.shape == (100 + 2 * MARGIN, 400 + 2 * MARGIN, 3)
    assert (first[:MARGIN] == 255).all() and (first[MARGIN + 50, MARGIN + 20 : MARGIN + 380] == 0).all()


def test_region_options_keep_the_model_and_read_at_the_page_resolution() -> None:
    opts = region_options(OCROptions(model="ppocrv6-tiny", threads=1))
    assert opts.model == "ppocrv6-tiny" and opts.threads == 1
    assert not opts.use_classifier and opts.det_limit_type == "max"
