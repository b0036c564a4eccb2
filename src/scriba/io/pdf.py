"""PDF pages rendered with PDFium, one at a time so memory stays bounded on long documents."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from scriba.errors import InputError
from scriba.io.images import MAX_PIXELS

if TYPE_CHECKING:
    import pypdfium2 as pdfium

PDF_MAGIC = b"%PDF"
# PDFium is not thread-safe, not even across different documents: every PDFium call Scriba makes holds this
# lock, and only for the call (opening, page sizes, loading, rendering, the text layer), never across OCR, so
# that threads parsing or OCRing different documents run their models at the same time.
PDFIUM_LOCK = threading.RLock()
# PDF's own limit on a page side in user space (ISO 32000-1, Annex C: 14,400 units, 200 inches). A MediaBox
# beyond it is broken or hostile: rendered to our pixel limit it is a blank 14000-pixel square that costs
# seconds and gigabytes and reads nothing, so such a page is refused with its size instead.
MAX_PAGE_PT = 14_400


class PageError(InputError):
    """One page of a document cannot be read; the document's other pages can."""

    def __init__(self, source: str, index: int, reason: str) -> None:
        super().__init__(source, f"page {index + 1}: {reason}")
        self.index = index
        self.page_reason = reason


# Unreadable pages in a row after which a document is given up: a page tree that declares 999999 pages it does
# not have would otherwise fail page by page, a million error lines later.
MAX_FAILED_RUN = 10


def broken_page_tree(name: str, selected: list[int], at: int) -> InputError:
    """The error that ends a document once MAX_FAILED_RUN selected pages in a row, up to selected[at], failed."""
    first, last, left = selected[at - MAX_FAILED_RUN + 1] + 1, selected[at] + 1, len(selected) - at - 1
    return InputError(
        name, f"pages {first}-{last} are all unreadable; the page tree looks broken, so the {left} pages after "
        "them are not tried"
    )


def check_page_size(name: str, index: int, w_pt: float, h_pt: float) -> None:
    """Refuse a page whose MediaBox is empty or beyond PDF's limits, from its size alone (nothing rendered)."""
    if not (w_pt >= 1 and h_pt >= 1):  # also NaN
        raise PageError(name, index, f"no area ({w_pt:.0f} x {h_pt:.0f} pt)")
    if w_pt > MAX_PAGE_PT or h_pt > MAX_PAGE_PT:
        raise PageError(
            name, index, f"size {w_pt:.0f} x {h_pt:.0f} pt is beyond PDF's limit of {MAX_PAGE_PT} pt (200 in) "
            "per side; not rendered"
        )


def page_size(pdf: pdfium.PdfDocument, name: str, index: int) -> tuple[float, float]:
    """A page's size in points, read without loading the page, and checked (PageError when unusable)."""
    import pypdfium2 as pdfium

    try:
        with PDFIUM_LOCK:
            w, h = pdf.get_page_size(index)
    except pdfium.PdfiumError as exc:
        raise PageError(name, index, f"unreadable ({exc})") from None
    check_page_size(name, index, w, h)
    return w, h


def load_page(pdf: pdfium.PdfDocument, name: str, index: int) -> pdfium.PdfPage:
    """pdf[index], with its size checked first; PageError when the page cannot be loaded."""
    import pypdfium2 as pdfium

    page_size(pdf, name, index)
    try:
        with PDFIUM_LOCK:
            return pdf[index]
    except pdfium.PdfiumError as exc:
        raise PageError(name, index, f"unreadable ({exc})") from None


def open_pdf(name: str, data: bytes | str, password: str | None = None) -> pdfium.PdfDocument:
    import pypdfium2 as pdfium  # here, not at the top: an image-only run never pays for loading PDFium

    try:
        with PDFIUM_LOCK:
            return pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            hint = "wrong password" if password else "PDF is encrypted; pass its password (--password)"
            raise InputError(name, hint) from None
        raise InputError(name, f"corrupt or truncated PDF ({msg})") from None
    except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: pathlib's "Symlink loop from ..."
        raise InputError(name, f"cannot read PDF ({exc})") from None


