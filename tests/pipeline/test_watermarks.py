"""Watermarks (large slanted text across the page) leave the Markdown on both paths and stay in the JSON as
their own block; small slanted text (a chart's tilted labels) stays."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from scriba import ParseOptions, Parser
from scriba.io.textlayer import read_text_layer

SERIF = "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"
BODY = [
    "Measurements were taken every morning at the same station near the river.",
    "Most of the samples showed a steady increase in temperature over the season.",
    "Volunteers recorded the number of birds seen at each site during the spring.",
]


def _page(path: Path, label_size: float = 0.0) -> None:
    """An A4 page of body lines with 'SAMPLE COPY' in light grey across it at 40 degrees; with `label_size`,
    also a small label tilted 45 degrees (as under a chart's axis)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("WmSerif", SERIF))
    w, h = A4
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("WmSerif", 11)
    for k, text in enumerate(BODY * 3):
        c.drawString(60, h - 80 - 18 * k, text)
    c.saveState()
    c.setFillGray(0.8)
    c.setFont("WmSerif", 64)
    c.translate(w / 2, h / 2 - 120)
    c.rotate(40)
    c.drawCentredString(0, 0, "SAMPLE COPY")
    c.restoreState()
    if label_size:
        c.saveState()
        c.setFont("WmSerif", label_size)
        c.translate(120, 150)
        c.rotate(45)
        c.drawString(0, 0, "Northern districts")
        c.restoreState()
    c.save()


def test_slanted_text_layer_run_is_one_line_along_its_slant(tmp_path: Path) -> None:
    _page(tmp_path / "wm.pdf")
    layer = read_text_layer(pdfium.PdfDocument(str(tmp_path / "wm.pdf"))[0], 200 / 72)
    marks = [x for x in layer.lines if "SAMPLE" in x.text or "COPY" in x.text]
    assert [x.text for x in marks] == ["SAMPLE COPY"]
    p = np.array(marks[0].polygon)
    assert abs(math.degrees(math.atan2(p[0][1] - p[1][1], p[1][0] - p[0][0])) - 40) < 3
    assert [w.text for w in marks[0].words] == ["SAMPLE", "COPY"]


@pytest.mark.parametrize("ocr_mode", ["auto", "always"])
def test_watermark_leaves_the_markdown_and_keeps_its_block(tmp_path: Path, ocr_mode: str) -> None:
    _page(tmp_path / "wm.pdf", label_size=9)
    doc = Parser(ParseOptions(dpi=200, ocr_mode=ocr_mode))(tmp_path / "wm.pdf")
    md = doc.to_markdown()
    assert "SAMPLE" not in md and "COPY" not in md
    for text in BODY:
        assert text in md
    # Small tilted text is content (OCR reads a line at 45 degrees only in part).
    assert ("Northern districts" if ocr_mode == "auto" else "North") in md
    marks = [b for b in doc.pages[0].blocks if b.kind == "watermark"]
    assert marks and "AMPLE" in " ".join(b.text for b in marks)  # OCR reads the 40-degree line in part
