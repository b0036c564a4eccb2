"""Model files are checked against their registry checksums, also when a verification is remembered on disk."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from scriba.errors import ModelError
from scriba.models import registry
from scriba.models.registry import ModelFile, resolve_file


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCRIBA_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(registry, "_verified", set())  # a fresh process
    return tmp_path / "home"


def test_a_good_file_is_hashed_once_then_trusted_by_its_stamp(home: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights " * 1000)
    f = ModelFile(str(model), sha256=hashlib.sha256(model.read_bytes()).hexdigest())
    assert resolve_file(f) == str(model)
    assert len(list((home / "cache" / "verified").iterdir())) == 1
    registry._verified.clear()
    assert resolve_file(f) == str(model)  # from the stamp
    assert len(list((home / "cache" / "verified").iterdir())) == 1


def test_a_changed_file_is_hashed_again_and_refused(home: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights " * 1000)
    f = ModelFile(str(model), sha256=hashlib.sha256(model.read_bytes()).hexdigest())
    resolve_file(f)
    registry._verified.clear()
    model.write_bytes(b"WEIGHTS " * 1000)  # same size; only the modification time tells
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    with pytest.raises(ModelError, match="checksum mismatch"):
        resolve_file(f)


def test_a_wrong_checksum_is_refused_with_the_path(home: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights")
    with pytest.raises(ModelError, match=str(model)):
        resolve_file(ModelFile(str(model), sha256="0" * 64))
    assert not (home / "cache" / "verified").exists()


def test_a_file_from_a_missing_package_names_the_package() -> None:
    with pytest.raises(ModelError, match="'no-such-ocr-weights' package, which is not installed"):
        ModelFile("no_such_ocr_weights/det.onnx", dist="no-such-ocr-weights").resolve()


def test_a_shipped_file_is_found_where_its_wheel_put_it() -> None:
    spec = registry.get_model("ppocrv5")
    assert Path(spec.det.file.resolve()).is_file()
