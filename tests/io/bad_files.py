"""Writers for broken inputs, shared by the API and CLI tests. Each returns the path it wrote."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def raw_png(width: int, height: int, bit_depth: int = 1) -> bytes:
    """A valid grayscale PNG of any declared size, written by hand so a huge blank page costs kilobytes on disk
    and no memory here (rows of zeros compress about 1000:1)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width * bit_depth + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")


def _encoded(fmt: str) -> bytes:
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8))  # noise: no early end of data
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def missing(d: Path) -> Path:
    return d / "does_not_exist.png"


def truncated_png(d: Path) -> Path:
    data = _encoded("PNG")
    (p := d / "truncated.png").write_bytes(data[: len(data) // 2])
    return p


def truncated_jpeg(d: Path) -> Path:
    data = _encoded("JPEG")
    (p := d / "truncated.jpg").write_bytes(data[: len(data) // 3])
    return p


def empty(d: Path) -> Path:
    (p := d / "empty.png").write_bytes(b"")
    return p


def not_an_image(d: Path) -> Path:
    (p := d / "notes.png").write_text("These are meeting notes, not a picture.\n")
    return p


def encrypted_pdf(d: Path) -> Path:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    p = d / "secret.pdf"
    enc = pdfencrypt.StandardEncryption("user-pass", "owner-pass", canPrint=0)
    c = canvas.Canvas(str(p), encrypt=enc)
    c.drawString(72, 720, "Confidential text")
    c.showPage()
    c.save()
    return p


def corrupt_pdf(d: Path) -> Path:
    (p := d / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ngarbage\n%%EOF\n")
    return p


def zero_pixel(d: Path) -> Path:
    (p := d / "zero.png").write_bytes(raw_png(0, 10))
    return p


def huge(d: Path) -> Path:
    (p := d / "huge.png").write_bytes(raw_png(15_000, 15_000))  # 225 MP, about 30 kB on disk
    return p


def unreadable(d: Path) -> Path:
    p = d / "locked.png"
    Image.new("RGB", (40, 20), "white").save(p)
    p.chmod(0)
    return p


# name -> (writer, words the error line must contain)
BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "missing": (missing, ("no such file",)),
    "truncated-png": (truncated_png, ("truncated",)),
    "truncated-jpeg": (truncated_jpeg, ("truncated",)),
    "empty": (empty, ("empty",)),
    "not-an-image": (not_an_image, ("not a supported image",)),
    "encrypted-pdf": (encrypted_pdf, ("encrypted", "password")),
    "corrupt-pdf": (corrupt_pdf, ("corrupt",)),
    "zero-pixel": (zero_pixel, ("no pixels",)),
    "huge": (huge, ("MP", "limit")),
}


def pdf_pages(path: Path, texts: list[str], sizes: list[tuple[float, float]] | None = None) -> Path:
    """A born-digital PDF, one line of text per page; `sizes` gives each page's MediaBox in points."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for k, text in enumerate(texts):
        c.setPageSize(sizes[k] if sizes else (612, 792))
        c.setFont("Helvetica", 28)
        c.drawString(72, 700, text)
        c.showPage()
    c.save()
    return path


def pdf_with_broken_page(path: Path, texts: list[str], broken: int) -> Path:
    """A PDF whose page `broken` (zero-based) PDFium cannot load: its /Type is no longer /Page, so the page
    tree still counts it but 'Failed to get page size' / 'Failed to load page' comes back for it."""
    import re

    data = pdf_pages(path, texts).read_bytes()
    at = [m.start() for m in re.finditer(rb"/Type /Page\b", data)][broken]
    path.write_bytes(data[:at] + b"/Type /Pxxx" + data[at + 11 :])
    return path


def absurd_mediabox(d: Path) -> Path:
    return pdf_pages(d / "giant.pdf", ["Normal first page", "Giant page"], [(612, 792), (9_999_999, 9_999_999)])


def thin(d: Path) -> Path:
    (p := d / "thin.png").write_bytes(raw_png(100_000, 1, 8))  # 1e5 pixels: under the pixel limit
    return p


def self_link(d: Path) -> Path:
    (p := d / "self.png").symlink_to("self.png")
    return p


def self_link_pdf(d: Path) -> Path:
    """A loop named .pdf: the page count read before any page used to open it through pathlib (RuntimeError)."""
    (p := d / "self.pdf").symlink_to("self.pdf")
    return p


def link_loop(d: Path) -> Path:
    (d / "b.png").symlink_to("a.png")
    (p := d / "a.png").symlink_to("b.png")
    return p


BAD_INPUTS.update(
    {
        "thin": (thin, ("100000x1", "per side")),
        "self-link": (self_link, ("symbolic link loop",)),
        "self-link-pdf": (self_link_pdf, ("symbolic link loop",)),
        "link-loop": (link_loop, ("symbolic link loop",)),
    }
)


def lying_page_count(path: Path) -> Path:
    """Two real pages in a page tree that declares 999999 (/Count): PDFium fails on every page past the second."""
    import re

    data = pdf_pages(path, ["Real page one", "Real page two"]).read_bytes()
    path.write_bytes(re.sub(rb"/Count 2\b", b"/Count 999999", data, count=1))
    return path


def tiff_samples(d: Path) -> Path:
    """A TIFF declaring 14851 samples per pixel: Pillow logs a complaint of its own before refusing it."""
    data = _encoded("TIFF")
    at = data.find(b"\x15\x01\x03\x00\x01\x00\x00\x00")  # tag 277 (SamplesPerPixel), SHORT, count 1
    (p := d / "samples.tif").write_bytes(data[: at + 8] + (14851).to_bytes(2, "little") + data[at + 10 :])
    return p


BAD_INPUTS["tiff-samples"] = (tiff_samples, ("not a supported image",))

