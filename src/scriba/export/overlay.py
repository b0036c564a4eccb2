"""Overlay PNG: the page with line polygons (green) and word boxes (red) drawn over it."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from scriba.document import Page

BLOCK_COLORS = {
    "text": (0, 110, 255),
    "title": (200, 0, 200),
    "table": (255, 140, 0),
    "figure": (0, 170, 170),
    "formula": (150, 90, 0),
}


def draw_overlay(image: np.ndarray, page: Page) -> Image.Image:
    base = Image.fromarray(image).convert("RGB")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    width = max(1, round(max(base.size) / 1000))
    for block in page.blocks:
        color = BLOCK_COLORS.get(block.kind, (120, 120, 120))
        if block.polygon:
            draw.polygon([tuple(p) for p in block.polygon], outline=color + (200,), width=width)
        for line in block.lines:
            draw.polygon([tuple(p) for p in line.polygon], outline=(0, 160, 0, 255), fill=(0, 200, 0, 40))
            for word in line.words:
                draw.polygon([tuple(p) for p in word.polygon], outline=(220, 0, 0, 255), width=width)
    return Image.alpha_composite(base.convert("RGBA"), layer).convert("RGB")
