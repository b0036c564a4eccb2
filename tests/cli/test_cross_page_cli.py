"""`scriba ocr` and `scriba parse` in a subprocess: a Chinese page after an English page reads as it does alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.cli.test_ocr_cli import assert_clean_stderr, scriba
from tests.conftest import CHINESE_PAGE_LINES, chinese_page, latin_page


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("scripts")
    Image.fromarray(latin_page()).save(d / "english.png")
    Image.fromarray(chinese_page()).save(d / "chinese.png")
    return d / "english.png", d / "chinese.png"


def test_ocr_chinese_after_english_reads_as_alone(pages: tuple[Path, Path], tmp_path: Path) -> None:
    en, zh = pages
    alone = scriba("ocr", str(zh), "--model", "ppocrv5", home=tmp_path)
    both = scriba("ocr", str(en), str(zh), "--model", "ppocrv5", home=tmp_path)
    assert alone.returncode == 0 and both.returncode == 0, alone.stderr + both.stderr
    assert_clean_stderr(both.stderr)
    assert alone.stdout.split("\n")[:3] == CHINESE_PAGE_LINES
    assert both.stdout.rstrip("\n").endswith(alone.stdout.rstrip("\n"))
    assert "\n".join(CHINESE_PAGE_LINES) in both.stdout


def test_parse_chinese_after_english_reads_as_alone(pages: tuple[Path, Path], tmp_path: Path) -> None:
    en, zh = pages
    one, two = tmp_path / "alone", tmp_path / "after"
    alone = scriba("parse", str(zh), "-o", str(one), "--ocr", "always", home=tmp_path)
    both = scriba("parse", str(en), str(zh), "-o", str(two), "--ocr", "always", home=tmp_path)
    assert alone.returncode == 0 and both.returncode == 0, alone.stderr + both.stderr
    md = (one / "chinese.md").read_text(encoding="utf-8")
    assert "2023年08月25日" in md
    assert (two / "chinese.md").read_text(encoding="utf-8") == md
    assert _without_timings(two / "chinese.json") == _without_timings(one / "chinese.json")


def _without_timings(path: Path) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for page in doc["pages"]:
        page["metadata"].pop("timings", None)
    return doc
