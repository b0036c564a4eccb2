"""`scriba bench` in a subprocess: real pages read, the numbers reported, bad inputs named in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from scriba.models.registry import DEFAULT_MODEL
from tests.cli.test_ocr_cli import assert_clean_stderr, scriba
from tests.conftest import render_lines
from tests.io.bad_files import BAD_INPUTS

LINES = ["Benchmarks read real pages", "Invoice total 42.50"]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "page.png"
    Image.fromarray(render_lines(LINES, size=34, width=1000)).save(path)
    return path


def test_json_report_counts_the_pages_repeats_and_text(page: Path, tmp_path: Path) -> None:
    proc = scriba("bench", str(page), str(page), "--repeats", "2", "--json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_clean_stderr(proc.stderr)
    report = json.loads(proc.stdout)
    assert report["pages"] == 2 and report["inputs"] == 2 and report["failed_inputs"] == 0
    assert len(report["passes"]) == 2
    for p in report["passes"]:
        assert p["wall_s"] > 0 and p["cpu_s"] > 0
        assert p["lines"] == 2 * len(LINES)
        # Every character of both pages was read (spaces inside lines count; a few may differ).
        assert p["characters"] >= 2 * 0.9 * sum(len(t) for t in LINES)
    summary = report["summary"]
    assert summary["s_per_page_min"] <= summary["s_per_page"] <= summary["s_per_page_max"]
    assert summary["pages_per_s"] == pytest.approx(1 / summary["s_per_page"])
    assert summary["stage_detect_s_per_page"] > 0 and summary["stage_recognize_s_per_page"] > 0
    assert report["peak_rss_mb"] > 50 and report["load_s"] > 0


def test_text_report_and_page_limit(page: Path, tmp_path: Path) -> None:
    proc = scriba("bench", str(page), str(page), "--repeats", "1", "--exact", "--max-pages", "1", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "scriba: warning: only the first 1 pages are measured (--max-pages)" in proc.stderr
    out = proc.stdout
    assert out.startswith(
        f"scriba bench: 1 page from 2 inputs, model {DEFAULT_MODEL}, paddle (--exact) batching, 1 repeats"
    )
    for label in ("load", "decode", "repeat 1", "median", "stages", "text", "peak RSS"):
        assert f"  {label}" in out


def test_a_bad_input_is_named_and_the_others_are_measured(page: Path, tmp_path: Path) -> None:
    bad = BAD_INPUTS["truncated-png"][0](tmp_path)
    proc = scriba("bench", str(bad), str(page), "--repeats", "1", "--json", home=tmp_path)
    assert proc.returncode == 1
    assert_clean_stderr(proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("scriba: error:")]
    assert len(errors) == 1 and bad.name in errors[0] and "truncated" in errors[0]
    report = json.loads(proc.stdout)
    assert report["pages"] == 1 and report["failed_inputs"] == 1


def test_nothing_readable_fails_in_one_line(tmp_path: Path) -> None:
    bad = BAD_INPUTS["empty"][0](tmp_path)
    proc = scriba("bench", str(bad), home=tmp_path)
    assert proc.returncode == 1
    assert_clean_stderr(proc.stderr)
    assert proc.stderr.strip().splitlines()[-1] == "scriba: error: no page could be read from the inputs"
    assert proc.stdout == ""
