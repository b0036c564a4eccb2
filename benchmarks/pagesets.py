"""Evaluation pages for the speed benchmark, rendered from ../shared/data (and Debian PDFs) with their ground truth.

Each page carries the reference words its word F1 is measured against:
- docling PDFs: the PDF's own text layer (exact characters of born-digital pages), rendered at 150 dpi;
- FUNSD: the annotated words of each scanned form;
- SROIE: the transcripts of the annotated receipt lines;
- Debian PDFs: the text layer read with pypdfium2.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

SHARED = Path(os.environ.get("SCRIBA_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
# The docling fixtures with born-digital text layers in scripts PP-OCRv5 reads (not: the right-to-left ones,
# Arabic/Hebrew; normal_4pages, Korean; the scanned one, which has no text layer).
DOCLING_DENSE = ["2305.03393v1-pg9", "redp5110_sampled", "multi_page", "code_and_formula", "amt_handbook_sample",
                 "picture_classification"]


@dataclass
class EvalPage:
    name: str
    image: np.ndarray  # RGB uint8
    reference: str  # ground-truth text (whitespace-separated words matter, not their order)


def render_pdf_page(pdf: pdfium.PdfDocument, index: int, dpi: float) -> np.ndarray:
    bitmap = pdf[index].render(scale=dpi / 72.0, rev_byteorder=True)
    return np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])


def pdf_pages(path: str | Path, dpi: float = 150, max_pages: int | None = None, min_words: int = 150) -> Iterator[EvalPage]:
    """Pages of a born-digital PDF with at least `min_words` words in their text layer."""
    pdf = pdfium.PdfDocument(str(path))
    n = len(pdf) if max_pages is None else min(len(pdf), max_pages)
    for i in range(n):
        text = pdf[i].get_textpage().get_text_range()
        if len(text.split()) < min_words:
            continue
        yield EvalPage(f"{Path(path).stem}#{i + 1}", render_pdf_page(pdf, i, dpi), text)


def docling_pages(dpi: float = 150, min_words: int = 150) -> Iterator[EvalPage]:
    root = SHARED / "docling_pdf_regression"
    for name in DOCLING_DENSE:
        path = root / "pdfs" / f"{name}.pdf"
        if path.is_file():
            yield from pdf_pages(path, dpi, min_words=min_words)


def funsd_pages() -> Iterator[EvalPage]:
    root = SHARED / "funsd_test"
    for ann in sorted(glob.glob(str(root / "annotations" / "*.json"))):
        stem = Path(ann).stem
        img = root / "images" / f"{stem}.png"
        if not img.is_file():
            continue
        with open(ann, encoding="utf-8") as fh:
            form = json.load(fh)["form"]
        words = [w["text"] for item in form for w in item["words"] if w["text"].strip()]
        yield EvalPage(f"funsd/{stem}", np.asarray(Image.open(img).convert("RGB")), " ".join(words))


def sroie_pages() -> Iterator[EvalPage]:
    root = SHARED / "sroie_receipts"
    for box in sorted(glob.glob(str(root / "box" / "*.csv"))):
        stem = Path(box).stem
        img = root / "images" / f"{stem}.jpg"
        if not img.is_file():
            continue
        texts = []
        with open(box, encoding="utf-8", errors="replace") as fh:
            for row in fh:
                parts = row.rstrip("\n").split(",", 8)
                if len(parts) == 9:
                    texts.append(parts[8])
        yield EvalPage(f"sroie/{stem}", np.asarray(Image.open(img).convert("RGB")), " ".join(texts))


def debian_pdfs(limit: int = 6) -> list[Path]:
    """Real PDFs shipped by installed Debian packages (documentation), largest text first."""
    found = sorted(glob.glob("/usr/share/doc/**/*.pdf", recursive=True))
    return [Path(p) for p in found[:limit]]


def debian_pages(dpi: float = 150, per_pdf: int = 3, limit: int = 6) -> Iterator[EvalPage]:
    for path in debian_pdfs(limit):
        try:
            yield from pdf_pages(path, dpi, max_pages=per_pdf)
        except pdfium.PdfiumError:
            continue


