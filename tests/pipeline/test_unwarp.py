"""Curled pages are flattened along their own text lines before they are read; flat pages are left alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from scriba import OCR, OCROptions
from scriba.pipeline import unwarp
from tests.conftest import render_lines

LINES = [
    "The committee met on Tuesday to review the annual budget",
    "Members agreed that the library needs a new reading room",
    "Funding for the project will come from three local sources",
    "A final decision is expected before the end of the month",
    "Questions may be sent to the secretary of the committee",
    "The minutes of the meeting are kept in the main office",
]
SIZE, SPACING, MARGIN = 30, 1.9, 60
BOW = 24.0  # pixels: the middle of every line sags this far, nearly a line's height
WIDTH = 1000  # the lines span most of the page, as body text does


def curl(page: np.ndarray, bow: float = BOW) -> np.ndarray:
    """Each column u moves down by bow * sin(pi u / w): lines sag in the middle like a page on a curved surface."""
    h, w = page.shape[:2]
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    map_y = v - bow * np.sin(np.pi * u / w)
    return cv2.remap(page, u, map_y, cv2.INTER_LINEAR, borderValue=(255, 255, 255))


@pytest.fixture(scope="module")
def engines() -> dict[str, OCR]:
    return {mode: OCR(options=OCROptions(unwarp=mode)) for mode in ("auto", "off")}


def test_curled_page_reads_its_exact_lines(engines: dict[str, OCR]) -> None:
    page = curl(render_lines(LINES, size=SIZE, spacing=SPACING, margin=MARGIN, width=WIDTH))
    result = engines["auto"](page).pages[0]
    assert result.metadata.get("unwarped") is True
    assert [line.text for line in result.lines] == LINES
    # Polygons refer to the curled page as given: each line's centre lies on that line's curve there.
    w = page.shape[1]
    for k, line in enumerate(result.lines):
        p = np.array(line.polygon)
        cx, cy = p[:, 0].mean(), p[:, 1].mean()
        expected = MARGIN + k * SPACING * SIZE + 0.6 * SIZE + BOW * np.sin(np.pi * cx / w)
        assert abs(cy - expected) < 0.5 * SIZE, (k, cy, expected)


def test_curled_page_loses_lines_when_read_as_it_is(engines: dict[str, OCR]) -> None:
    page = curl(render_lines(LINES, size=SIZE, spacing=SPACING, margin=MARGIN, width=WIDTH))
    result = engines["off"](page).pages[0]
    assert "unwarped" not in result.metadata
    assert [line.text for line in result.lines] != LINES


@pytest.mark.parametrize("angle", [0.0, 3.0])
def test_flat_pages_are_untouched(engines: dict[str, OCR], angle: float) -> None:
    page = render_lines(LINES, size=SIZE, spacing=SPACING, margin=MARGIN, width=WIDTH)
    if angle:
        h, w = page.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        page = cv2.warpAffine(page, m, (w, h), borderValue=(255, 255, 255))
    a, b = engines["auto"](page).pages[0], engines["off"](page).pages[0]
    assert "unwarped" not in a.metadata
    assert [(ln.text, ln.polygon, [w.polygon for w in ln.words]) for ln in a.lines] == [
        (ln.text, ln.polygon, [w.polygon for w in ln.words]) for ln in b.lines
    ]


def test_fitted_warp_undoes_a_known_bow() -> None:
    w, h = 1000, 800
    xs = np.linspace(50, 950, 60)
    curves = [
        unwarp.Curve(np.stack([xs, y0 + 20 * np.sin(np.pi * xs / w)], axis=1), 12.0)
        for y0 in range(100, 700, 60)
    ]
    assert unwarp.is_curved(curves)
    warp = unwarp.fit_warp(curves, w, h)
    # A point on the flattened line through y0 (at the middle column) maps back onto the bowed line.
    for y0 in (160.0, 400.0):
        v = y0 + 20  # the line's height at the middle column
        for x in (100.0, 500.0, 900.0):
            assert warp.to_given([[x, v]])[0][1] == pytest.approx(y0 + 20 * np.sin(np.pi * x / w), abs=1.5)


def test_straight_lines_are_not_curved() -> None:
    xs = np.linspace(50, 950, 60)
    curves = [unwarp.Curve(np.stack([xs, y0 + 0.05 * xs], axis=1), 12.0) for y0 in range(100, 700, 60)]
    assert not unwarp.is_curved(curves)
