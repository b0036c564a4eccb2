"""Server limits, and the cheap header checks that enforce them before any page is decoded or rendered."""

from __future__ import annotations

import io
import warnings
from dataclasses import asdict, dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from scriba.io.images import MAX_SIDE
from scriba.io.pdf import PDFIUM_LOCK as _PDFIUM_LOCK

# PDFium is not thread-safe: every PDFium call the server makes holds the library's lock (io.pdf).
PDFIUM_LOCK = _PDFIUM_LOCK


@dataclass
class ServeLimits:
    max_upload_bytes: int = 50 * 1024 * 1024
    # Per page, after rendering: 60 MP is an A3 page at 400 dpi; larger pages cost seconds and gigabytes.
    max_pixels: int = 60_000_000
    max_pages: int = 50  # per synchronous request; larger documents go through /v1/jobs
    max_job_pages: int = 2000
    request_timeout_s: float = 120.0  # per request, from when its work starts (504 beyond)
    # How long a request may wait for an inference thread before 503 + Retry-After; None: 2 x request_timeout_s.
    queue_timeout_s: float | None = None
    concurrency: int = 1  # inference threads per worker process
    queue: int = 32  # requests allowed to wait for an inference thread before 503
    max_jobs: int = 64  # queued or running jobs per worker before 503
    job_ttl_s: float = 3600.0  # finished jobs are kept this long
    dpi: float = 200
    max_dpi: float = 600

    def queue_wait_s(self) -> float:
        """The queue timeout in effect."""
        return 2 * self.request_timeout_s if self.queue_timeout_s is None else self.queue_timeout_s

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "queue_timeout_s": self.queue_wait_s()}


class LimitError(Exception):
    """A request refused for its size or content, with the HTTP status to answer and a message for humans."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class UploadInfo:
    kind: str  # "pdf" or "image"
    pages: int  # pages that will be read (after any page range)
    page_indices: list[int] | None  # PDF pages to read, zero-based; None for images


def _mp(pixels: float) -> str:
    return f"{pixels / 1e6:.1f} MP"


def inspect_upload(
    data: bytes, limits: ServeLimits, dpi: float, pages: str | None, max_pages: int, password: str | None = None
) -> UploadInfo:
    """Check an upload against the page and pixel limits from its headers only (no decoding, no rendering).

    Raises LimitError: 413 for too many pages or pixels, 422 for content that is not a readable image or PDF.
    """
    if not data:
        raise LimitError(422, "the uploaded file is empty")
    if data[:4] == b"%PDF":
        return _inspect_pdf(data, limits, dpi, pages, max_pages, password)
    return _inspect_image(data, limits, max_pages)


def _inspect_pdf(
    data: bytes, limits: ServeLimits, dpi: float, pages: str | None, max_pages: int, password: str | None
) -> UploadInfo:
    import pypdfium2 as pdfium

    from scriba.io.pdf import PageError, page_size, parse_page_range

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data, password=password)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise LimitError(422, "the PDF is encrypted; pass its password") from None
            raise LimitError(422, f"the upload is a corrupt or truncated PDF ({exc})") from None
        try:
            n = len(pdf)
            if n == 0:
                raise LimitError(422, "the PDF has no pages")
            try:
                indices = parse_page_range(pages, n)
            except ValueError as exc:
                raise LimitError(422, str(exc)) from None
            if len(indices) > max_pages:
                raise LimitError(
                    413,
                    f"the PDF has {len(indices)} pages to read, above this endpoint's limit of {max_pages}; "
                    "select pages with ?pages=1-10 or submit it as a job (POST /v1/jobs)",
                )
            scale = dpi / 72.0
            for i in indices:
                try:
                    w, h = page_size(pdf, "upload", i)
                except PageError:
                    continue  # unreadable or beyond PDF's limits: that page alone fails, with its reason
                px = w * h * scale * scale
                if px > limits.max_pixels:
                    raise LimitError(
                        413,
                        f"PDF page {i + 1} renders to {_mp(px)} at {dpi:g} dpi, above the {_mp(limits.max_pixels)} "
                        "limit; use a lower ?dpi",
                    )
        finally:
            pdf.close()
    return UploadInfo("pdf", len(indices), indices)


def _inspect_image(data: bytes, limits: ServeLimits, max_pages: int) -> UploadInfo:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise LimitError(422, "the upload is not a supported image or PDF (unrecognized file format)") from None
    except Exception as exc:  # noqa: BLE001 - OSError, SyntaxError, struct.error, ...: the upload's problem
        raise LimitError(422, f"the upload is not a readable image ({exc})") from None
    with img:
        w, h = img.size
        if w <= 0 or h <= 0:
            raise LimitError(422, f"the image has no pixels ({w}x{h})")
        if max(w, h) > MAX_SIDE:
            raise LimitError(413, f"the image is {w}x{h}, above the limit of {MAX_SIDE} pixels per side")
        if w * h > limits.max_pixels:
            raise LimitError(
                413, f"the image is {w}x{h} = {_mp(w * h)}, above the {_mp(limits.max_pixels)} per-page limit"
            )
        try:
            frames = getattr(img, "n_frames", 1)  # seeks through the frames: a damaged file can fail any way
        except Exception as exc:  # noqa: BLE001 - the upload's problem, not the server's
            raise LimitError(422, f"the upload is not a readable image ({type(exc).__name__}: {exc})") from None
    if frames > max_pages:
        raise LimitError(413, f"the image has {frames} frames, above this endpoint's limit of {max_pages} pages")
    return UploadInfo("image", frames, None)
