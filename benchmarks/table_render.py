"""Tables rendered with PIL, with their word boxes and HTML: inputs for the table benchmark and tests.

A synthetic-table generator (`synthetic_spec`) gives header rows with row and column spans over numeric bodies.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scriba.pipeline.tables import TableWord

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# (text, rowspan, colspan) per cell, row by row; a spanning cell is listed once, in its first row.
Spec = list[list[tuple[str, int, int]]]


@dataclass
class RenderedTable:
    image: np.ndarray  # RGB
    words: list[TableWord]  # image pixels
    html: str  # <table><thead>...</thead><tbody>...</tbody></table>
    cells: dict[str, tuple[int, int, int, int]]  # text -> (row, col, rowspan, colspan)


def render_table(
    spec: Spec,
    header_rows: int = 1,
    ruling: str = "grid",
    col_width: int = 170,
    row_height: int = 44,
    font_size: int = 20,
    margin: int = 20,
) -> RenderedTable:
    """ruling: 'grid' every cell border drawn, 'rules' only lines above and below the header and at the end
    (paper style), 'none' no lines."""
    occupied: set[tuple[int, int]] = set()
    placed: list[tuple[str, int, int, int, int]] = []
    for r, row in enumerate(spec):
        c = 0
        for text, rs, cs in row:
            while (r, c) in occupied:
                c += 1
            placed.append((text, r, c, rs, cs))
            occupied.update((rr, cc) for rr in range(r, r + rs) for cc in range(c, c + cs))
            c += cs
    n_rows = len(spec)
    n_cols = max(c + cs for _, _, c, _, cs in placed)
    w, h = 2 * margin + n_cols * col_width, 2 * margin + n_rows * row_height
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, font_size)
    words: list[TableWord] = []
    for text, r, c, rs, cs in placed:
        x0, y0 = margin + c * col_width, margin + r * row_height
        x1, y1 = x0 + cs * col_width, y0 + rs * row_height
        if ruling == "grid":
            draw.rectangle((x0, y0, x1, y1), outline="black", width=2)
        if not text:
            continue
        tw = draw.textlength(text, font=font)
        x, y = (x0 + x1 - tw) / 2, (y0 + y1 - font_size) / 2
        draw.text((x, y), text, fill="black", font=font)
        for part in text.split(" "):
            left, top, right, bottom = draw.textbbox((x, y), part, font=font)
            words.append(TableWord(part, (float(left), float(top), float(right), float(bottom))))
            x += draw.textlength(part + " ", font=font)
    if ruling == "rules":
        for y in (margin, margin + header_rows * row_height, margin + n_rows * row_height):
            draw.line((margin, y, margin + n_cols * col_width, y), fill="black", width=2)
    parts = ["<table>"]
    for r, row in enumerate(spec):
        if r == 0 and header_rows:
            parts.append("<thead>")
        if r == header_rows:
            parts.append("<tbody>")
        parts.append("<tr>")
        for text, rs, cs in row:
            span = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            parts.append(f"<td{span}>{html.escape(text, quote=False)}</td>")
        parts.append("</tr>")
        if r == header_rows - 1:
            parts.append("</thead>")
    parts.append("</tbody></table>")
    cells = {text: (r, c, rs, cs) for text, r, c, rs, cs in placed if text}
    return RenderedTable(np.asarray(img), words, "".join(parts), cells)


def synthetic_spec(n_rows: int, n_cols: int, seed: int = 0) -> Spec:
    """Two header rows ('Name' and a last 'Total' over both rows, 'Group X' over 'mean'/'sd' pairs) and
    n_rows body rows of a label and numbers."""
    rng = random.Random(seed)
    groups = (n_cols - 1) // 2
    top = [("Name", 2, 1)] + [(f"Group {chr(65 + g)}", 1, 2) for g in range(groups)]
    top += [("Total", 2, 1)] if (n_cols - 1) % 2 else []
    second = [(x, 1, 1) for g in range(groups) for x in (f"mean {g + 1}", f"sd {g + 1}")]
    body = [
        [(f"Item {r + 1}", 1, 1)] + [(f"{rng.uniform(0, 100):.1f}", 1, 1) for _ in range(n_cols - 1)]
        for r in range(n_rows)
    ]
    return [top, second, *body]
