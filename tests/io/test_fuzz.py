"""Fuzzing: a few hundred mutated images and PDFs (tests/io/fuzz.py) through the loaders and through
`scriba ocr` and `scriba parse`, run on whole batches. No traceback, no hang, every error line names its input,
the good file among them is still read and written, no empty or half-written output.

SCRIBA_FUZZ=N sets the number of mutants (default 300, of which `scriba parse` gets half, at most 1000; e.g.
SCRIBA_FUZZ=10000 for a soak run) and SCRIBA_FUZZ_SEED the seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scriba.errors import InputError
from scriba.io.pdf import PageError
from scriba.io.sources import Source, display_name, iter_pages
from tests.io.fuzz import GOOD_LINES, Mutant, good_page, seed_files, write_mutants

N = int(os.environ.get("SCRIBA_FUZZ", "300"))
# Parsing costs several models per page: `scriba parse` gets the first half of the mutants, at most 1000.
N_PARSE = min(N // 2, 1000)
SEED = int(os.environ.get("SCRIBA_FUZZ_SEED", "0"))
CHUNK = 400  # mutants per CLI process: model loads stay few, a soak run's argument lists stay short
# Hang guards only (no timing assertions): generous for a loaded 2-core machine.
PER_FILE_S = 20
PER_CHUNK_S = 900

pytestmark = pytest.mark.timeout(max(600, N * 3))


@pytest.fixture(scope="module")
def mutants(tmp_path_factory: pytest.TempPathFactory) -> list[Mutant]:
    root = tmp_path_factory.mktemp("fuzz")
    return write_mutants(root / "in", seed_files(root), N, SEED)


def test_loaders_refuse_mutants_in_one_line_naming_them(mutants: list[Mutant]) -> None:
    outcomes = {"pages": 0, "refused": 0, "page errors": 0}  # pages read; files refused; PDF pages refused
    unexpected = []
    for m in mutants:
        src = Source(name=display_name(str(m.path)), path=str(m.path))
        page_errors: list[PageError] = []
        try:
            for page in iter_pages(src, dpi=72, on_page_error=page_errors.append):
                assert page.image.dtype == np.uint8 and page.image.ndim == 3 and page.image.shape[2] == 3
                assert page.image.shape[0] * page.image.shape[1] > 0
                outcomes["pages"] += 1
        except InputError as exc:
            outcomes["refused"] += 1
            outcomes["page errors"] -= 1  # counted below with the page errors
            page_errors.append(exc)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - collected, so one run shows every kind of failure
            unexpected.append(f"{m.kind} {src.name}: {type(exc).__name__}: {exc}")
            continue
        for exc in page_errors:
            message = str(exc)
            message.encode("utf-8")  # printable: no lone surrogates from odd file names
            assert message.startswith(f"{src.name}: "), (m.kind, message)
            assert "\n" not in exc.reason, (m.kind, message)
        outcomes["page errors"] += len(page_errors)
    assert not unexpected, "\n".join(unexpected)
    # Both outcomes occur: the mutator neither breaks every file nor leaves them all readable.
    assert outcomes["pages"] > 0 and outcomes["refused"] > N // 10, outcomes
    print(f"fuzz loaders: {len(mutants)} files, {outcomes}")


def _cli(args: list[str | bytes], home: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "SCRIBA_HOME": str(home)}
    cmd: list[str | bytes] = [sys.executable, "-m", "scriba.cli.main", *args]
    return subprocess.run(cmd, capture_output=True, env=env, timeout=PER_CHUNK_S, check=False)


def _copy_in_chunks(mutants: list[Mutant], root: Path) -> list[tuple[Path, list[Mutant]]]:
    """Copies of the mutants in folders of CHUNK, each folder one CLI run (links are made again, with the other
    half of a two-link loop beside them)."""
    out = []
    for start in range(0, len(mutants), CHUNK):
        folder = os.fsencode(root / f"chunk{start // CHUNK}")
        os.makedirs(folder)
        copies = []
        for m in mutants[start : start + CHUNK]:
            source = os.fsencode(m.path)
            target = folder + b"/" + os.path.basename(source)
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
                partner = os.path.join(os.path.dirname(source), os.readlink(source))
                if os.path.islink(partner) and not os.path.lexists(folder + b"/" + os.path.basename(partner)):
                    os.symlink(os.readlink(partner), folder + b"/" + os.path.basename(partner))
            else:
                with open(source, "rb") as src, open(target, "wb") as dst:
                    dst.write(src.read())
            copies.append(Mutant(Path(os.fsdecode(target)), m.kind))
        out.append((Path(os.fsdecode(folder)), copies))
    return out


def _check_stderr(stderr: bytes, names: set[str]) -> list[str]:
    text = stderr.decode("utf-8")  # strictly UTF-8: odd bytes in names are shown escaped
    assert "Traceback" not in text, text[-3000:]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        assert ln.startswith(("scriba: error: ", "scriba: warning: ")), ln
        body = ln.split(": ", 2)[2]
        assert any(body.startswith(f"{name}: ") for name in names), ln
    return lines


def _check_outputs(out: Path) -> int:
    """Every output whole: JSON that loads, no empty files (a parsed document with no text outside headers,
    footers and page numbers, which Markdown leaves out, has an empty Markdown file; its JSON says so)."""
    n = 0
    for path in Path(out).rglob("*"):
        if path.is_dir():
            continue
        n += 1
        assert not path.name.startswith("."), f"temporary file left behind: {path}"
        if path.suffix == ".json":
            doc = json.loads(path.read_bytes())
            assert doc["pages"], path
        elif path.suffix == ".md" and path.stat().st_size == 0:
            doc = json.loads(path.with_suffix(".json").read_bytes())
            margins = ("header", "footer", "page_number")
            assert not any(
                b.get("text") and b["type"] not in margins for p in doc["pages"] for b in p.get("blocks", [])
            ), path
        else:
            assert path.stat().st_size > 0, f"empty output {path}"
    return n


@pytest.mark.parametrize("command", ["ocr", "parse"])
def test_cli_batches_of_mutants(mutants: list[Mutant], tmp_path: Path, command: str) -> None:
    chosen = mutants[: N_PARSE if command == "parse" else None]
    good = good_page(tmp_path / "good.png")
    totals = {"inputs": 0, "error lines": 0, "outputs": 0}
    for k, (folder, chunk) in enumerate(_copy_in_chunks(chosen, tmp_path / "batches")):
        out = tmp_path / f"out{k}"
        links = [os.fsencode(m.path) for m in chunk if m.path.is_symlink()]
        args: list[str | bytes] = [command, os.fsencode(folder), *links, str(good), "-o", str(out), "--dpi", "72"]
        if command == "ocr":
            args += ["-f", "json,text"]
        res = _cli(args, tmp_path / "home")
        assert res.returncode in (0, 1), res.stderr.decode("utf-8", "replace")[-3000:]
        names = {display_name(str(m.path)) for m in chunk} | {str(good)}
        lines = _check_stderr(res.stderr, names)
        # Every link that leads nowhere was named and reported, not passed over.
        for link in links:
            name = display_name(os.fsdecode(link))
            assert any(f": {name}: " in ln for ln in lines), name
        # The good file was read and written in full whatever came before it.
        doc = json.loads((out / "good.json").read_text())
        if command == "ocr":
            assert (out / "good.txt").read_text() == "\n".join(GOOD_LINES) + "\n"
        else:
            assert " ".join(GOOD_LINES) in " ".join((out / "good.md").read_text().split())
        assert not doc["pages"][0].get("error")
        totals["inputs"] += len(chunk) + 1
        totals["error lines"] += len(lines)
        totals["outputs"] += _check_outputs(out)
    assert totals["error lines"] > 0
    print(f"fuzz {command}: {totals}")
