"""Paddle inference programs -> ONNX, once, into $SCRIBA_HOME/cache/converted.

paddle2onnx's compiled core converts an old-format Paddle program (`.pdmodel` + `.pdiparams`) without
PaddlePaddle. Its package `__init__` imports `paddle`, so the core's extension module is loaded from the
installed package's folder directly; nothing of `paddle` is needed or imported. The ONNX it makes is checked
against the spec's SHA-256 before it is kept (the conversion is deterministic: same converter, same bytes).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from scriba.errors import ModelError
from scriba.models.registry import ModelFile, TableModelSpec, resolve_file, scriba_home

_lock = threading.Lock()


def converter_core() -> ModuleType:
    """paddle2onnx's compiled exporter, loaded without its package (which would import PaddlePaddle)."""
    name = "paddle2onnx.paddle2onnx_cpp2py_export"
    spec = importlib.util.find_spec("paddle2onnx")
    folder = next(iter(spec.submodule_search_locations or []), None) if spec else None
    files = (
        sorted(f for f in os.listdir(folder) if f.startswith("paddle2onnx_cpp2py_export.")) if folder else []
    )
    if not files:
        raise ModelError(
            "converting the table model needs paddle2onnx 1.3.1 (Python < 3.13); install it with: "
            "pip install 'scriba[tables]'  (or: pip install paddle2onnx==1.3.1)"
        )
    path = os.path.join(str(folder), files[0])
    loader = importlib.machinery.ExtensionFileLoader(name, path)
    module_spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert module_spec is not None
    module = importlib.util.module_from_spec(module_spec)
    loader.exec_module(module)
    return module


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The converter's C++ code prints notes to the process's stdout and stderr: send them to /dev/null."""
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def convert_bytes(spec: TableModelSpec) -> bytes:
    """The ONNX bytes of the spec's Paddle program (verified source files; the result is not checked here)."""
    program = resolve_file(spec.program)
    params = resolve_file(spec.params)
    core = converter_core()
    try:
        with _quiet():
            # program, params, opset, auto-upgrade opset, verbose, ONNX checker, experimental ops, optimize,
            # custom ops, backend, calibration file, external data file, fp16
            data = core.export(
                program, params, spec.opset, True, False, True, True, True, {}, "onnxruntime", "", "", False
            )
    except Exception as exc:  # noqa: BLE001 - another converter version: its own exception types and signature
        raise ModelError(
            f"paddle2onnx could not convert {spec.name} ({type(exc).__name__}: {exc}); "
            f"install the version it was checked with: pip install {spec.converter}"
        ) from None
    return bytes(data)


def converted_path(spec: TableModelSpec) -> Path:
    return scriba_home() / "cache" / "converted" / f"{spec.name}-{spec.onnx_sha256[:16]}.onnx"


def converted_model(spec: TableModelSpec) -> str:
    """Path of the spec's ONNX file: converted on first use (about 0.2 s), verified against its checksum."""
    target = converted_path(spec)
    with _lock:
        if target.is_file():
            try:  # verified once, then trusted while its size and modification time stay (resolve_file)
                return resolve_file(ModelFile(str(target), None, spec.onnx_sha256))
            except ModelError:
                target.unlink(missing_ok=True)  # damaged: convert again
        data = convert_bytes(spec)
        digest = hashlib.sha256(data).hexdigest()
        if digest != spec.onnx_sha256:
            raise ModelError(
                f"the {spec.name} ONNX made by this converter has checksum {digest[:12]}..., expected "
                f"{spec.onnx_sha256[:12]}...; install the converter it was checked with: pip install {spec.converter}"
            )
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, target)  # atomic: a concurrent process sees no file or the whole one
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ModelError(f"cannot write the converted {spec.name} model to {target}: {exc}") from None
        return str(target)
