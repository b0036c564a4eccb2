"""Accuracy floors on small subsets of ../shared/data (skipped when absent).

Floors sit a little below what ppocrv5 measured on these exact subsets (numbers in each test); a drop below them
means preprocessing, decoding or the pipeline regressed. Full-set numbers: benchmarks/ocr.py.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def _metrics() -> ModuleType:
    """benchmarks/metrics.py, the same metric code the benchmark uses (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("scriba_bench_metrics", REPO / "benchmarks" / "metrics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


metrics = _metrics()


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return path


def test_funsd_word_f1(shared_data: Path, ocr_engine) -> None:
    """First 5 FUNSD test forms, word F1 (multiset of alphanumeric tokens): measured 0.723."""
    d = _need(shared_data / "funsd_test")
    total = metrics.Counts()
    for img in sorted((d / "images").glob("*.png"))[:5]:
        ann = json.loads((d / "annotations" / f"{img.stem}.json").read_text())
        reference = " ".join(w["text"] for entity in ann["form"] for w in entity["words"])
        total = total + metrics.word_counts(ocr_engine.ocr_image(_rgb(img)).text, reference)
    assert total.reference > 500
    assert total.f1 >= 0.69, (total.f1, total.precision, total.recall)


def test_iiit5k_word_accuracy(shared_data: Path, ocr_engine) -> None:
    """First 50 IIIT5K word crops, recognition only, case-insensitive exact match: measured 0.78."""
    d = _need(shared_data / "iiit5k_test")
    rows = [line.split("\t") for line in (d / "labels.tsv").read_text().splitlines() if "\t" in line][:50]
    recs = ocr_engine.recognize_lines([_rgb(d / "images" / name) for name, _ in rows])
    correct = sum(r.text.strip().lower() == label.strip().lower() for r, (_, label) in zip(recs, rows))
    assert correct / len(rows) >= 0.72, correct


def test_uw3_line_cer(shared_data: Path, ocr_engine) -> None:
    """All 70 UW3 printed lines, recognition only: measured CER 0.042, 79% of lines exact."""
    d = _need(shared_data / "uw3_lines_calamari" / "lines")
    images = sorted(d.glob("*.bin.png"))
    truth = [(p.parent / p.name.replace(".bin.png", ".gt.txt")).read_text(encoding="utf-8").strip() for p in images]
    recs = ocr_engine.recognize_lines([_rgb(p) for p in images])
    edits = sum(metrics.edit_distance(r.text.strip(), t) for r, t in zip(recs, truth))
    cer = edits / sum(len(t) for t in truth)
    exact = sum(r.text.strip() == t for r, t in zip(recs, truth)) / len(truth)
    assert len(images) == 70
    assert cer <= 0.055 and exact >= 0.68, (cer, exact)
