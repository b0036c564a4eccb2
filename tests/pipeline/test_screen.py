"""Photos of a screen: a page rendered with a real font, shown on a screen with RGB sub-pixel stripes and dark
gaps between pixel rows, and photographed at a ratio that makes the grid beat with the camera's pixels (moire),
reads exactly once the grid is taken out; pages that are not screen photos are left exactly as they are."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest

from scriba import OCR, OCROptions
from scriba.pipeline import screen
from tests.conftest import render_lines
from tests.pipeline.test_enhance import LINES


def screen_photo(
    page: np.ndarray, ratio: float = 0.36, angle: float = 2.0, bgr: bool = False, seed: int = 0
) -> np.ndarray:
    """`page` shown one image pixel per screen pixel (3 x 3 sub-pixels: a red, a green and a blue stripe, the
    bottom row dark), photographed with `ratio` camera pixels per sub-pixel, the camera turned by `angle`
    degrees; then lens blur, a warm cast with less contrast, and sensor noise."""
    h, w = page.shape[:2]
    sub = np.repeat(np.repeat(page, 3, axis=0), 3, axis=1).astype(np.float32)
    mask = np.full((3, 3, 3), 0.6, np.float32)
    for col in range(3):
        mask[:2, col, 2 - col if bgr else col] = 1.0
    sub *= np.tile(mask, (h, w, 1))
    big_h, big_w = sub.shape[:2]
    m = cv2.getRotationMatrix2D((big_w / 2, big_h / 2), angle, ratio)
    m[:, 2] += (big_w * ratio / 2 - big_w / 2, big_h * ratio / 2 - big_h / 2)
    size = (int(big_w * ratio), int(big_h * ratio))
    # Bilinear sampling without averaging: the camera's pixels sample the sub-pixels, and the grid aliases.
    shot = cv2.warpAffine(sub, m, size, flags=cv2.INTER_LINEAR, borderValue=(40, 40, 40))
    shot = cv2.GaussianBlur(shot, (0, 0), 1.0)
    shot = 30 + shot / shot.max() * 255 * np.float32([0.75, 0.72, 0.62])
    noise = np.random.default_rng(seed).normal(0, 3, shot.shape[:2])[..., None]
    return np.clip(shot + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def engines() -> tuple[OCR, OCR]:
    return OCR(), OCR(options=OCROptions(extra={"enhance": {"descreen": False}}))


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    # 18 px text shown on the screen and photographed at 3 x 0.35-0.37: letters about 19 px high in the photo.
    return render_lines(LINES, size=18, width=1000)


@pytest.mark.parametrize(
    ("ratio", "angle", "bgr"),
    [(0.36, 2.0, False), (0.36, 0.0, False), (0.37, -3.0, False), (0.36, 2.0, True), (0.35, 2.0, False)],
)
def test_screen_photo_reads_exactly(
    engines: tuple[OCR, OCR], page: np.ndarray, ratio: float, angle: float, bgr: bool
) -> None:
    photo = screen_photo(page, ratio, angle, bgr)
    assert screen.is_screen_photo(photo)
    descreened, _ = engines
    assert [line.text for line in descreened(photo).pages[0].lines] == LINES


def test_the_grid_costs_words_when_left_in(engines: tuple[OCR, OCR], page: np.ndarray) -> None:
    # The same photos read as they are (measured: "shipments" for "Shipments"; the fourth line not found).
    _, as_is = engines
    for angle in (2.0, 0.0):
        assert [line.text for line in as_is(screen_photo(page, 0.36, angle)).pages[0].lines] != LINES


def test_clean_page_is_untouched(engines: tuple[OCR, OCR]) -> None:
    clean_page = render_lines(LINES, size=32)
    assert screen.grid_share(clean_page) == 0.0
    assert screen.clean(clean_page) is clean_page
    descreened, as_is = engines
    a, b = descreened(clean_page).pages[0], as_is(clean_page).pages[0]
    assert [(ln.text, ln.polygon, ln.confidence) for ln in a.lines] == [
        (ln.text, ln.polygon, ln.confidence) for ln in b.lines
    ]
    assert [ln.text for ln in a.lines] == LINES


def colourful_page() -> np.ndarray:
    """A printed page in colour: a blue heading, a table with shaded rows and red figures, a photo-like colour
    gradient (not a screen photo)."""
    page = render_lines(LINES, size=28, width=1200).copy()
    page[:60, :, :] = (30, 60, 160)
    for k in range(10):  # zebra-shaded table rows, 14 px apart
        if k % 2:
            page[300 + 14 * k : 314 + 14 * k, 60:1100] = (230, 240, 255)
    ys, xs = np.mgrid[0:200, 0:400]
    page[-200:, -400:] = np.stack([xs * 255 // 400, ys * 255 // 200, 128 + 0 * xs], axis=-1).astype(np.uint8)
    cv2.putText(page, "12.5%", (900, 200), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (200, 20, 20), 2)
    return page


@pytest.mark.parametrize("kind", ["colour", "grey", "tinted photo", "noisy jpeg"])
def test_pages_without_a_grid_are_not_screen_photos(kind: str) -> None:
    page = render_lines(LINES, size=28, width=1200)
    if kind == "colour":
        page = colourful_page()
    elif kind == "grey":
        page = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    elif kind == "tinted photo":  # paper under warm light, blurred, with sensor noise
        tinted = cv2.GaussianBlur(page, (0, 0), 1.0) * np.float32([0.95, 0.85, 0.7])
        page = np.clip(tinted + np.random.default_rng(1).normal(0, 4, page.shape[:2])[..., None], 0, 255)
        page = page.astype(np.uint8)
    else:  # a phone JPEG: chroma subsampled and compressed in 8 x 8 blocks
        noisy = np.clip(page + np.random.default_rng(2).normal(0, 6, page.shape), 0, 255).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 25])
        assert ok
        page = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert screen.grid_share(page) == 0.0
    assert screen.clean(page) is page


def test_descreen_keeps_size_and_only_greys_a_page_without_grid() -> None:
    page = colourful_page()
    out = screen.descreen(page, replace(screen.DEFAULT, deblur_sigma=0.0))
    assert out.shape == page.shape and out.dtype == np.uint8
    # No tile shows a grid, so no notch: the overlapping windows add back up to the plain channel mean.
    mean = np.clip(page.astype(np.float32).mean(axis=2) + 0.5, 0, 255).astype(np.uint8)
    assert np.abs(out[..., 0].astype(int) - mean).max() <= 1
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()


def test_deblur_sharpens_an_edge_and_keeps_flat_paper_flat() -> None:
    edge = np.full((64, 64), 200, np.float32)
    edge[:, 32:] = 40
    blurred = cv2.GaussianBlur(edge, (0, 0), 1.0)
    out = screen.deblur(blurred, 1.0, 0.05)
    assert np.abs(out[:, :24] - 200).max() < 2 and np.abs(out[:, 40:] - 40).max() < 2
    # The step's slope: steeper than the blurred one, closer to the sharp one.
    assert out[0, 31] - out[0, 32] > 1.3 * (blurred[0, 31] - blurred[0, 32])


def test_long_beat_is_found_in_the_columns(engines: tuple[OCR, OCR], page: np.ndarray) -> None:
    # Camera and screen pixels almost one to one: the beat runs about 125 px, too long for a tile to see it.
    photo = screen_photo(page, 0.336, 0.0)
    assert screen.grid_share(photo) < screen.DEFAULT.share
    assert screen.has_column_beat(photo) and screen.is_screen_photo(photo)
    descreened, _ = engines
    assert [line.text for line in descreened(photo).pages[0].lines] == LINES


def _distortions() -> ModuleType:
    """benchmarks/distortions.py, the distortions of the robustness benchmark (benchmarks/ is not a package)."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "distortions.py"
    spec = importlib.util.spec_from_file_location("scriba_bench_distortions", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_benchmark_screen_photo_is_found_and_reads(engines: tuple[OCR, OCR], seed: int) -> None:
    # A page of small print (14 px, about 10 pt at 100 dpi) put through the robustness benchmark's screen axis.
    lines = LINES[:3]
    clean_page = render_lines(lines, size=14, width=640, margin=30)
    distortions = _distortions()
    photo = distortions.screen(clean_page, 100.0, np.random.default_rng(seed))
    assert screen.is_screen_photo(photo)
    for axis in ("skew", "light", "scan", "curl"):
        other = distortions.AXES[axis](clean_page, 100.0, np.random.default_rng(seed))
        assert not screen.is_screen_photo(other), axis
    descreened, _ = engines
    words = " ".join(line.text for line in descreened(photo).pages[0].lines).split()
    expected = " ".join(lines).split()
    assert sum(w in words for w in expected) >= len(expected) - 2
