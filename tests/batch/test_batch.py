"""`scriba batch`: outputs, per-file errors, and resumption after a real SIGKILL mid-run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from scriba.batch.manifest import Manifest, repair_jsonl
from tests.conftest import chinese_page, latin_page, render_lines

N_IMAGES = 10
PDF_LINES = ["Ledger page one", "Ledger page two", "Ledger page three"]


def image_text(n: int) -> str:
    return f"Record {n} of the archive"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "in"
    (root / "scans").mkdir(parents=True)
    for n in range(N_IMAGES):
        Image.fromarray(render_lines([image_text(n)], size=30, width=700)).save(root / f"rec{n:02d}.png")
    pages = [Image.fromarray(render_lines([t], size=30, width=700)) for t in PDF_LINES]
    pages[0].save(root / "scans" / "ledger.pdf", save_all=True, append_images=pages[1:], resolution=200.0)
    (root / "scans" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n but then nothing useful")
    return root


def expected_units() -> set[tuple[str, int]]:
    return {(f"rec{n:02d}.png", 0) for n in range(N_IMAGES)} | {("scans/ledger.pdf", i) for i in range(3)}


def batch_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "scriba.cli.main", "batch", *args, "--no-progress"]


def ok_records(out: Path) -> list[tuple[str, int]]:
    if not (out / "manifest.jsonl").exists():
        return []
    recs = []
    for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if r.get("kind") == "unit" and r["status"] == "ok":
            recs.append((r["source"], r["page"]))
    return recs


def run_and_kill(cmd: list[str], out: Path, after_units: int) -> list[int]:
    """Start a batch, SIGKILL it once `after_units` units are journalled; returns its child pids."""
    import psutil

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children: set[int] = set()
    deadline = time.monotonic() + 180
    while len(ok_records(out)) < after_units:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the batch made no progress"
        children |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    return sorted(children)


def test_killed_jsonl_run_resumes_exactly(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_and_kill(batch_cmd(str(corpus), "-o", str(out)), out, after_units=3)
    first = ok_records(out)
    assert 3 <= len(first) < len(expected_units()), "the kill should land mid-run"
    journalled = sum('"kind": "unit"' in line for line in (out / "manifest.jsonl").read_text().splitlines())

    done = subprocess.run(batch_cmd(str(corpus), "-o", str(out)), capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 1, done.stderr  # the broken file is reported, the rest succeeds
    assert "scans/broken.png" in done.stderr and "Traceback" not in done.stderr
    assert f"{journalled} already done" in done.stderr

    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    keys = [(p["source"], p["index"]) for p in map(json.loads, lines)]
    assert Counter(keys).most_common(1)[0][1] == 1, "a page was written twice"
    assert set(keys) == expected_units()
    texts = {k: p["text"] for k, p in zip(keys, map(json.loads, lines))}
    for n in range(N_IMAGES):
        assert texts[(f"rec{n:02d}.png", 0)] == image_text(n)
    assert [texts[("scans/ledger.pdf", i)] for i in range(3)] == PDF_LINES
    # No unit was done twice: the first run's units were not redone.
    all_ok = ok_records(out)
    assert sorted(all_ok) == sorted(expected_units()) and all_ok[: len(first)] == first

    again = subprocess.run(batch_cmd(str(corpus), "-o", str(out)), capture_output=True, text=True, timeout=600, check=False)
    assert "0 units done" in again.stderr and "recorded by an earlier run" in again.stderr
    assert (out / "results.jsonl").read_text(encoding="utf-8").splitlines() == lines


def test_killed_parallel_json_run_resumes_and_leaves_no_workers(corpus: Path, tmp_path: Path) -> None:
    import psutil

    out = tmp_path / "out"
    children = run_and_kill(batch_cmd(str(corpus), "-o", str(out), "--format", "json", "--workers", "2"), out,
                            after_units=2)
    assert children
    deadline = time.monotonic() + 15
    while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in children):
        assert time.monotonic() < deadline, "worker processes outlived their killed parent"
        time.sleep(0.2)

    done = subprocess.run(batch_cmd(str(corpus), "-o", str(out), "--format", "json", "--workers", "2"),
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 1 and "scans/broken.png" in done.stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted([f"rec{n:02d}.json" for n in range(N_IMAGES)] + ["scans/ledger.json", "manifest.jsonl"])
    ledger = json.loads((out / "scans" / "ledger.json").read_text(encoding="utf-8"))
    assert [p["text"] for p in ledger["pages"]] == PDF_LINES
    assert [p["index"] for p in ledger["pages"]] == [0, 1, 2]
    rec = json.loads((out / "rec03.json").read_text(encoding="utf-8"))
    assert rec["pages"][0]["text"] == image_text(3)
    assert Counter(ok_records(out)).most_common(1)[0][1] == 1


def test_markdown_format_and_settings_mismatch(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    one = subprocess.run(batch_cmd(str(corpus / "scans"), "-o", str(out), "--format", "md"),
                         capture_output=True, text=True, timeout=600, check=False)
    assert one.returncode == 1
    assert (out / "ledger.md").read_text(encoding="utf-8").split("\n\n")[:1] == ["Ledger page one"]
    assert not (out / "broken.md").exists()
    other = subprocess.run(batch_cmd(str(corpus / "scans"), "-o", str(out), "--format", "jsonl"),
                           capture_output=True, text=True, timeout=600, check=False)
    assert other.returncode == 2 and "format='md'" in other.stderr and "Traceback" not in other.stderr
    nothing = subprocess.run(batch_cmd(str(tmp_path / "nowhere" / "*.png"), "-o", str(tmp_path / "o2")),
                             capture_output=True, text=True, timeout=600, check=False)
    assert nothing.returncode != 0 and "Traceback" not in nothing.stderr


def test_exact_run_reads_the_pages_and_resumes_only_as_exact(corpus: Path, tmp_path: Path) -> None:
    """--exact (PaddleOCR's recognition batches) is part of a run's settings: resuming without it is refused."""
    out = tmp_path / "out"
    cmd = batch_cmd(str(corpus / "scans" / "ledger.pdf"), "-o", str(out), "--format", "md")
    exact = subprocess.run([*cmd, "--exact"], capture_output=True, text=True, timeout=600, check=False)
    assert exact.returncode == 0, exact.stderr
    text = (out / "ledger.md").read_text(encoding="utf-8")
    assert [line for line in PDF_LINES if line in text] == PDF_LINES
    plain = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert plain.returncode == 2 and "exact=True" in plain.stderr and "Traceback" not in plain.stderr


def test_repair_cuts_unjournalled_and_torn_lines(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text('{"a": 1}\n{"a": 2}\n{"a": 3}\n{"a": 4, "tor', encoding="utf-8")
    assert repair_jsonl(results, journalled_lines=2) == 1  # line 3 was written, its journal line was not
    assert results.read_text(encoding="utf-8") == '{"a": 1}\n{"a": 2}\n'
    manifest = Manifest(tmp_path, {"format": "jsonl"})
    manifest.path.write_text(
        '{"kind": "header", "version": 1, "format": "jsonl"}\n'
        '{"kind": "unit", "source": "a.png", "page": 0, "status": "ok", "pages": 1}\n'
        '{"kind": "unit", "source": "b.png", "pa', encoding="utf-8")
    state = manifest.load()
    assert state.ok == {("a.png", 0): 1} and not state.failed
    assert manifest.path.read_text(encoding="utf-8").endswith('"pages": 1}\n')


def test_parts_left_by_a_kill_after_completion_are_cleaned_on_resume(tmp_path: Path) -> None:
    """A kill between a source's "complete" journal line and the removal of its parts must not leave them."""
    from scriba.batch.local import BatchOptions, Unit, Writer

    options = BatchOptions(format="json")
    unit = Unit(source="a.png", path=str(tmp_path / "a.png"), page=0)
    manifest = Manifest(tmp_path, options.settings())
    state = manifest.load()
    manifest.open(state)
    writer = Writer(tmp_path, options, manifest, state, {"a.png": [unit]})
    part = writer.parts_dir("a.png") / "0.json"
    part.parent.mkdir(parents=True)
    part.write_text("[]", encoding="utf-8")
    manifest.unit_ok("a.png", 0, 0)
    manifest.source_complete("a.png")  # ... and here the process was killed
    manifest.close()

    manifest = Manifest(tmp_path, options.settings())
    state = manifest.load()
    manifest.open(state)
    assert "a.png" in state.complete
    resumed = Writer(tmp_path, options, manifest, state, {"a.png": [unit]})
    resumed.maybe_complete("a.png")
    resumed.close()
    manifest.close()
    assert not (tmp_path / ".parts").exists()


def test_chinese_page_after_english_pages_reads_as_alone(tmp_path: Path) -> None:
    """One worker reads every page of the batch: the English pages before must not change the Chinese one."""
    both, alone = tmp_path / "both", tmp_path / "alone"
    both.mkdir()
    alone.mkdir()
    for n in range(2):
        Image.fromarray(latin_page()).save(both / f"a{n}_english.png")
    Image.fromarray(chinese_page()).save(both / "b_chinese.png")
    Image.fromarray(chinese_page()).save(alone / "b_chinese.png")
    texts = {}
    for name, folder in (("both", both), ("alone", alone)):
        out = tmp_path / f"out_{name}"
        done = subprocess.run(batch_cmd(str(folder), "-o", str(out), "--workers", "1"), capture_output=True,
                              text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        pages = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
        texts[name] = {p["source"]: p["text"] for p in pages}
    assert len(texts["both"]) == 3
    assert "2023年08月25日" in texts["alone"]["b_chinese.png"]
    assert texts["both"]["b_chinese.png"] == texts["alone"]["b_chinese.png"]


def test_broken_pdf_pages_are_recorded_and_a_lying_page_tree_is_cut(tmp_path: Path) -> None:
    from tests.io.bad_files import lying_page_count, pdf_with_broken_page

    inputs = tmp_path / "in"
    inputs.mkdir()
    pdf_with_broken_page(inputs / "broken.pdf", ["Page one here", "Page two here", "Page three here"], 1)
    lying_page_count(inputs / "liar.pdf")
    out = tmp_path / "out"
    res = subprocess.run(batch_cmd(str(inputs), "-o", str(out), "--dpi", "72"), capture_output=True, text=True,
                         timeout=600, check=False)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert "scriba: error: broken.pdf (page 2): unreadable (Failed to get page size by index.)" in lines
    assert ("scriba: error: liar.pdf: pages 3-12 are all unreadable; the page tree looks broken, so the 999987 "
            "pages after them are not tried") in lines
    # The 10 unreadable pages of the run are recorded; the 999987 after them are not planned at all.
    assert sum(ln.startswith("scriba: error: liar.pdf (page ") for ln in lines) == 10
    assert sorted(ok_records(out)) == [("broken.pdf", 0), ("broken.pdf", 2), ("liar.pdf", 0), ("liar.pdf", 1)]
