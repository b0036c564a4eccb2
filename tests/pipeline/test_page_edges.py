"""A page photographed at an angle on a dark table is squared up by its edges before layout; a scan whose
paper fills the frame is left as it is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from scriba import ParseOptions, Parser
from scriba.document import Line, polygon_of_bbox
from scriba.pipeline.page_edges import page_quad, square_up
from tests.pipeline.parse_fixtures import LEFT, RIGHT, article_page_image

# Where the page's corners land in the photo (top-left, top-right, bottom-right, bottom-left), as fractions.
CORNERS = [(0.12, 0.06), (0.86, 0.10), (0.92, 0.93), (0.06, 0.96)]


def _photo(page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = page.shape[:2]
    out_w, out_h = int(w * 1.1), int(h * 1.1)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[x * out_w, y * out_h] for x, y in CORNERS])
    m = cv2.getPerspectiveTransform(src, dst)
    photo = cv2.warpPerspective(page, m, (out_w, out_h), borderValue=(60, 55, 50))  # a dark desk
    return photo, dst


@pytest.fixture(scope="module")
def page_image(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return article_page_image(tmp_path_factory.mktemp("edges") / "article.pdf")


def test_the_page_quadrilateral_is_found_on_a_dark_desk(page_image: np.ndarray) -> None:
    photo, corners = _photo(page_image)
    quad = page_quad(photo)
    assert quad is not None
    assert np.abs(quad - corners).max() < 0.01 * max(photo.shape[:2])
    assert page_quad(page_image) is None  # the paper fills the frame


def test_a_photo_at_an_angle_reads_as_the_straight_page(page_image: np.ndarray) -> None:
    parser = Parser(ParseOptions(dpi=144))
    straight = parser(page_image).to_markdown()
    doc = parser(_photo(page_image)[0])
    assert "page_corners" in doc.pages[0].metadata
    md = doc.to_markdown()
    for para in LEFT + RIGHT:
        assert " ".join(para).replace("spread- sheet", "spreadsheet") in md
    assert md.split() == straight.split()  # the same words in the same order (paragraph breaks may differ)


def test_text_outside_the_shape_means_it_is_not_the_page(page_image: np.ndarray) -> None:
    photo, _ = _photo(page_image)
    inside = Line("inside", 1.0, polygon_of_bbox(800, 900, 1000, 940))
    assert square_up(photo, [inside]) is not None
    outside = Line("a label on the desk", 1.0, polygon_of_bbox(5, 5, 100, 30))
    assert square_up(photo, [inside, outside]) is None