def page_spans(spec: str) -> list[tuple[int, int | None]]:
    """The syntax of a page range, apart from any document: '1-3,5,8-' -> [(1, 3), (5, 5), (8, None)], 1-based,
    None for an open end. ValueError when it is malformed."""
    spans: list[tuple[int, int | None]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                a, b = part.split("-", 1)
                lo, hi = (int(a) if a.strip() else 1), (int(b) if b.strip() else None)
            else:
                lo = hi = int(part)
        except ValueError:
            raise ValueError(f"invalid page range {spec!r}; use e.g. 1-3,5") from None
        if lo < 1:
            raise ValueError(f"invalid page range {spec!r}; pages start at 1")
        if hi is not None and hi < lo:
            raise ValueError(f"invalid page range {spec!r}; {lo}-{hi} ends before it starts")
        spans.append((lo, hi))
    return spans


def parse_page_range(spec: str | None, n_pages: int) -> list[int]:
    """'1-3,5,8-' -> zero-based indices within the document; None -> all pages. Pages past the end are left
    out; a range that leaves none of the document's pages is refused (ValueError), as is bad syntax."""
    if not spec:
        return list(range(n_pages))
    out: list[int] = []
    for lo, hi in page_spans(spec):
        out.extend(i - 1 for i in range(lo, min(n_pages if hi is None else hi, n_pages) + 1))
    if not out:
        raise ValueError(f"the page range {spec!r} selects none of the document's {n_pages} pages")
    return sorted(dict.fromkeys(out))


def render_page(page: pdfium.PdfPage, dpi: float) -> np.ndarray:
    with PDFIUM_LOCK:
        w, h = page.get_size()
        scale = dpi / 72.0
        if w * h * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / (w * h)) ** 0.5  # very large pages are rendered at the largest size we accept
        bitmap = page.render(scale=scale, rev_byteorder=True, fill_color=(255, 255, 255, 255))
        try:
            arr = bitmap.to_numpy()
            return np.ascontiguousarray(arr[:, :, :3])
        finally:
            bitmap.close()


def iter_pdf_pages(
    name: str,
    data: bytes | str,
    dpi: float = 200,
    pages: str | None = None,
    password: str | None = None,
    on_page_error: Callable[[PageError], None] | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (zero-based page index, RGB array) for the selected pages. A page that cannot be read raises
    PageError, or, with `on_page_error`, is handed to it and skipped so that the other pages are still read."""
    import pypdfium2 as pdfium

    pdf = open_pdf(name, data, password)
    try:
        with PDFIUM_LOCK:
            n = len(pdf)
        if n == 0:
            raise InputError(name, "PDF has no pages")
        try:
            selected = parse_page_range(pages, n)
        except ValueError as exc:
            raise InputError(name, str(exc)) from None
        failed_run = 0
        for at, i in enumerate(selected):
            if failed_run >= MAX_FAILED_RUN:
                raise broken_page_tree(name, selected, at - 1)
            try:
                page = load_page(pdf, name, i)
                try:
                    arr = render_page(page, dpi)
                except pdfium.PdfiumError as exc:
                    raise PageError(name, i, f"cannot be rendered ({exc})") from None
                finally:
                    with PDFIUM_LOCK:
                        page.close()
            except PageError as exc:
                if on_page_error is None:
                    raise
                on_page_error(exc)
                failed_run += 1
                continue
            failed_run = 0
            yield i, arr
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def page_count(name: str, data: bytes | str, password: str | None = None) -> int:
    pdf = open_pdf(name, data, password)
    try:
        with PDFIUM_LOCK:
            return len(pdf)
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def planned_page_count(name: str, data: bytes | str, password: str | None = None) -> tuple[int, str | None]:
    """Pages worth planning work for, and why the rest are left out (None when all are): the document's pages
    up to the end of the first run of MAX_FAILED_RUN pages whose sizes cannot be read (a page tree that lies
    about its length). Sizes only: no page is loaded."""
    import pypdfium2 as pdfium

    pdf = open_pdf(name, data, password)
    try:
        with PDFIUM_LOCK:
            n = len(pdf)
            failed_run = 0
            for i in range(n):
                try:
                    pdf.get_page_size(i)
                    failed_run = 0
                except pdfium.PdfiumError:
                    failed_run += 1
                    if failed_run >= MAX_FAILED_RUN and i + 1 < n:
                        return i + 1, broken_page_tree(name, list(range(n)), i).reason
        return n, None
    finally:
        with PDFIUM_LOCK:
            pdf.close()
