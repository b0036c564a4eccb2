"""`scriba synth` writes PaddleOCR-format labels that the loaders read back."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")


def test_synth_lines_and_pages_round_trip(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from scriba.cli.main import app
    from scriba.train.charset import ENGLISH_KEYS, CTCCodec
    from scriba.train.data import LabelFileRecDataset, read_det_labels, read_rec_labels

    runner = CliRunner()
    r = runner.invoke(app, ["synth", "lines", "-o", str(tmp_path / "lines"), "-n", "12", "--seed", "1"])
    assert r.exit_code == 0, r.output
    items = read_rec_labels(tmp_path / "lines" / "labels.txt")
    assert len(items) == 12 and all(p.is_file() and t for p, t in items)
    ds = LabelFileRecDataset([str(tmp_path / "lines" / "labels.txt")], CTCCodec(ENGLISH_KEYS), 32, 640)
    x, ids, text = ds[0]
    assert x.shape[:2] == (3, 32) and len(ids) == len(text.replace(" ", "")) + text.count(" ")

    r = runner.invoke(
        app, ["synth", "pages", "-o", str(tmp_path / "pages"), "-n", "2", "--width", "480", "--height", "640"]
    )
    assert r.exit_code == 0, r.output
    pages = read_det_labels(tmp_path / "pages" / "labels.txt")
    assert len(pages) == 2
    for path, anns in pages:
        assert path.is_file() and anns
        for a in anns:
            assert a["transcription"] and len(a["points"]) == 4
