"""Width-bucketed, parallel recognition reads the same text as one line at a time and as PaddleOCR's batching."""

from __future__ import annotations

import numpy as np
import pytest

from scriba.models.recognition.ctc import TextRecognizer
from scriba.models.registry import get_model
from scriba.models.runtime import RuntimeOptions
from tests.conftest import font, render_lines

LINES = [
    "7",
    "Total",
    "Room 42",
    "Invoice date: 2026-03-14",
    "The quick brown fox jumps over the lazy dog",
    "Shipping address: 221B Baker Street, London NW1 6XE, United Kingdom",
    "Yes",
    "Page 3 of 12",
]


@pytest.fixture(scope="module")
def crops() -> list[np.ndarray]:
    out = []
    for k, text in enumerate(LINES):
        size, name = 26 + 4 * (k % 3), ["sans", "serif", "arial"][k % 3]
        width = int(font(name, size).getlength(text)) + 16
        out.append(render_lines([text], size=size, font_name=name, width=width, margin=8, spacing=1.3))
    return out


def test_bucketed_parallel_matches_one_by_one_and_paddle(crops: list[np.ndarray]) -> None:
    spec = get_model("ppocrv5").rec
    single = TextRecognizer(spec, RuntimeOptions(threads=1), batch_size=1)
    bucketed = TextRecognizer(spec, RuntimeOptions(threads=1), workers=2, batch_size=3)
    paddle = TextRecognizer(spec, RuntimeOptions(threads=1, fold_affine=False), batching="paddle")
    expected = [single([c])[0].text for c in crops]
    assert expected == LINES
    assert [r.text for r in bucketed(crops)] == expected
    assert [r.text for r in paddle(crops)] == expected


def test_plan_covers_every_crop_once_within_limits(crops: list[np.ndarray]) -> None:
    rec = TextRecognizer(get_model("ppocrv5").rec, batch_size=3, max_batch_width=1500)
    many = crops * 4
    plan = rec.plan_batches(many)
    ids = sorted(i for batch, _ in plan for i in batch)
    assert ids == list(range(len(many)))
    for batch, width in plan:
        assert len(batch) <= 3
        assert all(rec.content_width(many[i]) <= width for i in batch)
        assert len(batch) == 1 or len(batch) * width <= 1500


def test_unknown_batching_is_refused() -> None:
    with pytest.raises(ValueError):
        TextRecognizer(get_model("ppocrv5").rec, batching="random")
