"""The page-orientation classifier's preprocessing stays small on long thin pages."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from scriba.models.classification.orientation import PageOrientation


@pytest.fixture(scope="module")
def orientation() -> PageOrientation:
    return PageOrientation()


@pytest.mark.parametrize("shape", [(1, 65_535), (65_535, 2), (3, 40_000)])
def test_long_thin_page_is_cropped_before_the_resize(orientation: PageOrientation, shape: tuple[int, int]) -> None:
    page = np.full((*shape, 3), 255, np.uint8)
    tracemalloc.start()
    try:
        x = orientation.preprocess(page)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert x.shape == (1, 3, 224, 224)
    # Resized whole, 1 x 65535 would become 256 x 16.8M pixels (12 GB); cropped first it is a few MB.
    assert peak < 50e6, peak
    assert orientation(page).angle in (0, 90, 180, 270)


def test_ordinary_page_is_preprocessed_as_before(orientation: PageOrientation) -> None:
    rng = np.random.default_rng(1)
    page = rng.integers(0, 255, (1100, 850, 3), dtype=np.uint8)
    import cv2

    k = 256.0 / 850
    resized = cv2.resize(page, (256, round(1100 * k)), interpolation=cv2.INTER_LANCZOS4)
    top = (resized.shape[0] - 224) // 2
    crop = resized[top : top + 224, 16:240, ::-1].astype(np.float32) / 255.0
    assert np.allclose(orientation.preprocess(page)[0], ((crop - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]).transpose(2, 0, 1), atol=1e-5)
