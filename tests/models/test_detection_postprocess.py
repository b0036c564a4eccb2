"""DB post-processing: the batched quad ordering equals the one-quad version, and boxes come out in page pixels."""

from __future__ import annotations

import numpy as np

from scriba.models.detection.db import boxes_from_probability, order_clockwise, order_clockwise_many
from scriba.models.registry import get_model


def test_batched_ordering_equals_one_quad_at_a_time() -> None:
    rng = np.random.default_rng(0)
    quads = rng.uniform(0, 500, size=(500, 4, 2)).astype(np.float32)
    quads[:50] = np.round(quads[:50] / 50) * 50  # integer corners: ties in the sums and differences
    quads[50:60] = quads[50:60, :1]  # four equal corners: every sum ties
    quads[60:70, :, 0] = quads[60:70, :, 1][:, ::-1]  # x and y swapped between corners: equal sums
    expected = np.stack([order_clockwise(q) for q in quads])
    got = order_clockwise_many(quads)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    assert order_clockwise_many(np.zeros((0, 4, 2), np.float32)).shape == (0, 4, 2)
    words = rng.uniform(0, 500, size=(20, 4, 2))  # float64 corners, as a line's word boxes have
    np.testing.assert_array_equal(order_clockwise_many(words), np.stack([order_clockwise(q) for q in words]))


def test_boxes_are_scaled_to_the_page_ordered_and_clipped() -> None:
    spec = get_model("ppocrv5").det
    prob = np.zeros((64, 96), np.float32)
    prob[10:20, 8:60] = 0.9  # one text line on the 96 x 64 map
    prob[40:41, 5:6] = 0.9  # a speck: dropped
    result = boxes_from_probability(prob, spec, dest_h=128, dest_w=192)  # the page is twice the map's size
    assert result.boxes.shape == (1, 4, 2)
    (tl, tr, br, bl) = result.boxes[0]
    assert tl[0] < tr[0] and bl[1] > tl[1] and br[0] > bl[0]
    assert 0 <= result.boxes[..., 0].min() and result.boxes[..., 0].max() <= 191
    # The kernel x 8..59, y 10..19 (51 x 9) grows by area * 1.6 / perimeter = 6.1 map pixels on each side, then
    # doubles: x 3.8..130.2, y 7.8..50.2 on the page.
    np.testing.assert_allclose(tl, [4, 8], atol=1.5)
    np.testing.assert_allclose(br, [130, 50], atol=1.5)
    assert abs(float(result.scores[0]) - 0.9) < 1e-6
    empty = boxes_from_probability(np.zeros((64, 96), np.float32), spec, 128, 192)
    assert empty.boxes.shape == (0, 4, 2) and empty.scores.shape == (0,)
