"""`scriba parse`: PDFs and images -> OUTDIR/<stem>.md, <stem>.json, <stem>_figures/ (+ layout overlays)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from PIL import Image, ImageDraw

from scriba.cli.common import (
    OutputNamer,
    at_least,
    check_page_range,
    err,
    fail,
    output_folder,
    progress,
    sources_or_fail,
    warn,
    write_output,
)
from scriba.document import Document, Page
from scriba.errors import InputError, ModelError
from scriba.io.pdf import page_count, parse_page_range
from scriba.io.sources import Source
from scriba.models.registry import DEFAULT_MODEL

LAYOUT_COLORS = {
    "text": (0, 110, 255),
    "title": (200, 0, 200),
    "table": (255, 140, 0),
    "figure": (0, 170, 170),
    "formula": (150, 90, 0),
    "figure_caption": (0, 150, 60),
    "table_caption": (0, 150, 60),
    "header": (140, 140, 140),
    "footer": (140, 140, 140),
    "page_number": (140, 140, 140),
    "reference": (90, 90, 200),
}


def layout_overlay(image: np.ndarray, page: Page, scale: float) -> Image.Image:
    """The page with each block's box, kind and reading-order number."""
    base = Image.fromarray(image).convert("RGB")
    draw = ImageDraw.Draw(base)
    for k, block in enumerate(page.blocks, 1):
        if not block.polygon:
            continue
        pts = [(x * scale, y * scale) for x, y in block.polygon]
        color = LAYOUT_COLORS.get(block.kind, (200, 0, 0))
        draw.polygon(pts, outline=color, width=2)
        x0, y0 = min(p[0] for p in pts), min(p[1] for p in pts)
        label = f"{k} {block.kind}"
        draw.rectangle([x0, y0 - 11, x0 + 6 * len(label) + 2, y0], fill=color)
        draw.text((x0 + 1, y0 - 11), label, fill=(255, 255, 255))
    return base


def _count_pages(src: Source, pages: str | None, password: str | None) -> int:
    if src.path and src.path.lower().endswith(".pdf"):
        try:
            return len(parse_page_range(pages, page_count(src.name, src.path, password)))
        except (InputError, ValueError):
            return 1
    return 1


def parse_command(
    inputs: Annotated[list[str], typer.Argument(help="PDFs, images, folders or globs (quote globs); - reads one from standard input.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder (created if missing).")],
    pages: Annotated[str | None, typer.Option(help="PDF pages to parse, 1-based: 1-3,5,9-")] = None,
    dpi: Annotated[
        float, typer.Option(help="Resolution of page coordinates, OCR renders and figure crops.")
    ] = 200,
    ocr: Annotated[
        str,
        typer.Option(
            help="auto: text layer where usable, OCR elsewhere; always: OCR every page; never: text layer only."
        ),
    ] = "auto",
    password: Annotated[str | None, typer.Option(help="Password of encrypted PDFs.")] = None,
    visualize: Annotated[
        bool,
        typer.Option(
            "--visualize", help="Also write OUTDIR/<stem>_layout_p<N>.png: blocks, kinds and reading order."
        ),
    ] = False,
    model: Annotated[
        str, typer.Option("--model", "-m", help="OCR model for pages without a text layer.")
    ] = DEFAULT_MODEL,
    table: Annotated[
        str,
        typer.Option(
            help="Table structure: auto: ruling lines where a table is a full grid, the SLANet-plus model "
            "elsewhere; slanet: the model for every table; rules: ruling lines or word alignment only."
        ),
    ] = "auto",
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: all cores).")] = 0,
    seals: Annotated[
        bool, typer.Option("--seals", help="Read seals (red or blue stamps) on OCR'd pages into 'seal' blocks.")
    ] = False,
    formulas: Annotated[
        str | None,
        typer.Option(help="Formula recognizer that writes LaTeX for formula blocks when confident "
                     "(scriba-formula, scriba-formula-s, scriba-formula-xs; default: none, latex is null)."),
    ] = None,
    show_progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: on a TTY)."),
    ] = None,
) -> None:
    """Parse documents into Markdown and JSON with layout, reading order, tables and figures.

    Writes OUTDIR/<stem>.md, OUTDIR/<stem>.json and figure/formula crops in OUTDIR/<stem>_figures/. A page that
    fails is recorded in the JSON (page.error) and the others are parsed; a bad input prints one error line
    and the batch goes on; the exit code is 1 if any input or page failed.
    """
    from scriba.pipeline.parse import OCR_MODES, TABLE_ENGINES, ParseOptions, Parser

    if ocr not in OCR_MODES:
        fail(f"--ocr must be one of {', '.join(OCR_MODES)}")
    if table not in TABLE_ENGINES:
        fail(f"--table must be one of {', '.join(TABLE_ENGINES)}")
    check_page_range(pages)
    at_least("--dpi", dpi, 1)
    at_least("--threads", threads, 0)
    sources = sources_or_fail(inputs)
    output_folder(output)
    parser = Parser(
        ParseOptions(
            dpi=dpi, ocr=ocr, model=model, threads=threads, figures_dir=str(output), table_engine=table,
            seals=seals, formula_model=formulas,
        )
    )
    if table == "slanet":  # a missing converter or model is one error line, not a failure on every page
        try:
            _ = parser.tables.model
        except ModelError as exc:
            fail(str(exc))
    namer = OutputNamer(output)
    total = sum(_count_pages(s, pages, password) for s in sources)
    failed = 0
    with progress(total, "parse", show_progress) as bar:
        for src in sources:
            stem = namer.stem_for(src.path or src.name)  # named after the file on disk, odd bytes included
            doc = Document(metadata={"parser": "scriba.parse", "source": src.name, "ocr": ocr})
            try:
                for parsed in parser.iter_source(src, pages=pages, password=password, stem=stem):
                    doc.pages.append(parsed.page)
                    if parsed.page.error:
                        warn(f"{src.name}: page {parsed.page.index + 1} failed: {parsed.page.error}")
                        failed += 1
                    elif visualize and parsed.image is not None:
                        overlay = layout_overlay(parsed.image, parsed.page, parsed.image_scale)
                        overlay.save(output / f"{stem}_layout_p{parsed.page.index + 1}.png")
                    bar.update(1)
            except InputError as exc:
                err(str(exc))
                failed += 1
                if not doc.pages:
                    continue  # pages parsed before the error are still written
            except ModelError as exc:
                fail(str(exc))
            outputs = [(output / f"{stem}.json", doc.to_json() + "\n")]
            if any(p.error is None for p in doc.pages):  # every page failed: the JSON records why, no empty .md
                outputs.append((output / f"{stem}.md", doc.to_markdown()))
            for path, text in outputs:
                if not write_output(path, text, src.name):
                    failed += 1
    raise SystemExit(1 if failed else 0)
