"""The batch manifest: an append-only journal, OUT/manifest.jsonl, that makes a killed run resumable.

Each finished unit of work (one PDF page, or one image file with all its frames) is journalled only after its
result is safely written, and each journal line is flushed and fsynced. A run killed at any instant therefore
leaves at most one unjournalled result behind (the last one written), which `repair_jsonl` cuts off; a rerun
redoes exactly the units that have no journal line. Lines look like:

    {"kind": "header", "version": 1, "format": "jsonl", "model": "ppocrv5", "dpi": 200}
    {"kind": "unit", "source": "scans/a.pdf", "page": 3, "status": "ok", "pages": 1}
    {"kind": "unit", "source": "scans/b.png", "page": 0, "status": "error", "error": "image data is corrupt"}
    {"kind": "source", "source": "scans/c.pdf", "status": "error", "error": "PDF is encrypted"}
    {"kind": "complete", "source": "scans/a.pdf"}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.jsonl"
VERSION = 1


class ManifestMismatch(Exception):
    """The output folder holds a run made with other settings."""


@dataclass
class ManifestState:
    header: dict[str, Any] | None = None
    ok: dict[tuple[str, int], int] = field(default_factory=dict)  # (source, page) -> pages written
    failed: dict[tuple[str, int], str] = field(default_factory=dict)
    source_errors: dict[str, str] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)

    def done(self, source: str, page: int, retry_errors: bool = False) -> bool:
        return (source, page) in self.ok or (not retry_errors and (source, page) in self.failed)

    @property
    def pages_written(self) -> int:
        return sum(self.ok.values())


def _truncate_partial_line(path: Path) -> None:
    """A kill mid-write can leave a last line without its newline: cut it off."""
    size = path.stat().st_size
    if size == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        chunk = 1 << 16
        pos = size
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            block = fh.read(pos - start)
            k = block.rfind(b"\n")
            if k >= 0:
                fh.truncate(start + k + 1)
                return
            pos = start
        fh.truncate(0)


class Manifest:
    def __init__(self, out_dir: Path, settings: dict[str, Any]) -> None:
        self.path = out_dir / MANIFEST_NAME
        self.settings = settings
        self._fh: Any = None

    def load(self) -> ManifestState:
        """Read the journal (repairing a torn last line) and check it was written with the same settings."""
        state = ManifestState()
        if not self.path.exists():
            return state
        _truncate_partial_line(self.path)
        with open(self.path, encoding="utf-8") as fh:
            for raw in fh:
                rec = json.loads(raw)
                kind = rec.get("kind")
                if kind == "header":
                    state.header = rec
                elif kind == "unit":
                    key = (rec["source"], int(rec["page"]))
                    if rec["status"] == "ok":
                        state.ok[key] = int(rec.get("pages", 1))
                        state.failed.pop(key, None)
                    else:
                        state.failed[key] = rec.get("error", "")
                elif kind == "source":
                    state.source_errors[rec["source"]] = rec.get("error", "")
                elif kind == "complete":
                    state.complete.add(rec["source"])
        if state.header is not None:
            # Both ways: a setting journalled only when set (e.g. exact) must not be dropped on resume either.
            journalled = {k: v for k, v in state.header.items() if k not in ("kind", "version")}
            mismatched = {
                k: (journalled.get(k), self.settings.get(k))
                for k in {**self.settings, **journalled}
                if journalled.get(k) != self.settings.get(k)
            }
            if mismatched:
                what = ", ".join(f"{k}={old!r} (now {new!r})" for k, (old, new) in mismatched.items())
                raise ManifestMismatch(
                    f"{self.path.parent} holds a run made with {what}; use the same settings to resume it, "
                    "or another output folder"
                )
        return state

    def open(self, state: ManifestState) -> None:
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        if state.header is None:
            self.append({"kind": "header", "version": VERSION, **self.settings})
            state.header = {"kind": "header", **self.settings}

    def append(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def unit_ok(self, source: str, page: int, pages: int) -> None:
        self.append({"kind": "unit", "source": source, "page": page, "status": "ok", "pages": pages})

    def unit_error(self, source: str, page: int, error: str) -> None:
        self.append({"kind": "unit", "source": source, "page": page, "status": "error", "error": error})

    def source_error(self, source: str, error: str) -> None:
        self.append({"kind": "source", "source": source, "status": "error", "error": error})

    def source_complete(self, source: str) -> None:
        self.append({"kind": "complete", "source": source})

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def repair_jsonl(path: Path, journalled_lines: int) -> int:
    """Keep the first `journalled_lines` complete lines of a results file and cut the rest: results are
    written before their journal line by a single writer, so anything beyond is an unjournalled leftover of
    a killed run, which the rerun writes again. Returns the number of lines removed."""
    if not path.exists():
        return 0
    _truncate_partial_line(path)
    removed = 0
    with open(path, "rb+") as fh:
        count = 0
        offset = 0
        for line in fh:
            if count == journalled_lines:
                removed += 1
                continue
            count += 1
            offset += len(line)
        if removed:
            fh.truncate(offset)
    return removed


def write_atomic(path: Path, data: str) -> None:
    """Write a file so that it is either complete or absent, never torn."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
