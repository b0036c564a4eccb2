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


def _spec(name: str, description: str, enc_sha: str, dec_sha: str, params: int, macs: int) -> FormulaModelSpec:
    return FormulaModelSpec(
        name,
        description,
        ModelFile(f"models/weights/{name}/encoder.onnx", "scriba", enc_sha),
        ModelFile(f"models/weights/{name}/decoder.onnx", "scriba", dec_sha),
        params,
        macs,
    )


FORMULA_MODELS: dict[str, FormulaModelSpec] = {}

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
