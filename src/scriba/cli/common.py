"""Helpers shared by subcommands: one-line errors, output naming, progress bars."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from tqdm import tqdm

from scriba.io.sources import Source, display_name, expand_inputs


def err(message: str) -> None:
    """One line on stderr, prefixed with the program name."""
    print(f"scriba: error: {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print(f"scriba: warning: {message}", file=sys.stderr, flush=True)


def fail(message: str, code: int = 2) -> NoReturn:
    err(message)
    raise SystemExit(code)


def sources_or_fail(inputs: list[str]) -> list[Source]:
    """Expand the command's inputs (folders, globs; "-": one image or PDF read from standard input); exit with
    one line when nothing is left to read."""
    if inputs.count("-") > 1:
        fail("standard input (-) can be given only once")
    sources: list[Source] = []
    try:
        for item in inputs:
            if item == "-":
                sources.append(Source(name="<stdin>", obj=sys.stdin.buffer.read()))
            else:
                sources += expand_inputs([item])
    except TypeError as exc:
        fail(str(exc))
    if not sources:
        fail("no input files matched")
    return sources


def write_output(path: Path, text: str, source: str) -> bool:
    """Write one output file whole or not at all (a temporary file renamed into place), so that a failure
    never leaves an empty or half-written file behind. On failure: one error line naming the input and the
    output, and False."""
    data = text.encode("utf-8", "replace")  # encoded before anything is opened
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        err(f"{source}: cannot write {display_name(str(path))} ({exc.strerror or exc})")
        return False
    return True


def at_least(flag: str, value: float | None, low: float) -> None:
    """Refuse a numeric option under its lowest sensible value, in one line (None: the option was not given)."""
    if value is not None and value < low:
        fail(f"{flag} must be at least {low:g}, not {value:g}")


def output_folder(path: Path) -> Path:
    """Create the output folder (and its parents), or exit with one line saying why it cannot be used."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot use {path} as the output folder ({exc.strerror or exc})")
    return path


def check_page_range(pages: str | None) -> None:
    """Refuse a malformed --pages before any input is read (its syntax does not depend on the document)."""
    from scriba.io.pdf import page_spans

    if pages:
        try:
            page_spans(pages)
        except ValueError as exc:
            fail(str(exc))


def progress(total: int | None, desc: str, enabled: bool | None = None, unit: str = "page") -> tqdm:
    """A progress bar on stderr; by default shown only on a terminal and when there is more than one item."""
    if enabled is None:
        enabled = sys.stderr.isatty() and (total is None or total > 1)
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not enabled, leave=False)


class OutputNamer:
    """`OUTDIR/<stem>.<ext>`, disambiguating inputs that share a stem (a.png, a.pdf -> a.json, a.pdf.json)."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self.used: dict[str, str] = {}

    def stem_for(self, source_name: str) -> str:
        stem = Path(source_name.strip("<>")).stem or "input"  # "<stdin>" -> stdin.txt
        if stem in self.used and self.used[stem] != source_name:
            stem = Path(source_name).name
        self.used.setdefault(stem, source_name)
        return stem

    def path(self, source_name: str, ext: str, **_: Any) -> Path:
        return self.outdir / f"{self.stem_for(source_name)}.{ext}"
