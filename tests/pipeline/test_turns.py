"""Quarter turns: points follow the pixels they mark, and turning back gives them back."""

from __future__ import annotations

import numpy as np
import pytest

from scriba.pipeline.turns import ANGLES, from_upright, to_upright, upright_image


@pytest.mark.parametrize("angle", ANGLES)
def test_points_follow_their_pixel(angle: int) -> None:
    h, w = 30, 50
    given = np.zeros((h, w, 3), np.uint8)
    given[7, 11] = 255  # the pixel whose centre is (11.5, 7.5)
    up = upright_image(given, angle)
    assert up.shape[:2] == ((h, w) if angle in (0, 180) else (w, h))
    (y, x) = np.argwhere(up[:, :, 0] == 255)[0]
    assert to_upright(np.array([11.5, 7.5]), angle, w, h).tolist() == [x + 0.5, y + 0.5]


@pytest.mark.parametrize("angle", ANGLES)
def test_turning_back_gives_the_points_back(angle: int) -> None:
    pts = np.random.default_rng(angle).uniform(0, 40, (5, 4, 2))
    back = from_upright(to_upright(pts, angle, 40, 25), angle, 40, 25)
    np.testing.assert_allclose(back, pts, atol=1e-9)
