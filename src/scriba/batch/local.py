"""`scriba batch` on one machine: many files through OCR with a progress bar, resumable after a kill.

Units of work are PDF pages and image files (an image's frames stay together). Worker processes each load the
models once; the parent alone writes outputs and the manifest, so there is a single writer and a killed run
can be resumed exactly (see manifest.py). Errors are recorded per file or page and the batch goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scriba.batch.manifest import Manifest, ManifestState, repair_jsonl, write_atomic
from scriba.document import Document, Page
from scriba.errors import InputError
from scriba.io.pdf import PDF_MAGIC, planned_page_count
from scriba.io.sources import Source, expand_inputs, iter_pages
from scriba.memory import return_large_blocks
from scriba.models.registry import DEFAULT_MODEL

FORMATS = ("jsonl", "json", "md")
RESULTS_JSONL = "results.jsonl"
PARTS_DIR = ".parts"


@dataclass
class BatchOptions:
    format: str = "jsonl"
    model: str = DEFAULT_MODEL
    dpi: float = 200
    exact: bool = False  # PaddleOCR's recognition batches (`scriba ocr --exact`)
    workers: int = 1
    password: str | None = None
    retry_errors: bool = False
    show_progress: bool | None = None

    def settings(self) -> dict[str, Any]:
        """What must match between a run and its resumption ("exact" only when set, so that runs journalled
        before the option existed still resume)."""
        return {"format": self.format, "model": self.model, "dpi": self.dpi} | ({"exact": True} if self.exact else {})


@dataclass
class Unit:
    source: str  # key: the path relative to the inputs' common folder, with '/' separators
    path: str
    page: int  # PDF page index; 0 for an image file (all its frames)


@dataclass
class BatchReport:
    sources: int = 0
    units_done: int = 0
    units_skipped: int = 0
    pages_written: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


# -- planning ---------------------------------------------------------------------------------------------
def source_keys(sources: list[Source]) -> list[tuple[str, str]]:
    """(key, path) per input file; keys are relative to the common folder so they survive moving OUT."""
    paths = [os.path.abspath(s.path or s.name) for s in sources]
    if not paths:
        return []
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    return [(Path(os.path.relpath(p, root)).as_posix(), p) for p in paths]


def is_pdf(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == PDF_MAGIC
    except OSError:
        return False


def plan_units(key: str, path: str, password: str | None, on_cut: Callable[[str], None] | None = None) -> list[Unit]:
    """One unit per PDF page, one per image file. Raises InputError for unreadable PDFs. A page tree that
    declares pages it does not have is cut after a run of unreadable pages; `on_cut` hears why."""
    if is_pdf(path):
        n, cut = planned_page_count(key, path, password)
        if cut and on_cut:
            on_cut(cut)
        return [Unit(key, path, i) for i in range(n)]
    return [Unit(key, path, 0)]


def output_names(keys: list[str], ext: str) -> dict[str, str]:
    """'scans/a.pdf' -> 'scans/a.json'; when two inputs in one folder share a stem, the later keep their
    extension ('scans/a.png.json'). Deterministic for a given set of inputs, so resumption agrees."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for key in sorted(keys):
        name = str(Path(key).with_suffix("")) + "." + ext
        if name in taken:
            name = key + "." + ext
        taken.add(name)
        names[key] = name
    return names


# -- work (runs in worker processes, or in-process with one worker) ---------------------------------------
_ENGINE: Any = None


def ocr_engine(model: str, dpi: float, threads: int, exact: bool) -> Any:
    """The OCR engine of a batch worker (local process or Ray actor); `exact`: PaddleOCR's recognition batches."""
    from scriba.pipeline.ocr import OCR, OCROptions

    batching = "paddle" if exact else "packed"
    return OCR(options=OCROptions(model=model, dpi=dpi, threads=threads, rec_batching=batching))


