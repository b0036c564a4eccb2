"""Whole synthetic pages (detection samples) and the writers of PaddleOCR-format label files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scriba.train.synth.corpus import TextSampler
from scriba.train.synth.render import _contrasting_colors, degrade, render_line


def render_page(
    sampler: TextSampler, fonts: tuple[str, ...], rng: random.Random, width: int = 960, height: int = 1280
) -> tuple[np.ndarray, list[dict]]:
    """A page of text lines (paragraphs, some columns and table rules) with one quad per line."""
    fg, bg = _contrasting_colors(rng) if rng.random() < 0.3 else ((20, 20, 20), (250, 250, 245))
    img = Image.new("RGB", (width, height), bg)
    d = ImageDraw.Draw(img)
    anns: list[dict] = []
    y = rng.randint(20, 80)
    columns = rng.choice([1, 1, 2])
    col_w = (width - 80) // columns
    while y < height - 60:
        size = rng.choice([14, 16, 18, 20, 24, 28, 36])
        font = ImageFont.truetype(rng.choice(fonts), size)
        for c in range(columns):
            if rng.random() < 0.15:
                continue
            x = 40 + c * col_w + rng.randint(0, 20)
            text = sampler.prose(max(4, int(col_w / (size * 0.55))))
            while text and font.getlength(text) > col_w - 30:
                text = text[:-1]
            text = text.strip()
            if not text:
                continue
            x0, y0, x1, y1 = font.getbbox(text)
            d.text((x - x0, y - y0), text, font=font, fill=fg)
            pts = [[x, y], [x + x1 - x0, y], [x + x1 - x0, y + y1 - y0], [x, y + y1 - y0]]
            anns.append({"transcription": text, "points": pts})
        if rng.random() < 0.08:  # a table rule
            ry = y + int(size * 1.4)
            d.line([(30, ry), (width - 30, ry)], fill=fg, width=1)
        y += int(size * rng.uniform(1.4, 2.6))
    page = np.asarray(img)
    return degrade(page, rng) if rng.random() < 0.5 else page, anns


def write_rec_set(
    out_dir: Path,
    n: int,
    sampler: TextSampler,
    fonts: tuple[str, ...],
    rng: random.Random,
    max_chars: int = 40,
) -> Path:
    """`n` line crops under out_dir/images and out_dir/labels.txt (`images/000001.png<TAB>text`)."""
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    label_path = out_dir / "labels.txt"
    with open(label_path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = sampler.sample(max_chars=rng.randint(1, max_chars))
            crop = render_line(text, fonts, rng)
            name = f"images/{i:06d}.png"
            cv2.imwrite(str(out_dir / name), crop[:, :, ::-1])
            fh.write(f"{name}\t{text}\n")
    return label_path


def write_det_set(
    out_dir: Path,
    n: int,
    sampler: TextSampler,
    fonts: tuple[str, ...],
    rng: random.Random,
    width: int = 960,
    height: int = 1280,
) -> Path:
    """`n` pages under out_dir/images and out_dir/labels.txt (`img<TAB>[{"transcription", "points"}]`)."""
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    label_path = out_dir / "labels.txt"
    with open(label_path, "w", encoding="utf-8") as fh:
        for i in range(n):
            page, anns = render_page(sampler, fonts, rng, width, height)
            name = f"images/{i:06d}.jpg"
            cv2.imwrite(str(out_dir / name), page[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
            fh.write(f"{name}\t{json.dumps(anns, ensure_ascii=False)}\n")
    return label_path
