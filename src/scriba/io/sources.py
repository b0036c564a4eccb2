"""Turning whatever the user passes (paths, globs, folders, bytes, arrays, PIL images) into page images."""

from __future__ import annotations

import errno
import glob
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from scriba.errors import InputError
from scriba.io.images import array_to_rgb, check_size, iter_image_frames, to_rgb_array
from scriba.io.pdf import PDF_MAGIC, PageError, iter_pdf_pages

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".jp2", ".pbm", ".pgm", ".ppm"}
DOCUMENT_EXTENSIONS = IMAGE_EXTENSIONS | {".pdf"}


@dataclass
class Source:
    """One user input: a file path, or an in-memory object with a display name."""

    name: str
    path: str | None = None
    obj: Any = None

    @property
    def stem(self) -> str:
        return Path(self.name).stem if self.path else self.name


@dataclass
class PageImage:
    image: np.ndarray  # HxWx3 uint8 RGB
    source: str
    index: int  # zero-based page index within the source
    # Set for PDF pages, so later stages can read the text layer.
    pdf_path: str | bytes | None = None


def display_name(path: str) -> str:
    """A path as it can be printed and written to UTF-8 outputs: file names that are not UTF-8 (their bytes
    reach Python as lone surrogates, which no encoder accepts) show their odd bytes as \\xNN escapes."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def expand_inputs(inputs: Any) -> list[Source]:
    """Expand folders (sorted, documents only) and globs; wrap in-memory objects. Missing paths stay, and fail
    later with a clear message, so a batch reports them without stopping."""
    if isinstance(inputs, (str, os.PathLike, bytes, bytearray, np.ndarray, Image.Image)):
        inputs = [inputs]
    elif not isinstance(inputs, Iterable):  # None, a number: say what is accepted, not "not iterable"
        raise TypeError(f"unsupported input type {type(inputs).__name__}: pass paths, bytes, arrays or PIL images")
    sources: list[Source] = []
    for k, item in enumerate(inputs):
        if isinstance(item, (bytes, bytearray)):
            sources.append(Source(name=f"<bytes #{k}>", obj=bytes(item)))
        elif isinstance(item, np.ndarray):
            sources.append(Source(name=f"<array #{k}>", obj=item))
        elif isinstance(item, Image.Image):
            sources.append(Source(name=f"<image #{k}>", obj=item))
        elif isinstance(item, (str, os.PathLike)):
            p = str(item)
            if os.path.isdir(p):
                files = sorted(
                    f for f in Path(p).rglob("*") if f.is_file() and f.suffix.lower() in DOCUMENT_EXTENSIONS
                )
                # A folder with no documents stays, as missing paths do, so that it is reported (in one line)
                # instead of being passed over in silence; so does a glob that matches nothing.
                sources += [Source(name=display_name(str(f)), path=str(f)) for f in files] or [
                    Source(name=display_name(p), path=p)
                ]
            elif not os.path.lexists(p) and glob.has_magic(p):
                matches = sorted(m for m in glob.glob(p, recursive=True) if os.path.isfile(m))
                sources += [Source(name=display_name(m), path=m) for m in matches] or [
                    Source(name=display_name(p), path=p)
                ]
            else:
                sources.append(Source(name=display_name(p), path=p))
        else:
            raise TypeError(f"unsupported input type {type(item).__name__}: pass paths, bytes, arrays or PIL images")
    return sources


def _read_file(source: Source) -> bytes:
    assert source.path is not None
    path = source.path
    if not os.path.exists(path):
        if os.path.islink(path):  # exists() is False for a dangling link and for a loop of links alike
            try:
                os.stat(path)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise InputError(source.name, "symbolic link loop (its links lead back to themselves, never to a file)") from None
            raise InputError(source.name, f"broken symbolic link (to {display_name(os.readlink(path))})")
        raise InputError(source.name, "no such file")
    if os.path.isdir(path):
        raise InputError(source.name, "is a folder with no images or PDFs")
    if not os.path.isfile(path):  # a FIFO or device: opening or reading it could block forever
        raise InputError(source.name, "not a regular file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(source.name, f"cannot read ({exc.strerror or exc})") from None
    if not head:
        raise InputError(source.name, "file is empty")
    return head


def iter_pages(
    source: Source,
    dpi: float = 200,
    pages: str | None = None,
    password: str | None = None,
    on_page_error: Callable[[PageError], None] | None = None,
) -> Iterator[PageImage]:
    """Yield the pages of one source, one at a time. Raises InputError with a clear reason. A PDF page that
    cannot be read raises PageError, or, given `on_page_error`, is handed to it and the next pages follow."""
    if source.obj is not None:
        obj = source.obj
        if isinstance(obj, np.ndarray):
            yield PageImage(array_to_rgb(source.name, obj), source.name, 0)
            return
        if isinstance(obj, Image.Image):
            check_size(source.name, obj.width, obj.height)
            yield PageImage(to_rgb_array(obj), source.name, 0)
            return
        data: bytes = obj
        if not data:
            raise InputError(source.name, "input is empty")
        if data[:4] == PDF_MAGIC:
            for i, arr in iter_pdf_pages(source.name, data, dpi, pages, password, on_page_error):
                yield PageImage(arr, source.name, i, pdf_path=data)
            return
        for i, arr in enumerate(iter_image_frames(source.name, data=data)):
            yield PageImage(arr, source.name, i)
        return
    head = _read_file(source)
    assert source.path is not None
    if head[:4] == PDF_MAGIC:
        for i, arr in iter_pdf_pages(source.name, source.path, dpi, pages, password, on_page_error):
            yield PageImage(arr, source.name, i, pdf_path=source.path)
        return
    if source.path.lower().endswith(".pdf"):
        raise InputError(source.name, "not a PDF (no %PDF header)")
    for i, arr in enumerate(iter_image_frames(source.name, path=source.path)):
        yield PageImage(arr, source.name, i)


def iter_all_pages(inputs: Iterable[Source], **kwargs: Any) -> Iterator[PageImage]:
    for src in inputs:
        yield from iter_pages(src, **kwargs)
