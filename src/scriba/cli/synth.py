"""`scriba synth lines|pages`: synthetic training data in PaddleOCR's label formats (needs the `train` extra's
fonts only, not torch)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Annotated

import typer

from scriba.cli.common import at_least, fail, output_folder

app = typer.Typer(
    help="Render synthetic text lines (recognition) or pages (detection) with PaddleOCR labels.",
    no_args_is_help=True,
)


def _setup(seed: int, english_only: bool) -> tuple[object, tuple[str, ...], random.Random]:
    from scriba.train.synth.corpus import Corpus, TextSampler
    from scriba.train.synth.fonts import find_fonts

    fonts = find_fonts()
    if not fonts:
        fail("no usable fonts found under /usr/share/fonts (install fonts-dejavu-core fonts-liberation)")
    rng = random.Random(seed)
    charset = None
    if english_only:
        from scriba.train.charset import ENGLISH_KEYS

        charset = set(ENGLISH_KEYS)
    try:
        corpus = Corpus.from_system()
    except ValueError as exc:
        fail(str(exc))
    return TextSampler(corpus, rng, charset), fonts, rng


@app.command("lines")
def synth_lines(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder (images/ and labels.txt).")],
    count: Annotated[int, typer.Option("-n", "--count", help="Number of line crops.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 0,
    max_chars: Annotated[int, typer.Option(help="Longest line in characters.")] = 40,
    english_only: Annotated[bool, typer.Option(help="Only letters, digits, ASCII punctuation.")] = True,
) -> None:
    """Line crops with `img<TAB>text` labels (PaddleOCR recognition format)."""
    from scriba.train.synth.pages import write_rec_set

    at_least("--count", count, 1)
    at_least("--max-chars", max_chars, 1)
    output_folder(out)
    sampler, fonts, rng = _setup(seed, english_only)
    path = write_rec_set(out, count, sampler, fonts, rng, max_chars)  # type: ignore[arg-type]
    typer.echo(f"wrote {count} lines: {path}")


@app.command("pages")
def synth_pages(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder (images/ and labels.txt).")],
    count: Annotated[int, typer.Option("-n", "--count", help="Number of pages.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    width: Annotated[int, typer.Option(help="Page width in pixels.")] = 960,
    height: Annotated[int, typer.Option(help="Page height in pixels.")] = 1280,
) -> None:
    """Pages with `img<TAB>[{"transcription", "points"}]` labels (PaddleOCR detection format)."""
    from scriba.train.synth.pages import write_det_set

    at_least("--count", count, 1)
    at_least("--width", width, 64)
    at_least("--height", height, 64)
    output_folder(out)
    sampler, fonts, rng = _setup(seed, True)
    path = write_det_set(out, count, sampler, fonts, rng, width, height)  # type: ignore[arg-type]
    typer.echo(f"wrote {count} pages: {path}")


@app.command("formulas")
def synth_formulas(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder (images/ and labels.tsv).")],
    count: Annotated[int, typer.Option("-n", "--count", help="Number of formula images.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 0,
    start: Annotated[
        int, typer.Option(help="First index to write (appends to a set made with the same seed).")
    ] = 0,
    clean: Annotated[
        bool, typer.Option(help="No degradation (white background, no blur, noise or JPEG).")
    ] = False,
    max_tokens: Annotated[
        int, typer.Option(help="Longest formula in tokens (shorter ones: more glyphs per token).")
    ] = 64,
) -> None:
    """Formula images with `img<TAB>canonical LaTeX` labels (random grammar and SymPy formulas)."""
    from scriba.train.synth.formulas import write_set

    at_least("--count", count, 1)
    if not start:
        output_folder(out)
    at_least("--max-tokens", max_tokens, 1)
    path = write_set(out, count, seed, start, clean, max_tokens)
    typer.echo(f"wrote {count - start} formulas: {path}")
