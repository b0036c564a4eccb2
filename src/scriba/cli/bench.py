"""`scriba bench`: how fast Scriba reads your own pages on this machine (s/page, pages/s, CPU, peak RSS).

The pages are decoded once, before the clock starts, then read `--repeats` times through the same pipelined
stream as `scriba ocr` (page n+1 is detected while page n is recognized). Comparing engines is the job of
`benchmarks/speed.py` in the repository, which runs the peers on the same pages in the same run.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Annotated

import typer

from scriba.cli.common import at_least, check_page_range, err, fail, progress, sources_or_fail, warn
from scriba.errors import InputError, ModelError
from scriba.io.sources import PageImage, Source, iter_pages
from scriba.models.registry import DEFAULT_MODEL


@dataclass
class Pass:
    """One read of every page."""

    wall_s: float
    cpu_s: float  # this process's user + system time (all threads)
    lines: int
    characters: int
    # Wall time of each stage summed over the pages, as each page records it; stages overlap across pages
    # (page n+1 is detected while page n is recognized), and "recognize" runs from queueing a page's lines to
    # their last reading, so these add up to more than wall_s.
    stage_s: dict[str, float]


@dataclass
class BenchReport:
    model: str
    batching: str
    pages: int
    inputs: int
    failed_inputs: int
    load_s: float
    decode_s_per_page: float
    passes: list[Pass] = field(default_factory=list)
    peak_rss_mb: float = 0.0

    def summary(self) -> dict[str, float]:
        per_page = [p.wall_s / self.pages for p in self.passes]
        median = statistics.median(per_page)
        cores = statistics.median(p.cpu_s / p.wall_s for p in self.passes if p.wall_s > 0)
        stages = {
            k: statistics.median(p.stage_s.get(k, 0.0) for p in self.passes) / self.pages
            for k in self.passes[0].stage_s
        }
        last = self.passes[-1]
        return {
            "s_per_page": median,
            "s_per_page_min": min(per_page),
            "s_per_page_max": max(per_page),
            "first_pass_s_per_page": per_page[0],
            "pages_per_s": 1.0 / median if median > 0 else 0.0,
            "cpu_cores_used": cores,
            "lines_per_page": last.lines / self.pages,
            "characters_per_s": last.characters / last.wall_s if last.wall_s > 0 else 0.0,
            **{f"stage_{k}_s_per_page": v for k, v in stages.items()},
        }

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "summary": self.summary()}, indent=2)

    def to_text(self) -> str:
        s = self.summary()
        out = [
            (
                f"scriba bench: {self.pages} page{'s' * (self.pages != 1)} from {self.inputs} input"
                f"{'s' * (self.inputs != 1)}, model {self.model}, {self.batching} batching, "
                f"{len(self.passes)} repeats"
            ),
            f"  load        {self.load_s:6.2f} s (models, once)",
            f"  decode      {self.decode_s_per_page:6.3f} s/page (once, before the clock starts)",
        ]
        for k, p in enumerate(self.passes, 1):
            out.append(
                f"  repeat {k:<4d} {p.wall_s:6.2f} s  {p.wall_s / self.pages:6.3f} s/page  CPU {p.cpu_s / p.wall_s:.1f} cores"
            )
        stages = ", ".join(
            f"{k[len('stage_') : -len('_s_per_page')]} {v:.3f}"
            for k, v in s.items()
            if k.startswith("stage_")
        )
        out += [
            (
                f"  median      {s['s_per_page']:6.3f} s/page  {s['pages_per_s']:.2f} pages/s "
                f"(range {s['s_per_page_min']:.3f}-{s['s_per_page_max']:.3f})"
            ),
            f"  stages      {stages} s/page (wall time of each, overlapping across pages)",
            f"  text        {s['lines_per_page']:.1f} lines/page, {s['characters_per_s']:,.0f} characters/s",
            f"  peak RSS    {self.peak_rss_mb:.0f} MB",
        ]
        return "\n".join(out) + "\n"


def _decode(
    sources: list[Source], dpi: float, pages: str | None, password: str | None, limit: int
) -> tuple[list[PageImage], int]:
    """Every page (at most `limit`) decoded into memory; a bad input prints one line and the others go on."""
    decoded: list[PageImage] = []
    failed = 0
    for src in sources:
        try:
            for pimg in iter_pages(src, dpi=dpi, pages=pages, password=password):
                if len(decoded) >= limit:
                    warn(f"only the first {limit} pages are measured (--max-pages)")
                    return decoded, failed
                decoded.append(pimg)
        except InputError as exc:
            err(str(exc))
            failed += 1
    return decoded, failed


def _peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB); 0 where the platform has no `resource`."""
    try:
        import resource
    except ImportError:
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _read_all(engine, images: list[PageImage], bar) -> Pass:  # type: ignore[no-untyped-def]
    stage: dict[str, float] = {"detect": 0.0, "classify": 0.0, "recognize": 0.0}
    lines = characters = 0
    feed: Iterator[PageImage] = iter(images)
    t0, c0 = time.perf_counter(), time.process_time()
    for _, page in engine.ocr_stream(feed):
        for key, value in page.metadata.get("timings", {}).items():
            stage[key] = stage.get(key, 0.0) + float(value)
        lines += len(page.lines)
        characters += sum(len(line.text) for line in page.lines)
        bar.update(1)
    return Pass(time.perf_counter() - t0, time.process_time() - c0, lines, characters, stage)


