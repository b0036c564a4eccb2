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
from scriba.errors import Cancelled, check_cancel
from scriba.io.pdf import PageError
from scriba.io.sources import PageImage, Source, iter_pages

T = TypeVar("T")


class Busy(Exception):
    """Every inference thread is taken and the waiting queue is full."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"server busy, retry in {retry_after} s")
        self.retry_after = retry_after


class _Unit:
    """One unit of work's hold on a slot, and the event that asks it to stop."""

    def __init__(self, cancel: threading.Event | None, on_start: Callable[[], None] | None) -> None:
        self.cancel = cancel or threading.Event()
        self.on_start = on_start
        self.holds_slot = False
        self.started_at: float | None = None  # time.monotonic() when it took its slot and began to run


class InferenceGate:
    """`slots` units of inference at once plus a bounded waiting queue. Work beyond slots + queue is refused
    at once (Busy) rather than piling up: a client told to retry later beats one that times out. A unit still
    waiting when its caller stops waiting is withdrawn (`withdraw`) and never runs.

    A unit whose request timed out is asked to stop (its cancel event, checked between pages and between the
    stages of a page) and gives its slot up at once, running on in a spare thread until it reaches that check,
    so the next request does not wait behind it. There are as many spare threads as slots; with all of them taken, a unit that times out
    keeps its slot ("stuck") until a spare thread is free. While every slot is stuck, or after shutdown, no
    work can be taken and the gate is not healthy (/healthz answers 503)."""

    def __init__(self, slots: int, queue: int) -> None:
        self.slots = max(1, slots)
        self.capacity = self.slots + max(0, queue)
        self.executor = ThreadPoolExecutor(2 * self.slots, thread_name_prefix="scriba-infer")
        self._slots = threading.Semaphore(self.slots)
        self._lock = threading.Lock()
        self.pending = 0  # admitted requests not yet finished (running + waiting)
        self.running = 0
        self._units: set[_Unit] = set()  # admitted and not finished
        self._abandoned: set[_Unit] = set()  # timed out, still running, slot given up
        self._stuck: list[_Unit] = []  # timed out, still running, slot kept (no spare thread was free)
        self.closed = False
        self._avg_s = 1.0  # moving average of one unit of work, for Retry-After

    def submit(
        self,
        fn: Callable[..., T],
        *args: Any,
        admit: bool = True,
        cancel: threading.Event | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> Future[T]:
        """Run fn(*args) on an inference thread. admit=False (job pages) skips the queue limit: jobs are
        already bounded by their own limit and must not be refused halfway through. `cancel` is set when the
        work should stop: on timeout (abandon), on withdrawal and on shutdown. `on_start` is called (on the
        inference thread) when the unit takes its slot, before fn runs."""
        unit = _Unit(cancel, on_start)
        with self._lock:
            if self.closed or (admit and self.pending >= self.capacity):
                raise Busy(self.retry_after())
            self.pending += 1
            self._units.add(unit)
        future = self.executor.submit(self._timed, unit, fn, *args)
        future._scriba_unit = unit  # type: ignore[attr-defined]  # for abandon()
        future.add_done_callback(lambda f: self._release(unit))
        return future

    def _timed(self, unit: _Unit, fn: Callable[..., T], *args: Any) -> T:
        self._slots.acquire()
        with self._lock:
            if unit.cancel.is_set():  # withdrawn while it waited, or shutting down: the slot goes to the next
                self._slots.release()
                raise Cancelled("cancelled before it started")
            unit.holds_slot = True
            unit.started_at = time.monotonic()
            self.running += 1
        t0 = time.perf_counter()
        try:
            if unit.on_start is not None:
                unit.on_start()
            return fn(*args)
        finally:
            with self._lock:
                self.running -= 1
                self._avg_s = 0.8 * self._avg_s + 0.2 * (time.perf_counter() - t0)
                if unit.holds_slot:
                    unit.holds_slot = False
                    self._slots.release()

    def _release(self, unit: _Unit) -> None:
        with self._lock:
            self.pending -= 1
            self._units.discard(unit)
            if unit in self._stuck:
                self._stuck.remove(unit)
            if unit in self._abandoned:
                self._abandoned.discard(unit)
                while self._stuck:  # a spare thread is free again: a stuck unit gives its slot up
                    other = self._stuck.pop(0)
                    if other.holds_slot:
                        self._give_up_slot(other)
                        break

    def _give_up_slot(self, unit: _Unit) -> None:
        unit.holds_slot = False
        self._abandoned.add(unit)
        self._slots.release()

    def started_at(self, future: Future[Any]) -> float | None:
        """time.monotonic() when the unit took its slot; None while it waits."""
        unit: _Unit | None = getattr(future, "_scriba_unit", None)
        return None if unit is None else unit.started_at

    def withdraw(self, future: Future[Any]) -> bool:
        """The caller stopped waiting for a unit that has not started: it never will (True). False when it
        had started already (then it runs on; `abandon` it to stop it)."""
        unit: _Unit | None = getattr(future, "_scriba_unit", None)
        if unit is None:
            return False
        with self._lock:  # _timed marks the start under the same lock: started or withdrawn, never both
            if unit.started_at is not None:
                return False
            unit.cancel.set()
        future.cancel()  # still in the executor's queue: dropped at once; else it stops when it gets a slot
        return True

    def abandon(self, future: Future[Any]) -> None:
        """The request gave up on this work (timeout): stop it, and free its slot for the next request."""
        unit: _Unit | None = getattr(future, "_scriba_unit", None)
        if unit is None:
            return
        unit.cancel.set()
        if future.cancel():
            return  # had not started
        with self._lock:
            if not unit.holds_slot or future.done():
                return
            if len(self._abandoned) < self.slots:
                self._give_up_slot(unit)
            else:
                self._stuck.append(unit)

    def healthy(self) -> bool:
        """Whether new work can be taken: not shutting down, and not every slot held by work that was given
        up on and has not stopped yet."""
        with self._lock:
            return not self.closed and len(self._stuck) < self.slots

    def retry_after(self) -> int:
        return max(1, math.ceil(self._avg_s * self.pending / self.slots))

    def waiting(self) -> int:
        with self._lock:
            return max(0, self.pending - self.running)

    def shutdown(self) -> None:
        """Refuse new work, ask all work under way to stop, and drop what has not started."""
        with self._lock:
            self.closed = True
            units = list(self._units)
        for unit in units:
            unit.cancel.set()
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
    """Pages of one upload, decoded one at a time (PDFium calls take the PDFium lock themselves). A PDF page
    that cannot be read is kept as an error page (`take_failed`) and the next pages are read."""

    def __init__(self, name: str, data: bytes, dpi: float, pages: str | None, password: str | None) -> None:
        self._failed: list[PageError] = []
        self._gen: Iterator[PageImage] = iter_pages(Source(name=name, obj=data), dpi=dpi, pages=pages,
                                                    password=password, on_page_error=self._failed.append)

    def next(self) -> PageImage | None:
        return next(self._gen, None)

    def take_failed(self) -> list[Page]:
        """Pages that failed since the last call, as pages with `error` set."""
        pages = [Page(width=0, height=0, index=e.index, source=e.source, error=e.page_reason) for e in self._failed]
        self._failed.clear()
        return pages

    def close(self) -> None:
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
    """OCR every selected page of an upload; stops between pages, and between the stages of a page, once
    `cancel` is set."""
    doc = Document(metadata={"model": engine.spec.name, "source": name})
    stream = PageStream(name, data, dpi, pages, password)
    try:
        while True:
            check_cancel(cancel)
            pimg = stream.next()
            doc.pages.extend(stream.take_failed())
            if pimg is None:
                return doc
            page = engine.ocr_page_image(pimg, cancel)
            doc.pages.append(page)
            if on_page is not None:
                on_page(page)
    finally:
        stream.close()