def _init_worker(model: str, dpi: float, threads: int, parent_pid: int, exact: bool = False) -> None:
    global _ENGINE
    return_large_blocks()  # a worker process is Scriba's own (scriba.memory)
    _ENGINE = ocr_engine(model, dpi, threads, exact)
    if parent_pid:
        threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    """A killed parent must not leave workers behind (they would wait on the task queue forever)."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(0.5)


def process_unit(unit: Unit, dpi: float, password: str | None) -> dict[str, Any]:
    """OCR one unit. Returns {"pages": [page dicts]} or {"error": reason}."""
    source = Source(name=unit.source, path=unit.path)
    try:
        pages: list[dict[str, Any]] = []
        page_spec = str(unit.page + 1) if is_pdf(unit.path) else None
        for pimg in iter_pages(source, dpi=dpi, pages=page_spec, password=password):
            pages.append(_ENGINE.ocr_page_image(pimg).to_dict())
        return {"pages": pages}
    except InputError as exc:
        return {"error": getattr(exc, "page_reason", exc.reason)}  # a PDF page's error: the unit names the page
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a batch of millions
        return {"error": f"internal error: {type(exc).__name__}: {exc}"}


# -- writing ----------------------------------------------------------------------------------------------
class Writer:
    """Writes results before their journal line, so that the journal never claims what is not on disk."""

    def __init__(self, out_dir: Path, options: BatchOptions, manifest: Manifest, state: ManifestState,
                 units_by_source: dict[str, list[Unit]]) -> None:
        self.out_dir = out_dir
        self.options = options
        self.manifest = manifest
        self.state = state
        self.units_by_source = units_by_source
        self.names = output_names(list(units_by_source), options.format) if options.format != "jsonl" else {}
        self._jsonl: Any = None
        if options.format == "jsonl":
            repair_jsonl(out_dir / RESULTS_JSONL, state.pages_written)
            self._jsonl = open(out_dir / RESULTS_JSONL, "a", encoding="utf-8")  # noqa: SIM115

    def parts_dir(self, source: str) -> Path:
        return self.out_dir / PARTS_DIR / hashlib.sha1(source.encode()).hexdigest()[:16]

    def write(self, unit: Unit, result: dict[str, Any]) -> str | None:
        """Record one unit's result; returns the error message, if any."""
        if "error" in result:
            self.manifest.unit_error(unit.source, unit.page, result["error"])
            self.state.failed[(unit.source, unit.page)] = result["error"]
        else:
            pages = result["pages"]
            for p in pages:
                p["source"] = unit.source
            if self._jsonl is not None:
                self._jsonl.write("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages))
                self._jsonl.flush()
                os.fsync(self._jsonl.fileno())
            else:
                write_atomic(self.parts_dir(unit.source) / f"{unit.page}.json", json.dumps(pages, ensure_ascii=False))
            self.manifest.unit_ok(unit.source, unit.page, len(pages))
            self.state.ok[(unit.source, unit.page)] = len(pages)
        self.maybe_complete(unit.source)
        return result.get("error")

    def maybe_complete(self, source: str) -> None:
        """When every unit of a source is recorded: assemble its file (json/md) and journal it complete."""
        if source in self.state.complete:
            # A kill between the journal's "complete" line and the clean-up leaves parts behind.
            if self._jsonl is None:
                shutil.rmtree(self.parts_dir(source), ignore_errors=True)
            return
        units = self.units_by_source[source]
        if not all(self.state.done(u.source, u.page) for u in units):
            return
        if self._jsonl is None:
            pages: list[Page] = []
            for u in units:
                part = self.parts_dir(source) / f"{u.page}.json"
                if (u.source, u.page) in self.state.ok and part.exists():
                    pages.extend(Page.from_dict(p) for p in json.loads(part.read_text(encoding="utf-8")))
            errors = {u.page + 1: self.state.failed[(u.source, u.page)] for u in units
                      if (u.source, u.page) in self.state.failed}
            doc = Document(pages=pages, metadata={"model": self.options.model, "source": source,
                                                  **({"page_errors": errors} if errors else {})})
            if pages:  # a file that failed entirely gets no output file, only its manifest record
                text = doc.to_json() + "\n" if self.options.format == "json" else doc.to_markdown()
                write_atomic(self.out_dir / self.names[source], text)
        self.manifest.source_complete(source)
        self.state.complete.add(source)
        if self._jsonl is None:
            shutil.rmtree(self.parts_dir(source), ignore_errors=True)

    def close(self) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
        parts = self.out_dir / PARTS_DIR
        if parts.is_dir() and not any(parts.iterdir()):
            parts.rmdir()


# -- the run ----------------------------------------------------------------------------------------------
def run_batch(inputs: Iterable[str], out_dir: Path, options: BatchOptions,
              on_error: Callable[[str, str], None] | None = None) -> BatchReport:
    from scriba.cli.common import progress

    t0 = time.perf_counter()
    if options.format not in FORMATS:
        raise ValueError(f"unknown batch format {options.format!r}; choose from {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out_dir, options.settings())
    state = manifest.load()
    manifest.open(state)
    report = BatchReport()
    keys = source_keys(expand_inputs(list(inputs)))
    report.sources = len(keys)

    def fail(source: str, error: str) -> None:
        report.errors.append((source, error))
        if on_error:
            on_error(source, error)

    units_by_source: dict[str, list[Unit]] = {}
    todo: list[Unit] = []
    for key, path in keys:
        if key in state.source_errors and not options.retry_errors:
            report.units_skipped += 1
            fail(key, state.source_errors[key] + " (recorded by an earlier run; --retry-errors redoes it)")
            continue
        try:
            units = plan_units(key, path, options.password, on_cut=lambda reason, key=key: fail(key, reason))
        except InputError as exc:
            if key not in state.source_errors:
                manifest.source_error(key, exc.reason)
                state.source_errors[key] = exc.reason
            fail(key, exc.reason)
            continue
        units_by_source[key] = units
        for u in units:
            if state.done(u.source, u.page, options.retry_errors):
                report.units_skipped += 1
                if (u.source, u.page) in state.failed:
                    where = f"{key} (page {u.page + 1})" if len(units) > 1 or is_pdf(path) else key
                    fail(where, state.failed[(u.source, u.page)] + " (recorded by an earlier run; --retry-errors "
                         "redoes it)")
            else:
                todo.append(u)
    writer = Writer(out_dir, options, manifest, state, units_by_source)
    for key in units_by_source:  # sources whose last unit was journalled just before a kill
        writer.maybe_complete(key)
    try:
        total = len(todo) + report.units_skipped
        with progress(total, "batch", options.show_progress, unit="unit") as bar:
            bar.update(report.units_skipped)
            for unit, result in _execute(todo, options):
                error = writer.write(unit, result)
                report.units_done += 1
                if error:
                    fail(f"{unit.source} (page {unit.page + 1})" if is_pdf(unit.path) else unit.source, error)
                bar.update(1)
    finally:
        writer.close()
        manifest.close()
    report.pages_written = state.pages_written
    report.seconds = time.perf_counter() - t0
    return report


def _execute(units: list[Unit], options: BatchOptions) -> Iterator[tuple[Unit, dict[str, Any]]]:
    if not units:
        return
    cores = os.cpu_count() or 1
    if options.workers <= 1:
        _init_worker(options.model, options.dpi, 0, 0, options.exact)
        for u in units:
            yield u, process_unit(u, options.dpi, options.password)
        return
    yield from _execute_pool(units, options, threads=max(1, cores // options.workers))


def _execute_pool(units: list[Unit], options: BatchOptions, threads: int) -> Iterator[tuple[Unit, dict[str, Any]]]:
    import multiprocessing

    queue = list(reversed(units))
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that holds ONNX Runtime threads
    while queue:
        pool = ProcessPoolExecutor(options.workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(options.model, options.dpi, threads, os.getpid(), options.exact))
        in_flight: dict[Future[dict[str, Any]], Unit] = {}
        try:
            while queue or in_flight:
                while queue and len(in_flight) < 2 * options.workers:
                    u = queue.pop()
                    in_flight[pool.submit(process_unit, u, options.dpi, options.password)] = u
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for f in done:
                    u = in_flight.pop(f)
                    try:
                        yield u, f.result()
                    except BrokenProcessPool:
                        # A worker died (e.g. a native crash on a hostile file): the units in flight are
                        # recorded as failed, and a fresh pool carries on with the rest.
                        yield u, {"error": "the worker process crashed while reading this file"}
                        for other in list(in_flight):
                            yield in_flight.pop(other), {"error": "the worker process crashed while reading "
                                                                  "this or a neighbouring file"}
                        raise
        except BrokenProcessPool:
            continue
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