def bench_command(
    inputs: Annotated[
        list[str], typer.Argument(help="Images, PDFs, folders or globs (quote globs), - for standard input: your own pages.")
    ],
    repeats: Annotated[int, typer.Option(help="How many times every page is read.")] = 3,
    model: Annotated[str, typer.Option("--model", "-m", help="Model name; see `scriba models`.")] = DEFAULT_MODEL,
    dpi: Annotated[float, typer.Option(help="Resolution for rendering PDF pages.")] = 150,
    pages: Annotated[str | None, typer.Option(help="PDF pages to read, 1-based: 1-3,5,9-")] = None,
    password: Annotated[str | None, typer.Option(help="Password of encrypted PDFs.")] = None,
    max_pages: Annotated[
        int, typer.Option(help="At most this many pages (all are held in memory, ~6.5 MB per A4 page at 150 dpi).")
    ] = 20,
    exact: Annotated[
        bool, typer.Option("--exact", help="PaddleOCR's batching, as `scriba ocr --exact`.")
    ] = False,
    no_classifier: Annotated[
        bool, typer.Option("--no-classifier", help="Skip the 0/180 line classifier.")
    ] = False,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: all cores).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
    show_progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: on a TTY)."),
    ] = None,
) -> None:
    """Time OCR of your pages on this machine: seconds per page (median over repeats), pages per second, CPU
    cores used, each stage's time and peak RSS.

    Model loading and page decoding are timed once, apart from the repeats. A bad input prints one error line
    and the others are still measured; the exit code is 1 if any input failed.
    """
    from scriba.pipeline.ocr import OCR, OCROptions

    check_page_range(pages)
    at_least("--repeats", repeats, 1)
    at_least("--max-pages", max_pages, 1)
    at_least("--dpi", dpi, 1)
    at_least("--threads", threads, 0)
    batching = "paddle" if exact else "packed"
    t0 = time.perf_counter()
    try:
        engine = OCR(
            options=OCROptions(
                model=model, dpi=dpi, use_classifier=not no_classifier, threads=threads, rec_batching=batching
            )
        )
        engine.recognizer  # noqa: B018 - waits for the sessions built in the background: part of the load
    except ModelError as exc:
        fail(str(exc))
    load_s = time.perf_counter() - t0
    sources = sources_or_fail(inputs)
    t1 = time.perf_counter()
    images, failed = _decode(sources, dpi, pages, password, max_pages)
    if not images:
        fail("no page could be read from the inputs", code=1)
    decode_s = (time.perf_counter() - t1) / len(images)
    report = BenchReport(
        engine.spec.name,
        "paddle (--exact)" if exact else "packed",
        len(images),
        len(sources),
        failed,
        load_s,
        decode_s,
    )
    with progress(len(images) * repeats, "bench", show_progress) as bar:
        for _ in range(repeats):
            report.passes.append(_read_all(engine, images, bar))
    report.peak_rss_mb = _peak_rss_mb()
    sys.stdout.write(report.to_json() + "\n" if as_json else report.to_text())
    raise SystemExit(1 if failed else 0)
