"""A page scanned a few degrees off is laid out level: the same paragraphs, columns and table as the page
scanned straight, and the page's metadata says by how much it was turned."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from scriba import ParseOptions, Parser
from scriba.document import Line, polygon_of_bbox
from scriba.pipeline.levelling import level_page, text_skew
from tests.pipeline.parse_fixtures import LEFT, RIGHT, article_page_image


def _tilted(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, m, (w, h), borderValue=(255, 255, 255))


@pytest.fixture(scope="module")
def page_image(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return article_page_image(tmp_path_factory.mktemp("level") / "article.pdf")


def test_a_tilted_two_column_page_reads_as_the_straight_one(page_image: np.ndarray) -> None:
    parser = Parser(ParseOptions(dpi=144))
    straight = parser(page_image).to_markdown()
    for degrees in (4.0, -3.0):
        doc = parser(_tilted(page_image, degrees))
        assert doc.to_markdown() == straight
        # Turned back: clockwise (negative) for a page scanned turned counter-clockwise.
        assert doc.pages[0].metadata["deskew"] == pytest.approx(-degrees, abs=0.5)
    for para in LEFT + RIGHT:
        assert " ".join(para).replace("spread- sheet", "spreadsheet") in straight


def test_level_page_moves_lines_with_the_image() -> None:
    image = np.full((400, 600, 3), 255, np.uint8)
    cv2.line(image, (100, 100), (500, 135), (0, 0, 0), 8)  # a "line of text" running down to the right
    line = Line("x", 1.0, [[100, 96], [500, 131], [500, 139], [100, 104]])
    level = level_page(image, text_skew([line], 0.0))
    assert level is not None and level.degrees == pytest.approx(5.0, abs=0.1)
    level.move([line])
    q = np.array(line.polygon)
    assert abs(q[1, 1] - q[0, 1]) < 0.5  # level now
    ys, xs = np.nonzero(level.image[:, :, 0] < 128)
    assert abs(ys.mean() - q[:, 1].mean()) < 2 and abs(xs.mean() - q[:, 0].mean()) < 3
    assert level_page(image, 0.001) is None
    flat = Line("x", 1.0, polygon_of_bbox(10, 10, 300, 30))
    assert text_skew([flat], 0.0) == 0.0
