"""The layout model's input is exactly `(bgr / 255 - mean) / std`, channel-first."""

from __future__ import annotations

import cv2
import numpy as np

from scriba.models.layout.picodet import MEAN, STD, LayoutDetector


def test_preprocess_equals_the_reference_expression() -> None:
    det = LayoutDetector.__new__(LayoutDetector)  # no session: preprocess needs only the input size
    det.height, det.width = 800, 608
    rng = np.random.default_rng(3)
    for shape in ((851, 602, 3), (300, 1200, 3), (800, 608, 3)):
        rgb = rng.integers(0, 256, shape, dtype=np.uint8)
        resized = cv2.resize(rgb, (608, 800), interpolation=cv2.INTER_LINEAR)
        ref = ((resized[:, :, ::-1].astype(np.float32) / 255.0 - MEAN[::-1]) / STD[::-1]).transpose(2, 0, 1)[None]
        out = det.preprocess(rgb)
        assert out.shape == (1, 3, 800, 608) and out.dtype == np.float32 and out.flags.c_contiguous
        assert np.array_equal(out, ref)
