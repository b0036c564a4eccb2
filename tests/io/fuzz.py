"""A seeded mutator of images and PDFs for the fuzz tests: the test renders its own seed files (PNG, JPEG, TIFF,
BMP, WebP, born-digital and raster PDFs), then writes mutants of them (truncations, byte flips, zeroed headers,
swapped extensions, absurd declared sizes, empty files, odd names, symbolic link loops). The same seed always
writes the same files."""

from __future__ import annotations

import io
import os
import random
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests.conftest import render_lines
from tests.io.bad_files import raw_png

GOOD_LINES = ["Fuzzing keeps the good page", "read and written in full"]


def seed_files(tmp: Path) -> dict[str, bytes]:
    """Small real files of every supported kind, each holding a line of text."""
    page = Image.fromarray(render_lines(["Mutated page 42"], size=28, width=360, margin=20))
    out: dict[str, bytes] = {}
    for ext, fmt, kwargs in (
        ("png", "PNG", {}),
        ("jpg", "JPEG", {"quality": 80}),
        ("tif", "TIFF", {"compression": "tiff_deflate"}),
        ("bmp", "BMP", {}),
        ("webp", "WEBP", {"quality": 80}),
        ("gif", "GIF", {}),
    ):
        buf = io.BytesIO()
        page.save(buf, format=fmt, **kwargs)
        out[ext] = buf.getvalue()
    buf = io.BytesIO()
    page.save(buf, format="PDF", resolution=100.0)
    out["raster.pdf"] = buf.getvalue()
    out["text.pdf"] = _text_pdf(tmp / "seed_text.pdf")
    return out


def _text_pdf(path: Path) -> bytes:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(300, 200))
    for k in range(2):
        c.setFont("Helvetica", 18)
        c.drawString(20, 120, f"Text layer page {k + 1}")
        c.showPage()
    c.save()
    return path.read_bytes()


def good_page(path: Path) -> Path:
    Image.fromarray(render_lines(GOOD_LINES, size=30, width=760)).save(path)
    return path


# -- mutations: each takes (rng, data) and returns new bytes ------------------------------------------------
def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(0, max(1, len(data)))]


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice((1, 2, 8, 64))):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def flip_header(rng: random.Random, data: bytes) -> bytes:
    """Byte flips within the first 64 bytes, where the sizes and kinds are declared."""
    b = bytearray(data)
    for _ in range(rng.choice((1, 2, 4))):
        b[rng.randrange(min(64, len(b)))] = rng.randrange(256)
    return bytes(b)


def zero_header(rng: random.Random, data: bytes) -> bytes:
    n = rng.choice((4, 16, 64))
    return b"\0" * n + data[n:]


def cut_middle(rng: random.Random, data: bytes) -> bytes:
    a = rng.randrange(len(data))
    return data[:a] + data[a + rng.randrange(1, 200) :]


def empty(rng: random.Random, data: bytes) -> bytes:
    return b""


def absurd_size(rng: random.Random, data: bytes) -> bytes:
    """Declare sizes far beyond the limits (or zero) in the header, leaving the pixel data as it is."""
    w, h = rng.choice([(100_000, 1), (1, 100_000), (65_535, 65_535), (0, 50), (40_000, 40_000), (2**31 - 1, 2)])
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        ihdr = struct.pack(">II", w, h) + data[24:29]
        crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
        return data[:16] + ihdr + crc + data[33:]
    if data[:2] == b"BM":
        return data[:18] + struct.pack("<ii", min(w, 2**31 - 1), min(h, 2**31 - 1)) + data[26:]
    if data[:4] == b"GIF8":
        return data[:6] + struct.pack("<HH", min(w, 65535), min(h, 65535)) + data[10:]
    if data[:2] == b"\xff\xd8":
        at = data.find(b"\xff\xc0")
        if at > 0:
            return data[: at + 5] + struct.pack(">HH", min(h, 65535), min(w, 65535)) + data[at + 9 :]
    if data[:4] == b"%PDF":
        side = rng.choice(["9999999", "0", "-5", "1e30", "14401"])
        return re.sub(rb"/MediaBox\s*\[[^\]]*\]", b"/MediaBox [0 0 " + side.encode() + b" " + side.encode() + b"]",
                      data)
    return flip_header(rng, data)


def bad_page_tree(rng: random.Random, data: bytes) -> bytes:
    """PDF: a page no longer of /Type /Page, or a page count that lies."""
    if data[:4] != b"%PDF":
        return truncate(rng, data)
    if rng.random() < 0.5:
        return data.replace(b"/Type /Page\n", b"/Type /Pxxx\n", 1).replace(b"/Type /Page ", b"/Type /Pxxx ", 1)
    return re.sub(rb"/Count \d+", b"/Count 999999", data, count=1)


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    truncate, flip_bytes, flip_header, zero_header, cut_middle, empty, absurd_size, bad_page_tree,
]
ALL_EXTENSIONS = ["png", "jpg", "tif", "bmp", "webp", "gif", "pdf"]


@dataclass
class Mutant:
    path: Path
    kind: str  # what was done, for failure messages


def _name(rng: random.Random, k: int, ext: str) -> bytes:
    """A file name as bytes: mostly plain, sometimes with spaces, non-ASCII, or bytes that are not UTF-8."""
    stem = f"m{k:05d}".encode()
    style = rng.randrange(8)
    if style == 0:
        stem += b"-caf\xe9\xff"  # not UTF-8
    elif style == 1:
        stem += " ünïcødé 文字".encode()
    elif style == 2:
        stem += b" with  spaces"
    elif style == 3:
        stem += b"." + b"x" * 180  # a long name with a dot in it
    return stem + b"." + ext.encode()


def write_mutants(folder: Path, seeds: dict[str, bytes], n: int, seed: int = 0) -> list[Mutant]:
    """n mutants in `folder` (plus symbolic link loops and dangling links among them)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    raw_folder = os.fsencode(folder)
    kinds = sorted(seeds)
    out: list[Mutant] = []
    for k in range(n):
        roll = rng.random()
        if roll < 0.03:  # symbolic links that lead nowhere
            name = _name(rng, k, rng.choice(ALL_EXTENSIONS))
            path = raw_folder + b"/" + name
            style = rng.randrange(3)
            if style == 0:
                os.symlink(name, path)
                what = "self-link"
            elif style == 1:
                other = b"loop-" + name
                os.symlink(other, path)
                os.symlink(name, raw_folder + b"/" + other)
                what = "link-loop"
            else:
                os.symlink(b"gone-" + name, path)
                what = "dangling-link"
            out.append(Mutant(Path(os.fsdecode(path)), what))
            continue
        if roll < 0.08:  # a declared size beyond the limits with hardly any data
            w, h = rng.choice([(100_000, 1), (1, 70_000), (30_000, 30_000)])
            data, base, what = raw_png(w, min(h, 4), 1)[:200], "png", f"raw-png-{w}x{h}"
            if h > 4:
                data = data[:16] + struct.pack(">II", w, h) + data[24:]
        else:
            base = rng.choice(kinds)
            mutation = rng.choice(MUTATIONS)
            data = mutation(rng, seeds[base])
            what = f"{base}:{mutation.__name__}"
        ext = base.rsplit(".", 1)[-1]
        if rng.random() < 0.15:  # swapped extension
            ext = rng.choice([e for e in ALL_EXTENSIONS if e != ext])
            what += f" as .{ext}"
        path = raw_folder + b"/" + _name(rng, k, ext)
        with open(path, "wb") as fh:
            fh.write(data)
        out.append(Mutant(Path(os.fsdecode(path)), what))
    return out
