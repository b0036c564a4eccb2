"""`scriba models compress`: a registered model at 2-4 bits per weight (CCQ or RTN), registered under a new name."""

from __future__ import annotations

from typing import Annotated

import typer

from scriba.cli.common import fail
from scriba.errors import ModelError


def compress(
    name: Annotated[str, typer.Argument(help="The registered model to compress (e.g. ppocrv5).")],
    bits: Annotated[float, typer.Option(help="Code bits per weight: 2, 2.5, 2.75, 3 or 4.")] = 2.75,
    as_name: Annotated[str, typer.Option("--as", help="Name of the compressed model (use with --model).")] = "",
    method: Annotated[str, typer.Option(help="ccq (convolutional code, Viterbi-encoded) or rtn (round to nearest).")] = "ccq",
    calib: Annotated[
        str | None, typer.Option(help="Folder of unlabeled page images for CCQ's calibration (default: rendered pages).")
    ] = None,
) -> None:
    """Quantize the large Conv/MatMul/Gemm weights of a model's detector, recognizer and classifier and register
    the result (files under $SCRIBA_HOME/models/NAME). CCQ weighs each weight's error by its input's activations
    on calibration pages (--calib DIR, or pages rendered here); RTN needs none."""
    from scriba.models.compress.model import compress_model

    if not as_name:
        fail("--as NEWNAME is required")
    try:
        spec, reports = compress_model(name, bits, as_name, method=method, calib=calib)
    except ModelError as exc:
        fail(str(exc))
    for role, r in reports.items():
        typer.echo(
            f"{role}: {r.file_bytes / 1e6:.2f} MB, {r.bits_per_weight:.2f} bits per weight "
            f"({r.quantized}/{r.params} weights quantized, {r.quantized_bits:.2f} bits each, "
            f"{r.outliers} of them kept in float16)"
        )
    typer.echo(f"registered '{spec.name}'")
