"""Entry point of the `scriba` command: assembles the subcommands and turns known errors into one line."""

from __future__ import annotations

import logging
import sys
import warnings

import typer

from scriba.cli import batch as batch_cli
from scriba.cli import bench as bench_cli
from scriba.cli import models, ocr
from scriba.cli import parse as parse_cli
from scriba.cli import serve as serve_cli
from scriba.cli import synth as synth_cli
from scriba.cli import train as train_cli
from scriba.errors import ScribaError
from scriba.memory import return_large_blocks

app = typer.Typer(
    name="scriba",
    help="Scriba: fast, offline OCR and document parsing on the CPU (PP-OCR models on ONNX Runtime).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("ocr", no_args_is_help=True)(ocr.ocr_command)
app.add_typer(models.app, name="models")
app.command("parse", no_args_is_help=True)(parse_cli.parse_command)
app.command("serve")(serve_cli.serve_command)
app.command("batch", no_args_is_help=True)(batch_cli.batch_command)
app.add_typer(train_cli.app, name="train")
app.add_typer(synth_cli.app, name="synth")
app.command("bench", no_args_is_help=True)(bench_cli.bench_command)
# Further subcommands register here, one module each.


def main() -> None:
    # Pillow logs what it finds wrong in a corrupt file ("More samples per pixel than can be decoded") before
    # raising; with no logging set up, Python prints that record bare on stderr. The same problem reaches us
    # as an exception, reported in one line naming the input.
    logging.getLogger("PIL").addHandler(logging.NullHandler())
    # Likewise its warnings about damaged files ("Truncated File Read", "Tag data larger than file").
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
    return_large_blocks()  # this process is Scriba's own: give freed model buffers back (scriba.memory)
    try:
        app()
    except ScribaError as exc:
        print(f"scriba: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("scriba: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
