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
            "067e29f6aa33a088e02f28169494c4418eed4e42ca7be4dc2339f030367e3cb8",
            "f0d8b5736d5e3fddb61aaaab0a4e0cb0b8b3c6aab35da9ae37d9a14cb846f36c",
            1_516_272,
            96_587_776,
        ),
        _spec(
            "scriba-formula-s",
            "sub-network of scriba-formula with about half its compute (0.74M parameters, shared weights)",
            "cf89889b1bec6e2dce532d710ca08315e59daef5ae3145fbba9276a37b639a23",
            "8ae4367fb6e7c5bf70f49a0399aa4257ddec59e8e2068de143f9e7120fd388e1",
            739_648,
            46_743_552,
        ),
        _spec(
            "scriba-formula-xs",
            "sub-network of scriba-formula with about a quarter of its compute (0.32M parameters, shared weights)",
            "e48e73a45ca523bd736d5f7d869a8dda6cab9cc403d512a620cc56cf10f32d53",
            "5fbd20b2a97614ce5526ba54dd885f940a6ec9530f4d1dd5a9c0843c40896af3",
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
