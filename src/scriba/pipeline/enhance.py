"""Small or degraded text (poor scans at about 90 dpi, faxes, small print): read it at a better scale.

A page is a small-text page when the median height of its detected lines is under ~22 px (a 150-dpi render of
10 pt print measures 24-27 px, a 90-dpi scan of it 17-20 px). On such a page, when it is also noisy, each
small line crop is brought to
the recognizer's height and smoothed before it is read: on noisy, JPEG-compressed low-resolution crops the
recognizer reads smoothed strokes better than sharp ones (benchmarks/robustness.py, scan axis: sharpening the
upsampled crops cost 4-9 points of word F1, smoothing them gained 4-8; docs/benchmarks.md). A second detection
pass on the page enlarged is available (`redetect`) but off: it lost words on real 90-dpi scans. Pages with
ordinary text are left exactly as they were.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import cv2
import numpy as np

from scriba.models.detection.db import TextDetector, order_clockwise_many


@dataclass(frozen=True)
class EnhanceSettings:
    """What the automatic enhancement does; the defaults were chosen on benchmarks/robustness.py."""

    # Detect a small-text page again, enlarged. Off: on FUNSD's real 90-dpi scans it cost 11 points of word F1
    # (lines split and merged differently) and gained nothing once the crops are smoothed.
    redetect: bool = False
    # A page is "small text" when the median height of its detected lines (page pixels) is under this.
    small_line_px: float = 22.0
    # The second detection pass enlarges the page so that the median line is this high...
    detect_line_px: float = 32.0
    # ... but never more than this factor, nor beyond this many pixels on the long side (time and memory).
    max_detect_scale: float = 2.5
    max_detect_side: int = 3200
    # ... and is noisy: the median absolute response of a Laplacian-like kernel (Immerkaer's noise estimate,
    # grey levels) at least this. Clean scans have flat paper (0); the same scans with sensor noise and JPEG
    # measure 1-3. Smoothing the crops of FUNSD's clean 90-dpi scans cost 2 points of word F1.
    noise_floor: float = 1.0
    # On small-text pages, line crops lower than this are resized to the recognizer's height and smoothed
    # with a Gaussian of this sigma (recognizer pixels).
    upsample_below_px: float = 40.0
    smooth_sigma: float = 2.0
    # Photos of a screen (its pixel grid beating with the camera's: moire over the whole page) are read in grey
    # with the grid notched out and deblurred (scriba.pipeline.screen); every other page is read as it is.
    descreen: bool = True


DEFAULT = EnhanceSettings()


def line_heights(quads: list[np.ndarray] | np.ndarray) -> np.ndarray:
    """Height of each quad (TL, TR, BR, BL): the mean of its left and right sides."""
    q = np.asarray(quads, np.float32).reshape(-1, 4, 2)
    return (np.linalg.norm(q[:, 3] - q[:, 0], axis=1) + np.linalg.norm(q[:, 2] - q[:, 1], axis=1)) / 2


def small_text_scale(quads: list[np.ndarray], shape: tuple[int, ...], s: EnhanceSettings = DEFAULT) -> float:
    """How much to enlarge the page for a second detection pass: 1.0 (none) unless its lines are small. Only
    lines at least twice as long as high vote (single characters and specks say little about the text size)."""
    if len(quads) < 3:
        return 1.0
    q = np.asarray(quads, np.float32)
    h = line_heights(q)
    w = np.linalg.norm(q[:, 1] - q[:, 0], axis=1)
    h = h[w >= 2 * h]
    if len(h) < 3:
        return 1.0
    median = float(np.median(h))
    if median >= s.small_line_px:
        return 1.0
    scale = min(s.detect_line_px / max(median, 1.0), s.max_detect_scale, s.max_detect_side / max(shape[:2]))
    return scale if scale > 1.1 else 1.0


def is_noisy(image: np.ndarray, s: EnhanceSettings = DEFAULT) -> bool:
    """The page carries sensor noise or compression artefacts (its paper is not flat)."""
    if s.noise_floor <= 0:
        return True
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = cv2.filter2D(gray.astype(np.float32), -1, kernel)[1:-1, 1:-1]
    return float(np.median(np.abs(response))) >= s.noise_floor


def detect_enlarged(detector: TextDetector, image: np.ndarray, scale: float) -> list[np.ndarray]:
    """Detect on the page enlarged by `scale` (cubic), without the detector's size limit shrinking it back;
    the quads come back in the page's own pixels."""
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    # A shallow copy shares the ONNX session; only the size limit differs.
    enlarged = copy.copy(detector)
    enlarged.spec = replace(detector.spec, limit_side_len=max(big.shape[:2]), limit_type="max")
    boxes = enlarged(big).boxes
    if not len(boxes):
        return []
    h, w = image.shape[:2]
    quads = boxes / np.float32(scale)
    quads[:, :, 0] = np.clip(quads[:, :, 0], 0, w - 1)
    quads[:, :, 1] = np.clip(quads[:, :, 1], 0, h - 1)
    return list(order_clockwise_many(quads))


def smooth_at_height(crop: np.ndarray, height: int, s: EnhanceSettings = DEFAULT) -> np.ndarray:
    """A line crop resized (bilinear, as the recognizer itself resizes) to `height` px and smoothed: the
    recognizer then sees the stroke shapes instead of the scan's noise and JPEG blocks."""
    h, w = crop.shape[:2]
    out = cv2.resize(crop, (max(round(w * height / h), 1), height), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(out, (0, 0), s.smooth_sigma) if s.smooth_sigma > 0 else out
