"""Render the bundled samples: samples/page.png (a page image) and samples/report.pdf (a 3-page PDF).

The text is our own. Run: python scripts/make_samples.py (needs reportlab, from the dev extra).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype")
OUT = Path(__file__).resolve().parent.parent / "samples"

PAGE_LINES = [
    ("title", "Scriba Field Notes"),
    ("body", "Scriba turns scans, photos and PDFs into text and structure."),
    ("body", "It runs offline on an ordinary CPU, one page or millions."),
    ("body", ""),
    ("head", "Shipment 2026-11-23"),
    ("body", "Order number: SC-48213    Weight: 12.5 kg"),
    ("body", "Total due: $1,284.90 before 30 December 2026."),
    ("body", ""),
    ("body", "The quick brown fox jumps over the lazy dog."),
]


def render_page(path: Path) -> None:
    w, h = 1240, 1000
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    fonts = {
        "title": ImageFont.truetype(str(FONT_DIR / "dejavu/DejaVuSans-Bold.ttf"), 48),
        "head": ImageFont.truetype(str(FONT_DIR / "liberation/LiberationSerif-Bold.ttf"), 38),
        "body": ImageFont.truetype(str(FONT_DIR / "liberation/LiberationSerif-Regular.ttf"), 34),
    }
    y = 80
    for style, text in PAGE_LINES:
        if text:
            d.text((100, y), text, font=fonts[style], fill=(20, 20, 20))
        y += 80 if style == "title" else 56
    img.save(path)


def render_pdf(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pages = [
        ["Quarterly Report", "Revenue grew by 12 percent in the third quarter.", "Costs stayed flat at 4.2 million."],
        ["Operations", "Two new warehouses opened in Lyon and Porto.", "Delivery times fell to 36 hours."],
        ["Outlook", "We expect steady demand through 2027.", "Contact: ops@example.com"],
    ]
    c = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        c.setFont("Helvetica-Bold", 24)
        c.drawString(72, 760, lines[0])
        c.setFont("Helvetica", 14)
        for k, line in enumerate(lines[1:]):
            c.drawString(72, 720 - 24 * k, line)
        c.showPage()
    c.save()


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    render_page(OUT / "page.png")
    render_pdf(OUT / "report.pdf")
    print("wrote", OUT / "page.png", OUT / "report.pdf")
