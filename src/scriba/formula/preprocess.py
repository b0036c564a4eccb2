"""Formula image -> model input, shared by training and inference (numpy and PIL only).

The image is turned grey, inverted so that ink is 1 and background 0 (background from the median, contrast
from the darkest ink), cropped to its ink with a small margin, scaled to fit HEIGHT x MAX_WIDTH without
changing its aspect ratio (never more than 4x up), and padded with background to a width that is a multiple
of 16 (the encoder's stride)."""

from __future__ import annotations

import numpy as np
from PIL import Image

HEIGHT = 48
MAX_WIDTH = 384
STRIDE = 16
MARGIN = 3


def to_ink(image: np.ndarray) -> np.ndarray:
    """H x W (x 3) uint8 -> float32 ink coverage in [0, 1] (1 = ink)."""
    g = image.astype(np.float32)
    if g.ndim == 3:
        g = g[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    bg = float(np.median(g))
    lo = float(g.min())
    span = max(bg - lo, 40.0)
    return np.clip((bg - g) / span, 0.0, 1.0)


def crop_to_ink(ink: np.ndarray, threshold: float = 0.35) -> np.ndarray:
    ys, xs = np.nonzero(ink > threshold)
    if len(ys) == 0:
        return ink
    y0, y1 = max(0, ys.min() - MARGIN), min(ink.shape[0], ys.max() + 1 + MARGIN)
    x0, x1 = max(0, xs.min() - MARGIN), min(ink.shape[1], xs.max() + 1 + MARGIN)
    return ink[y0:y1, x0:x1]


def prepare(image: np.ndarray, scale_jitter: float = 1.0) -> np.ndarray:
    """One formula image -> 1 x HEIGHT x W float32 (W a multiple of 16, at most MAX_WIDTH)."""
    ink = crop_to_ink(to_ink(image))
    h, w = ink.shape
    s = min(HEIGHT / h, MAX_WIDTH / w, 4.0) * scale_jitter
    s = min(s, HEIGHT / h, MAX_WIDTH / w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    pil = Image.fromarray((ink * 255).astype(np.uint8), "L").resize((nw, nh), Image.BILINEAR)
    out_w = max(STRIDE, -(-nw // STRIDE) * STRIDE)
    out = np.zeros((1, HEIGHT, out_w), np.float32)
    top = (HEIGHT - nh) // 2
    out[0, top : top + nh, :nw] = np.asarray(pil, np.float32) / 255.0
    return out


def batch(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pads prepared images to one width: (N x 1 x HEIGHT x W, N widths in encoder columns)."""
    w = max(a.shape[-1] for a in arrays)
    out = np.zeros((len(arrays), 1, HEIGHT, w), np.float32)
    cols = np.zeros(len(arrays), np.int64)
    for i, a in enumerate(arrays):
        out[i, :, :, : a.shape[-1]] = a
        cols[i] = a.shape[-1] // STRIDE
    return out, cols
