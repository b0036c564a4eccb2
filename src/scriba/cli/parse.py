"""`scriba parse`: PDFs and images -> OUTDIR/<stem>.md, <stem>.json, <stem>_figures/ (+ layout overlays)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
from scriba.export.markdown import link_paragraphs
from scriba.io.pdf import page_count, parse_page_range
from scriba.io.sources import Source
from scriba.options import build_options, cli_parameters, option_flags, with_parameters
from scriba.pipeline.parse_options import ParseOptions

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
    "watermark": (190, 190, 190),
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
    password: Annotated[str | None, typer.Option(help="Password of encrypted PDFs.")] = None,
    visualize: Annotated[
        bool,
        typer.Option(
            "--visualize", help="Also write OUTDIR/<stem>_layout_p<N>.png: blocks, kinds and reading order."
        ),
    ] = False,
    show_progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: on a TTY)."),
    ] = None,
    **options: Any,
) -> None:
    """Parse documents into Markdown and JSON with layout, reading order, tables and figures.

    Writes OUTDIR/<stem>.md, OUTDIR/<stem>.json and figure/formula crops in OUTDIR/<stem>_figures/. A page that
    fails is recorded in the JSON (page.error) and the others are parsed; a bad input prints one error line
    and the batch goes on; the exit code is 1 if any input or page failed.
    """
    from scriba.pipeline.parse import Parser
    from scriba.pipeline.stages import TableStage

    check_page_range(pages)
    at_least("--dpi", options.get("dpi"), 1)
    at_least("--threads", options.get("threads"), 0)
    at_least("--det-limit", options.get("ocr__det_limit_side_len"), 32)
    sources = sources_or_fail(inputs)
    output_folder(output)
    try:
        parse_options = build_options(ParseOptions, options, figures_dir=str(output))
    except ValueError as exc:
        fail(str(exc))
    parser = Parser(parse_options)
    tables = parser.stage(TableStage)
    if tables is not None and parse_options.table.engine == "slanet":
        try:  # a missing converter or model is one error line, not a failure on every page
            _ = tables.recognizer.model
        except ModelError as exc:
            fail(str(exc))
    namer = OutputNamer(output)
    total = sum(_count_pages(s, pages, password) for s in sources)
    failed = 0
    with progress(total, "parse", show_progress) as bar:
        for src in sources:
            stem = namer.stem_for(src.path or src.name)  # named after the file on disk, odd bytes included
            doc = Document(
                metadata={"parser": "scriba.parse", "source": src.name, "ocr": parse_options.ocr_mode}
            )
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
            link_paragraphs(doc)  # blocks that go on with the paragraph before them say so in the JSON
            outputs = [(output / f"{stem}.json", doc.to_json() + "\n")]
            if any(p.error is None for p in doc.pages):  # every page failed: the JSON records why, no empty .md
                outputs.append((output / f"{stem}.md", doc.to_markdown()))
            for path, text in outputs:
                if not write_output(path, text, src.name):
                    failed += 1
    raise SystemExit(1 if failed else 0)


# The parser's options (ParseOptions and the options nested in it) become this command's flags.
with_parameters(parse_command, cli_parameters(option_flags(ParseOptions)))
