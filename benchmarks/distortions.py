"""Seeded capture distortions for the robustness benchmark: each takes a clean RGB page and the page's dpi and
returns what a phone, a screen photo or a poor scanner would make of it.

Every function draws its parameters from the generator it is given, so a (page, axis, seed) triple always
gives the same image. The magnitudes are those of ordinary bad captures, not adversarial ones: a few degrees
of skew, a curl of 2-4% of the page height, a scan at about 90 dpi.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Distortion = Callable[[np.ndarray, float, np.random.Generator], np.ndarray]


def _noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    n = rng.normal(0.0, sigma, img.shape[:2])[..., None]
    return np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])


def _rotate(img: np.ndarray, degrees: float, fill: tuple[int, int, int]) -> np.ndarray:
    """Rotate about the centre on a canvas grown to hold the whole page."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * s + w * c), int(h * c + w * s)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=fill)


def skew(img: np.ndarray, dpi: float, rng: np.random.Generator) -> np.ndarray:
    angle = rng.uniform(2.0, 6.0) * rng.choice([-1, 1])
    return _rotate(img, angle, (255, 255, 255))


def curl(img: np.ndarray, dpi: float, rng: np.random.Generator) -> np.ndarray:
    """A page curled over its width (lines bow by 2-4% of the page height, more towards one end), foreshortened
    where it bends away, then photographed at an angle (each corner moved by up to 6% of the page) on a table."""
    h, w = img.shape[:2]
    amp = rng.uniform(0.02, 0.04) * h * rng.choice([-1, 1])
    phase = rng.uniform(-0.15, 0.15)
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    t = u / w
    # The bow grows down the page: a curl lifted at one corner rather than a plain cylinder.
    strength = 0.6 + 0.8 * v / h
    bow = np.sin(np.pi * np.clip(t + phase, 0.0, 1.0)).astype(np.float32)
    map_y = v - amp * strength * bow
    # Foreshortening: x advances faster where the surface tilts away (slope of the bow).
    slope = np.cos(np.pi * np.clip(t + phase, 0.0, 1.0))
    map_x = u + 0.015 * w * slope * (v / h)
    warped = cv2.remap(img, map_x, map_y.astype(np.float32), cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    return _on_table(warped, rng)


def _on_table(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The page lying on a darker table, photographed at an angle: each corner moved by up to 6% of the page."""
    h, w = img.shape[:2]
    table = (int(rng.integers(60, 120)),) * 3
    pad = int(0.08 * max(h, w))
    canvas = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=table)
    src = np.float32([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]])
    dst = src + rng.uniform(-0.06, 0.06, (4, 2)).astype(np.float32) * np.float32([w, h])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(canvas, m, canvas.shape[1::-1], flags=cv2.INTER_LINEAR, borderValue=table)


def perspective(img: np.ndarray, dpi: float, rng: np.random.Generator) -> np.ndarray:
    """A flat page photographed at an angle on a table (curl's last step without the curl): lines stay straight
    but converge."""
    return _on_table(img, rng)


def spine(img: np.ndarray, dpi: float, rng: np.random.Generator) -> np.ndarray:
    """A page curled only near one side, as an open book's page bends towards its spine: lines run straight over
    most of the width and bow over the last 25-45% of it (by 1.5-3.5% of the page height at the edge, more
    towards one end of the page), then photographed at an angle as in curl."""
    h, w = img.shape[:2]
    amp = rng.uniform(0.015, 0.035) * h * rng.choice([-1, 1])
    reach = rng.uniform(0.25, 0.45)
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    t = u / w if rng.random() < 0.5 else 1.0 - u / w  # the spine on the right or on the left
    s = np.clip((t - (1.0 - reach)) / reach, 0.0, 1.0)
    strength = 0.6 + 0.8 * v / h
    map_y = (v - amp * strength * s**2).astype(np.float32)
    warped = cv2.remap(img, u, map_y, cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    return _on_table(warped, rng)


def screen(img: np.ndarray, dpi: float, rng: np.random.Generator) -> np.ndarray:
    """A photo of the page shown on a screen: the screen's pixel grid (RGB stripes, dark gaps) resampled by the
    camera at a non-integer ratio (moire), a colour cast, lower contrast, blur and sensor noise."""
    h, w = img.shape[:2]
    on_screen = cv2.resize(img, (int(w * 0.9), int(h * 0.9)), interpolation=cv2.INTER_AREA)
    sub = np.repeat(np.repeat(on_screen, 3, axis=0), 3, axis=1).astype(np.float32)
    mask = np.full((3, 3, 3), 0.6, np.float32)
    for c in range(3):  # one vertical stripe per colour, a dark row at the bottom of each pixel
        mask[:2, c, c] = 1.0
    sub *= np.tile(mask, (sub.shape[0] // 3, sub.shape[1] // 3, 1))
    ratio = rng.uniform(0.33, 0.38)  # camera pixels per screen sub-pixel: not a multiple, so the grid beats
    shot = cv2.resize(
        sub, (int(sub.shape[1] * ratio), int(sub.shape[0] * ratio)), interpolation=cv2.INTER_LINEAR
    )
    shot = cv2.GaussianBlur(shot, (0, 0), rng.uniform(0.8, 1.2))
    shot = shot / max(float(shot.max()), 1.0) * 255.0
    cast = np.float32(rng.uniform([0.85, 0.9, 0.75], [1.0, 1.0, 0.95]))
    shot = 30.0 + shot * cast * rng.uniform(0.7, 0.85)
    return _noise(np.clip(shot, 0, 255).astype(np.uint8), 4.0, rng)


def light(img: np.ndarray, dpi: float, rng: np.random.Generator) -> np.ndarray:
    """Uneven light: a gradient across the page, a bright spot, and the soft shadow of a hand or phone."""
    h, w = img.shape[:2]
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * np.pi)
    grad = (np.cos(a) * u / w + np.sin(a) * v / h + 1.5) / 3.0
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    spot = np.exp(-(((u - cx) / (0.5 * w)) ** 2 + ((v - cy) / (0.5 * h)) ** 2))
    field = 0.45 + 0.35 * grad + 0.25 * spot
    x0 = rng.uniform(0.2, 0.8) * w
    shadow = 1.0 - 0.35 / (1.0 + np.exp(-(u - x0 - 0.3 * (v - h / 2)) / (0.03 * w)))
    field = np.clip(field * shadow, 0.25, 1.0)
    out = img.astype(np.float32) * field[..., None] * np.float32([1.0, 0.97, 0.9])
    return _noise(np.clip(out, 0, 255).astype(np.uint8), 3.0, rng)


def scan(img: np.ndarray, dpi: float, rng: np.random.Generator) -> np.ndarray:
    """A poor scan: grey, tilted a little, blurred by the optics, sampled at about 90 dpi, noisy, heavy JPEG."""
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    gray = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    tilted = _rotate(gray, rng.uniform(-1.5, 1.5), (255, 255, 255))
    target = rng.uniform(85, 95)
    scale = min(1.0, target / dpi)
    blurred = cv2.GaussianBlur(tilted, (0, 0), 0.5 / scale)
    h, w = blurred.shape[:2]
    small = cv2.resize(
        blurred, (max(int(w * scale), 1), max(int(h * scale), 1)), interpolation=cv2.INTER_AREA
    )
    # Paper tone and a scanner's uneven black point.
    small = (small.astype(np.float32) * rng.uniform(0.8, 0.9) + rng.uniform(15, 35)).astype(np.uint8)
    noisy = _noise(small, rng.uniform(8, 12), rng)
    return _jpeg(noisy, int(rng.integers(20, 35)))


AXES: dict[str, Distortion] = {"skew": skew, "curl": curl, "screen": screen, "light": light, "scan": scan}
# Not in the default run: a flat page photographed at an angle, and a page curled near its spine (for the
# unwarping trigger: benchmarks/unwarp_trigger.py; `robustness.py --axes perspective,spine`).
EXTRA_AXES: dict[str, Distortion] = {"perspective": perspective, "spine": spine}
