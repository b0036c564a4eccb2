"""Curled pages are flattened along their own text lines before they are read; flat pages are left alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from scriba import OCR, OCROptions
from scriba.pipeline import unwarp
from tests.conftest import font, render_lines

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


def spine_curl(page: np.ndarray, bow: float, reach: float = 0.4) -> np.ndarray:
    """Lines straight over most of the width and bending down ever more steeply over its last `reach`, as a
    book page curls towards its spine; `bow` pixels at the right edge."""
    h, w = page.shape[:2]
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    s = np.clip((u / w - (1.0 - reach)) / reach, 0.0, 1.0)
    return cv2.remap(page, u, v - bow * s**2, cv2.INTER_LINEAR, borderValue=(255, 255, 255))


def two_columns(left: list[str], right: list[str], size: int = 22) -> np.ndarray:
    f = font("sans", size)
    img = Image.new("RGB", (1400, int(2 * MARGIN + SPACING * size * max(len(left), len(right)))), "white")
    d = ImageDraw.Draw(img)
    for col, lines in ((MARGIN, left), (760, right)):
        for k, text in enumerate(lines):
            d.text((col, MARGIN + int(k * SPACING * size)), text, font=f, fill=(0, 0, 0))
    return np.asarray(img)


LEFT = [
    "Fresh bread is baked every morning at six",
    "and sold until noon at the corner shop on",
    "the market square, next to the post office",
    "where the old town hall used to stand long",
]
RIGHT = [
    "Orders for the weekend must reach the baker",
    "before Thursday night, by letter or phone,",
    "and are ready to be collected on Saturday",
    "morning from eight until half past eleven",
]


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


def test_page_curled_near_its_spine_reads_its_exact_lines(engines: dict[str, OCR]) -> None:
    # Only the right 40% of each line bends: most of every line is straight, as on a book page near its spine.
    page = spine_curl(render_lines(LINES, size=SIZE, spacing=SPACING, margin=MARGIN, width=WIDTH), 2 * SIZE)
    h, w = page.shape[:2]
    curves = unwarp.centre_curves(engines["auto"].detector.probability_map(page), w, h)
    bows = sorted(unwarp.bow(c) for c in curves)
    assert bows[len(bows) // 2] < 1.5  # the median line is far from the bow of a line curled over its width
    result = engines["auto"](page).pages[0]
    assert result.metadata.get("unwarped") is True
    assert [line.text for line in result.lines] == LINES


@pytest.mark.parametrize("layout", ["plain", "skewed", "two columns", "two columns skewed"])
def test_flat_pages_are_untouched(engines: dict[str, OCR], layout: str) -> None:
    if layout.startswith("two columns"):
        page = two_columns(LEFT, RIGHT)
    else:
        page = render_lines(LINES, size=SIZE, spacing=SPACING, margin=MARGIN, width=WIDTH)
    angle = -4.0 if layout == "two columns skewed" else 3.0 if layout == "skewed" else 0.0
    if angle:
        h, w = page.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        page = cv2.warpAffine(page, m, (w, h), borderValue=(255, 255, 255))
    a, b = engines["auto"](page).pages[0], engines["off"](page).pages[0]
    assert "unwarped" not in a.metadata
    assert sorted(ln.text for ln in a.lines) == sorted(LEFT + RIGHT if layout.startswith("two") else LINES)
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


def test_a_few_bowed_long_lines_make_a_page_curled() -> None:
    xs = np.linspace(50, 950, 60)
    short = np.linspace(50, 150, 20)

    def page(bowed: int, straight: int, xs: np.ndarray = xs) -> list[unwarp.Curve]:
        # A parabola rising 60 px over the line is 15 px off its straight fit: 1.25 thicknesses of a 12 px band.
        bows = [60.0] * bowed + [0.0] * straight
        return [
            unwarp.Curve(np.stack([xs, 100 + 40 * k + b * ((xs - xs[0]) / np.ptp(xs)) ** 2], axis=1), 12.0)
            for k, b in enumerate(bows)
        ]

    assert unwarp.is_curved(page(3, 12))  # a fifth of the lines: a page curled near its spine
    assert not unwarp.is_curved(page(2, 12))  # two lines might be a figure's edge or a merged band
    assert not unwarp.is_curved(page(3, 30))  # three in 33 lines: too few
    assert not unwarp.is_curved(page(8, 4, short))  # short bands do not count, however bent


def test_straight_lines_are_not_curved() -> None:
    xs = np.linspace(50, 950, 60)
    curves = [unwarp.Curve(np.stack([xs, y0 + 0.05 * xs], axis=1), 12.0) for y0 in range(100, 700, 60)]
    assert not unwarp.is_curved(curves)


def test_a_curled_page_is_laid_out_flattened_by_the_parser() -> None:
    from scriba import ParseOptions, Parser

    page = curl(render_lines(LINES, size=SIZE, spacing=SPACING, margin=MARGIN, width=WIDTH))
    doc = Parser(ParseOptions(dpi=144))(page)
    assert doc.pages[0].metadata.get("unwarped") is True
    assert doc.to_markdown().split() == " ".join(LINES).split()
