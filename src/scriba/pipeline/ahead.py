"""One item of look-ahead on a helper thread: item n+1 is prepared while item n is finished.

The parser prepares a PDF page (text layer, renders, layout model) while the page before it is finished (OCR
of pictures, reading order, tables, crops): ONNX Runtime releases the GIL, so the layout model of one page
runs on the cores that the Python work of the other leaves idle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def one_ahead(
    items: Sequence[T], prepare: Callable[[T], R], discard: Callable[[R], None]
) -> Iterator[Callable[[], R]]:
    """For each item in order, a function that returns `prepare(item)` (or raises what it raised); the next
    item's `prepare` starts on a helper thread as this function is handed out. When the iteration stops early
    (close, or an error), a prepared result that was not taken is given to `discard`."""
    if not items:
        return
    pool = ThreadPoolExecutor(1, thread_name_prefix="scriba-ahead")
    untaken: list[Future[R]] = []

    def taker(future: Future[R]) -> Callable[[], R]:
        def take() -> R:
            untaken.remove(future)
            return future.result()

        return take

    try:
        nxt = pool.submit(prepare, items[0])
        untaken.append(nxt)
        for k in range(len(items)):
            current = nxt
            if k + 1 < len(items):
                nxt = pool.submit(prepare, items[k + 1])
                untaken.append(nxt)
            yield taker(current)
    finally:
        for future in untaken:
            with contextlib.suppress(Exception):  # the error of an item nobody asked for
                discard(future.result())
        pool.shutdown(wait=True)
