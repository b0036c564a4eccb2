"""`scriba batch`: folders of documents through OCR, resumable, on this machine or on a Ray cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scriba.cli.common import at_least, err, fail, output_folder
from scriba.models.registry import DEFAULT_MODEL


def batch_command(
    inputs: Annotated[list[str], typer.Argument(help="Folders, files or globs (quote globs).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder (also holds manifest.jsonl).")],
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="jsonl (one page per line in results.jsonl), json or md (one file per "
                     "input); with --engine ray: jsonl or parquet."),
    ] = "jsonl",
    workers: Annotated[int, typer.Option(help="Worker processes (local) or OCR actors (ray).")] = 1,
    engine: Annotated[str, typer.Option(help="local, or ray (needs the `ray` extra).")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (e.g. auto); local Ray if unset.")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model name; see `scriba models`.")] = DEFAULT_MODEL,
    dpi: Annotated[float, typer.Option(help="Resolution for rendering PDF pages.")] = 200,
    password: Annotated[str | None, typer.Option(help="Password of encrypted PDFs.")] = None,
    exact: Annotated[
        bool, typer.Option("--exact", help="Read every line exactly as PaddleOCR batches it (see `scriba ocr --help`).")
    ] = False,
    retry_errors: Annotated[bool, typer.Option("--retry-errors", help="Redo units that failed before.")] = False,
    show_progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: on a TTY).")
    ] = None,
) -> None:
    """OCR many files into OUT. A killed run resumes where it stopped when rerun with the same command:
    finished pages are kept, unfinished ones redone, none written twice. Files that fail are recorded in
    OUT/manifest.jsonl and reported on stderr; the others go on. Exit code 1 if any failed."""
    from scriba.errors import ModelError
    from scriba.models.registry import get_model

    try:
        get_model(model)
    except ModelError as exc:
        fail(str(exc))
    if workers < 1:
        fail("--workers must be at least 1")
    at_least("--dpi", dpi, 1)
    output_folder(output)
    if engine == "ray":
        from scriba.batch.ray import RAY_FORMATS, run_ray_batch

        if fmt not in RAY_FORMATS:
            fail(f"--engine ray writes {' or '.join(RAY_FORMATS)}, not {fmt!r}")
        try:
            summary = run_ray_batch(inputs, output, fmt=fmt, model=model, dpi=dpi, actors=workers, address=address,
                                    password=password, exact=exact)
        except ImportError as exc:
            fail(f"--engine ray needs the 'ray' extra: pip install 'scriba[ray]' ({exc})")
        for source, error in summary.errors:
            err(f"{source}: {error}")
        typer.echo(f"scriba: {summary.pages} pages from {summary.sources} files -> {output} "
                   f"({len(summary.errors)} failed) in {summary.seconds:.1f} s", err=True)
        raise SystemExit(1 if summary.errors else 0)
    if engine != "local":
        fail(f"unknown engine {engine!r}; choose local or ray")

    from scriba.batch.local import FORMATS, BatchOptions, run_batch
    from scriba.batch.manifest import ManifestMismatch

    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    options = BatchOptions(format=fmt, model=model, dpi=dpi, exact=exact, workers=workers, password=password,
                           retry_errors=retry_errors, show_progress=show_progress)
    try:
        report = run_batch(inputs, output, options, on_error=lambda source, error: err(f"{source}: {error}"))
    except ManifestMismatch as exc:
        fail(str(exc))
    if report.sources == 0:
        fail("no input files matched")
    typer.echo(
        f"scriba: {report.units_done} units done, {report.units_skipped} already done, {report.pages_written} pages "
        f"in {output}, {len(report.errors)} failed, {report.seconds:.1f} s",
        err=True,
    )
    raise SystemExit(1 if report.errors else 0)
