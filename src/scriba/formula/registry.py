"""The formula recognizers Scriba ships: three sub-networks of one elastic training run (model cards and the
accuracy / speed table: docs/models.md). Each is a folder models/weights/<name>/ with encoder.onnx and
decoder.onnx; files are checked against their SHA-256 on first use."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from scriba.errors import ModelError
from scriba.models.registry import ModelFile


@dataclass(frozen=True)
class FormulaModelSpec:
    name: str
    description: str
    encoder: ModelFile
    decoder: ModelFile
    params: int
    macs: int  # multiply-accumulates for a 48 x 256 image and 32 output tokens


def _spec(
    name: str, description: str, enc_sha: str, dec_sha: str, params: int, macs: int
) -> FormulaModelSpec:
    return FormulaModelSpec(
        name,
        description,
        ModelFile(f"models/weights/{name}/encoder.onnx", "scriba", enc_sha),
        ModelFile(f"models/weights/{name}/decoder.onnx", "scriba", dec_sha),
        params,
        macs,
    )


FORMULA_MODELS: dict[str, FormulaModelSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "scriba-formula",
            "Scriba's own formula recognizer, full elastic network (1.52M parameters; synthetic training only)",
            "8f11d8e182dcee7bc5270dcfd741917591baf7a85d94735db58dbb2c0e0c53e2",
            "e37a3a5481c8b628950a125363945615aed8c0f924f5e061ba3b2c14cf3af340",
            1_516_272,
            96_587_776,
        ),
        _spec(
            "scriba-formula-s",
            "sub-network of scriba-formula with about half its compute (0.74M parameters, shared weights)",
            "a6a10e1819251349b6439122e3e1ad015e910183eaac4db0441858041f0d3449",
            "5fbf58277670179d2e36264dfae971b68bc2b949f99e894c7720e29df32cc932",
            739_648,
            46_743_552,
        ),
        _spec(
            "scriba-formula-xs",
            "sub-network of scriba-formula with about a quarter of its compute (0.32M parameters, shared weights)",
            "b1012a13d2a41f33f772e8216123967d2c2458824adcab9b255fe7c0835ee72d",
            "83d7aa1045ae7a67c0bfb939038f0768b7086220193b99a65e3fe8f993d79658",
            323_888,
            21_471_232,
        ),
    )
}

_verified: set[str] = set()


def formula_model(name: str) -> FormulaModelSpec:
    """A shipped formula recognizer by name; its files verified against their checksums once per process."""
    spec = FORMULA_MODELS.get(name)
    if spec is None:
        known = ", ".join(FORMULA_MODELS) or "none"
        raise ModelError(f"unknown formula model '{name}' (known: {known})")
    for f in (spec.encoder, spec.decoder):
        path = f.resolve()
        if f.sha256 and path not in _verified:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            if digest != f.sha256:
                raise ModelError(f"{path}: checksum mismatch (expected {f.sha256}, got {digest})")
            _verified.add(path)
    return spec
