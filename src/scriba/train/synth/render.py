"""Render one text line as a degraded photo/scan crop (recognition samples)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont


@dataclass
class LineStyle:
    font_path: str
    size: int
    fg: tuple[int, int, int]
    bg: tuple[int, int, int]
    underline: bool = False
    stroke: int = 0


def _contrasting_colors(rng: random.Random) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    r = rng.random()
    if r < 0.55:  # dark ink on paper
        bg = tuple(rng.randint(200, 255) for _ in range(3))
        fg = tuple(rng.randint(0, 70) for _ in range(3))
    elif r < 0.7:  # light text on a dark sign
        bg = tuple(rng.randint(0, 90) for _ in range(3))
        fg = tuple(rng.randint(190, 255) for _ in range(3))
    else:  # any colours with enough luminance contrast (signs, packaging)
        while True:
            bg = tuple(rng.randint(0, 255) for _ in range(3))
            fg = tuple(rng.randint(0, 255) for _ in range(3))
            if abs(np.dot(bg, (0.299, 0.587, 0.114)) - np.dot(fg, (0.299, 0.587, 0.114))) > 70:
                break
    return fg, bg  # type: ignore[return-value]


_font_cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    key = (path, size)
    if key not in _font_cache:
        if len(_font_cache) > 2000:
            _font_cache.clear()
        _font_cache[key] = ImageFont.truetype(path, size)
    return _font_cache[key]


def draw_text(text: str, style: LineStyle) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The text on a plain background with generous padding; returns the image and the ink box."""
    font = _font(style.font_path, style.size)
    x0, y0, x1, y1 = font.getbbox(text, stroke_width=style.stroke)
    pad = style.size
    w, h = x1 - x0 + 2 * pad, max(y1 - y0, style.size) + 2 * pad
    img = Image.new("RGB", (w, h), style.bg)
    d = ImageDraw.Draw(img)
    d.text(
        (pad - x0, pad - y0), text, font=font, fill=style.fg, stroke_width=style.stroke, stroke_fill=style.fg
    )
    box = (pad, pad, pad + x1 - x0, pad + y1 - y0)
    if style.underline:
        y = box[3] + max(1, style.size // 12)
        d.line([(box[0], y), (box[2], y)], fill=style.fg, width=max(1, style.size // 16))
        box = (box[0], box[1], box[2], y + max(1, style.size // 16))
    return np.asarray(img), box


def _background(img: np.ndarray, rng: random.Random) -> np.ndarray:
    h, w = img.shape[:2]
    out = img.astype(np.float32)
    if rng.random() < 0.5:  # illumination gradient
        gx = np.linspace(rng.uniform(-40, 40), rng.uniform(-40, 40), w, dtype=np.float32)
        gy = np.linspace(rng.uniform(-30, 30), rng.uniform(-30, 30), h, dtype=np.float32)
        out += gy[:, None, None] + gx[None, :, None]
    if rng.random() < 0.3:  # paper / surface texture
        tex = cv2.GaussianBlur(
            np.random.default_rng(rng.randrange(1 << 30))
            .normal(0, rng.uniform(5, 25), (h, w))
            .astype(np.float32),
            (0, 0),
            rng.uniform(0.8, 3),
        )
        out += tex[:, :, None]
    if rng.random() < 0.15:  # table rules or clutter lines near the text
        color = tuple(float(rng.randint(0, 255)) for _ in range(3))
        for _ in range(rng.randint(1, 2)):
            if rng.random() < 0.5:
                y = rng.choice([rng.randint(0, max(1, h // 5)), rng.randint(h - h // 5 - 1, h - 1)])
                cv2.line(out, (0, y), (w, y), color, rng.randint(1, 3))
            else:
                x = rng.choice([rng.randint(0, max(1, w // 10)), rng.randint(w - w // 10 - 1, w - 1)])
                cv2.line(out, (x, 0), (x, h), color, rng.randint(1, 3))
    return np.clip(out, 0, 255).astype(np.uint8)


def _warp(
    img: np.ndarray, box: tuple[int, int, int, int], rng: random.Random, bg: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Rotation, shear and perspective; returns the warped image and the warped ink quad."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = box
    quad = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    bh = y1 - y0
    jitter = rng.uniform(0, 0.12) * bh if rng.random() < 0.5 else 0.0
    dst = quad + np.float32([[rng.uniform(-jitter, jitter), rng.uniform(-jitter, jitter)] for _ in range(4)])
    shear = rng.uniform(-0.25, 0.25) * bh if rng.random() < 0.25 else 0.0
    dst[0, 0] += shear
    dst[1, 0] += shear
    angle = np.deg2rad(rng.uniform(-3, 3) if rng.random() < 0.5 else 0.0)
    c = dst.mean(axis=0)
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (dst - c) @ rot.T + c
    m = cv2.getPerspectiveTransform(quad, dst)
    out = cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_LINEAR)
    if rng.random() < 0.1:  # curved baseline
        amp = rng.uniform(0.05, 0.2) * bh
        period = rng.uniform(1.5, 4) * (x1 - x0 + 1)
        xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        ys = ys + amp * np.sin(2 * np.pi * xs / period + rng.uniform(0, 6.28)).astype(np.float32)
        out = cv2.remap(out, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out, dst


def _crop(img: np.ndarray, quad: np.ndarray, rng: random.Random) -> np.ndarray:
    """Axis-aligned crop around the ink with the loose-to-tight margins real detectors and data sets produce."""
    h, w = img.shape[:2]
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    bh = y1 - y0
    ml, mr = (rng.uniform(-0.05, 0.5) * bh for _ in range(2))
    mt, mb = (rng.uniform(-0.05, 0.35) * bh for _ in range(2))
    xa, xb = int(max(0, x0 - ml)), int(min(w, x1 + mr + 1))
    ya, yb = int(max(0, y0 - mt)), int(min(h, y1 + mb + 1))
    return img[ya:yb, xa:xb]


def degrade(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """Camera and scanner damage: blur, low resolution, noise, JPEG, contrast, binarization."""
    out = img
    h, w = out.shape[:2]
    if rng.random() < 0.35:
        k = rng.uniform(0.3, 1.6) * max(h, 1) / 32
        out = cv2.GaussianBlur(out, (0, 0), max(k, 0.3))
    if rng.random() < 0.1:
        n = rng.randint(3, 7)
        kernel = np.zeros((n, n), np.float32)
        kernel[n // 2, :] = 1.0 / n
        out = cv2.filter2D(out, -1, kernel)
    if rng.random() < 0.3:  # low resolution, resampled up again
        f = rng.uniform(0.3, 0.8)
        small = cv2.resize(out, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (w, h), interpolation=rng.choice([cv2.INTER_LINEAR, cv2.INTER_NEAREST]))
    if rng.random() < 0.4:
        a = rng.uniform(0.5, 1.3)
        b = rng.uniform(-40, 40)
        out = np.clip(out.astype(np.float32) * a + b, 0, 255).astype(np.uint8)
    if rng.random() < 0.35:
        noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(3, 20), out.shape)
        out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.1:  # binarized scans (UW-III style)
        gray = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
        _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        out = cv2.cvtColor(bw, cv2.COLOR_GRAY2RGB)
    if rng.random() < 0.1:
        out = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    if rng.random() < 0.35:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(15, 90)])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return out


def render_line(text: str, fonts: tuple[str, ...], rng: random.Random, clean: bool = False) -> np.ndarray:
    """One RGB uint8 crop of `text`; `clean=True` renders black on white without damage (for tests)."""
    if clean:
        style = LineStyle(fonts[0], 40, (0, 0, 0), (255, 255, 255))
        img, box = draw_text(text, style)
        x0, y0, x1, y1 = box
        m = 6
        return img[max(0, y0 - m) : y1 + m, max(0, x0 - m) : x1 + m]
    fg, bg = _contrasting_colors(rng)
    style = LineStyle(
        font_path=rng.choice(fonts),
        size=rng.randint(24, 56),
        fg=fg,
        bg=bg,
        underline=rng.random() < 0.05,
        stroke=1 if rng.random() < 0.05 else 0,
    )
    img, box = draw_text(text, style)
    img = _background(img, rng)
    img, quad = _warp(img, box, rng, bg)
    crop = _crop(img, quad, rng)
    if crop.size == 0 or crop.shape[0] < 4 or crop.shape[1] < 4:
        crop = img
    return degrade(np.ascontiguousarray(crop), rng)
