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
