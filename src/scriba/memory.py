"""Memory settings for the processes Scriba owns: the `scriba` command, its server and its batch workers.

A page's model activations are hundreds of MB in blocks of one to tens of MB. glibc serves a block that large
with mmap and unmaps it when freed, but each time it frees one it raises its mmap threshold to that block's size,
so the next pages' blocks come from the heap instead, which fragments and rarely shrinks: the process keeps the
largest mix of shapes it has seen. With the threshold fixed, large blocks always go back to the system, and the
models run once per page (detector, layout, orientation, table) can give their arenas back after each run.
Measured on scanned pages parsed with layout and tables: peak RSS 642 -> 496 MB after 6 pages, time unchanged
(docs/benchmarks.md).

A library should not change its caller's allocator, so `scriba.OCR` and `scriba.Parser` leave this off; a
program embedding Scriba can call `return_large_blocks()` itself, or set `MALLOC_MMAP_THRESHOLD_=1048576`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
_active = False


def return_large_blocks(threshold: int = 1 << 20) -> bool:
    """Serve allocations of `threshold` bytes or more with mmap and give them back when freed (glibc only).
    Returns whether large blocks are returned now."""
    global _active
    if _active or not sys.platform.startswith("linux"):
        return _active
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _active = bool(libc.mallopt(_M_MMAP_THRESHOLD, int(threshold)))
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        _active = False
    return _active


def large_blocks_returned() -> bool:
    """True when this process gives large freed blocks back: set here, or by glibc's environment variable."""
    return _active or bool(os.environ.get("MALLOC_MMAP_THRESHOLD_"))
