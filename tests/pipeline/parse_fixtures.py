"""PDFs with known content for the parser tests, drawn with reportlab and real fonts."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import FONTS

TITLE = "A Study of Two Columns"
LEFT = [
    [
        "Alpha paragraph one: the quick brown fox",
        "jumps over the lazy dog while the river keeps",
        "flowing past the old mill and the farmers",
        "count their sheep in the evening light.",
    ],
    [
        "Alpha paragraph two: measurements were",
        "taken every morning at seven, recorded in a",
        "notebook, and later copied into the spread-",
        "sheet that the whole team could read.",
    ],
]
RIGHT = [
    [
        "Beta paragraph one: in the second column",
        "the story continues with a description of the",
        "results, which were better than expected for",
        "every site in the survey that summer.",
    ],
    [
        "Beta paragraph two: finally the authors",
        "thank the volunteers who walked the hills in",
        "the rain to collect samples, and the reviewers",
        "for their careful and generous comments.",
    ],
]
TABLE = [["Region", "2022", "2023"], ["North", "120", "135"], ["South", "98", "101"], ["East", "77", "80"]]
CAPTION = "Table 1: Harvest by region and year."
CLOSING = (
    "After the table a closing paragraph explains that the northern region grew fastest over the two years."
)
# Hyphenated at a line break: Markdown must read "region".
CLOSING_LINES = [
    "After the table a closing paragraph explains that the northern re-",
    "gion grew fastest over the two years.",
]


def _canvas(path: Path, **kwargs):  # type: ignore[no-untyped-def]
    reportlab = pytest.importorskip("reportlab")
    del reportlab
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    for name, key in (("Serif", "serif"), ("SerifBold", "serif-bold")):
        if not FONTS[key].is_file():
            pytest.skip(f"font {FONTS[key]} missing")
        pdfmetrics.registerFont(TTFont(name, str(FONTS[key])))
    return canvas.Canvas(str(path), pagesize=letter, **kwargs), letter


def _paragraph(c, x: float, y: float, lines: list[str], size: float = 10) -> float:  # type: ignore[no-untyped-def]
    c.setFont("Serif", size)
    for line in lines:
        c.drawString(x, y, line)
        y -= size * 1.25
    return y - size * 0.9


def article_pdf(path: Path, **canvas_kwargs: object) -> Path:
    """Page 1: title, two columns of two paragraphs, a page number. Page 2: a ruled table with its caption and
    a paragraph. Page 3: empty."""
    c, (w, h) = _canvas(path, **canvas_kwargs)
    c.setFont("SerifBold", 20)
    c.drawString(72, h - 90, TITLE)
    for x, column in ((72, LEFT), (322, RIGHT)):
        y = h - 140
        for para in column:
            y = _paragraph(c, x, y, para)
    c.setFont("Serif", 9)
    c.drawCentredString(w / 2, 40, "7")
    c.showPage()
    c.setFont("Serif", 10)
    c.drawString(72, h - 80, CAPTION)
    x0, y0, cw, rh = 72, h - 100, 120, 22
    for r in range(len(TABLE) + 1):
        c.line(x0, y0 - r * rh, x0 + 3 * cw, y0 - r * rh)
    for k in range(4):
        c.line(x0 + k * cw, y0, x0 + k * cw, y0 - len(TABLE) * rh)
    for r, row in enumerate(TABLE):
        for k, cell in enumerate(row):
            c.setFont("SerifBold" if r == 0 else "Serif", 10)
            c.drawString(x0 + k * cw + 6, y0 - r * rh - 15, cell)
    _paragraph(c, 72, y0 - len(TABLE) * rh - 40, CLOSING_LINES)
    c.showPage()
    c.showPage()  # an empty page
    c.save()
    return path


def article_page_image(path: Path) -> np.ndarray:
    """Page 1 of article_pdf (written to `path`) rendered at 144 dpi: the two-column page as an image."""
    import pypdfium2 as pdfium

    bitmap = pdfium.PdfDocument(str(article_pdf(path)))[0].render(scale=2.0)
    return np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])


def scanned_pdf(path: Path, image: np.ndarray) -> Path:
    """One page that is only a picture of text (no text layer), like a scan."""
    from reportlab.lib.utils import ImageReader

    c, (w, h) = _canvas(path)
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    buf.seek(0)
    ih, iw = image.shape[:2]
    k = min((w - 72) / iw, (h - 72) / ih)  # fit inside the margins
    c.drawImage(ImageReader(buf), 36, h - 36 - ih * k, width=iw * k, height=ih * k)
    c.showPage()
    c.save()
    return path


FIGURE_CAPTION = "Figure 1: Bars of five sites measured in the summer survey."


FIGURE_LABELS = ["Hill", "River", "Quarry", "Marsh", "Dune"]


def figure_pdf(path: Path, labels: bool = False) -> Path:
    """A paragraph, a bar chart with its caption, another paragraph. labels: each bar named below the axis
    (FIGURE_LABELS), as charts are."""
    c, (_w, h) = _canvas(path)
    _paragraph(c, 72, h - 80, LEFT[0])
    x0, y0 = 120, h - 400
    c.line(x0, y0, x0 + 300, y0)
    c.line(x0, y0, x0, y0 + 200)
    for k, v in enumerate([120, 80, 160, 60, 190]):
        c.setFillColorRGB(0.2 + 0.15 * k, 0.4, 0.8 - 0.1 * k)
        c.rect(x0 + 20 + k * 55, y0, 35, v, fill=1, stroke=0)
    c.setFillColorRGB(0, 0, 0)
    c.setFont("Serif", 10)
    if labels:
        for k, name in enumerate(FIGURE_LABELS):
            c.drawCentredString(x0 + 37 + k * 55, y0 - 12, name)
    c.drawString(72, y0 - 30, FIGURE_CAPTION)
    _paragraph(c, 72, y0 - 70, RIGHT[0])
    c.showPage()
    c.save()
    return path


SIDEWAYS_CAPTION = "Table 4. Quarterly sales by region, in thousands of units"
SIDEWAYS_TABLE = [
    ["Region", "Q1 sales", "Q2 sales", "Q3 sales", "Q4 sales", "Total"],
    ["North", "120", "135", "150", "160", "565"],
    ["South", "98", "101", "110", "118", "427"],
    ["East", "77", "80", "91", "95", "343"],
    ["West", "64", "70", "72", "81", "287"],
    ["Central", "55", "61", "66", "70", "252"],
]
SIDEWAYS_NOTE = "Sales rose in every region during the year; the North led with 565 thousand units sold."


def sideways_pdf(path: Path, quarter: int = 1) -> Path:
    """A landscape table with its caption and a note, printed sideways on a portrait page: turned a quarter
    counter-clockwise (quarter=1, reads upwards) or clockwise (quarter=-1, reads downwards). Only the header
    and the last row are ruled; the columns are whitespace."""
    c, (w, h) = _canvas(path)
    c.saveState()
    if quarter == 1:
        c.translate(w, 0)
        c.rotate(90)
    else:
        c.translate(0, h)
        c.rotate(-90)
    c.setFont("Serif", 12)
    c.drawString(72, w - 72, SIDEWAYS_CAPTION)
    y0, cw, rh = w - 110, 105, 26
    for r, row in enumerate(SIDEWAYS_TABLE):
        for k, cell in enumerate(row):
            c.setFont("Serif", 11)
            c.drawString(72 + k * cw, y0 - r * rh, cell)
    right = 72 + len(SIDEWAYS_TABLE[0]) * cw
    for y in (y0 + 16, y0 - 8, y0 - (len(SIDEWAYS_TABLE) - 1) * rh - 8):
        c.line(72, y, right, y)
    c.setFont("Serif", 10)
    c.drawString(72, y0 - len(SIDEWAYS_TABLE) * rh - 20, SIDEWAYS_NOTE)
    c.restoreState()
    c.showPage()
    c.save()
    return path
