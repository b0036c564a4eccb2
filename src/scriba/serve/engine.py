"""Models loaded once per worker process, and inference off the event loop with bounded concurrency."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from scriba.document import Document, Page
from scriba.io.sources import PageImage, Source, iter_pages
from scriba.serve.limits import PDFIUM_LOCK

T = TypeVar("T")


class Busy(Exception):
    """Every inference thread is taken and the waiting queue is full."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"server busy, retry in {retry_after} s")
        self.retry_after = retry_after


class Cancelled(Exception):
    """The request timed out or the job was cancelled; work stopped between pages."""


class InferenceGate:
    """A fixed pool of inference threads plus a bounded waiting queue. Work beyond slots + queue is refused
    at once (Busy) rather than piling up: a client told to retry later beats one that times out."""

    def __init__(self, slots: int, queue: int) -> None:
        self.slots = max(1, slots)
        self.capacity = self.slots + max(0, queue)
        self.executor = ThreadPoolExecutor(self.slots, thread_name_prefix="scriba-infer")
        self._lock = threading.Lock()
        self.pending = 0  # admitted requests not yet finished (running + waiting)
        self.running = 0
        self._avg_s = 1.0  # moving average of one unit of work, for Retry-After

    def submit(self, fn: Callable[..., T], *args: Any, admit: bool = True) -> Future[T]:
        """Run fn(*args) on an inference thread. admit=False (job pages) skips the queue limit: jobs are
        already bounded by their own limit and must not be refused halfway through."""
        with self._lock:
            if admit and self.pending >= self.capacity:
                raise Busy(self.retry_after())
            self.pending += 1
        future = self.executor.submit(self._timed, fn, *args)
        future.add_done_callback(self._release)
        return future

    def _timed(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            self.running += 1
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            with self._lock:
                self.running -= 1
                self._avg_s = 0.8 * self._avg_s + 0.2 * (time.perf_counter() - t0)

    def _release(self, _: Future[Any]) -> None:
        with self._lock:
            self.pending -= 1

    def retry_after(self) -> int:
        return max(1, math.ceil(self._avg_s * self.pending / self.slots))

    def waiting(self) -> int:
        with self._lock:
            return max(0, self.pending - self.running)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class Engines:
    """One OCR engine per model name, loaded on first use and shared by the inference threads (ONNX Runtime
    sessions are safe to run from several threads; the pipeline keeps no per-call state)."""

    def __init__(self, threads: int, dpi: float) -> None:
        self.threads = threads
        self.dpi = dpi
        self._engines: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, model: str) -> Any:
        from scriba.pipeline.ocr import OCR, OCROptions

        with self._lock:
            if model not in self._engines:
                self._engines[model] = OCR(options=OCROptions(model=model, threads=self.threads, dpi=self.dpi))
            return self._engines[model]

    def loaded(self) -> list[str]:
        with self._lock:
            return sorted(self._engines)


def default_threads(slots: int) -> int:
    """ONNX Runtime threads per inference thread, so that all slots together use the cores once."""
    return max(1, (os.cpu_count() or 1) // max(1, slots))


class PageStream:
    """Pages of one upload, decoded one at a time under the PDFium lock (rendering is not thread-safe)."""

    def __init__(self, name: str, data: bytes, dpi: float, pages: str | None, password: str | None) -> None:
        self._gen: Iterator[PageImage] = iter_pages(Source(name=name, obj=data), dpi=dpi, pages=pages,
                                                    password=password)

    def next(self) -> PageImage | None:
        with PDFIUM_LOCK:
            return next(self._gen, None)

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._gen.close()


def ocr_upload(
    engine: Any,
    name: str,
    data: bytes,
    dpi: float,
    pages: str | None,
    password: str | None,
    cancel: threading.Event,
    on_page: Callable[[Page], None] | None = None,
) -> Document:
    """OCR every selected page of an upload; stops between pages once `cancel` is set."""
    doc = Document(metadata={"model": engine.spec.name, "source": name})
    stream = PageStream(name, data, dpi, pages, password)
    try:
        while True:
            if cancel.is_set():
                raise Cancelled()
            pimg = stream.next()
            if pimg is None:
                return doc
            page = engine.ocr_page_image(pimg)
            doc.pages.append(page)
            if on_page is not None:
                on_page(page)
    finally:
        stream.close()
