"""PP-OCR ONNX weights load into the PyTorch modules with parity on real rendered inputs."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")


def test_ppocrv5_import_parity_small_input() -> None:
    from scriba.train.import_weights import PARITY_TOLERANCE, import_ppocr

    modules, results = import_ppocr("ppocrv5", small=True)
    by_role = {r.role: r for r in results}
    assert set(by_role) == {"det", "rec", "cls"}
    for r in results:
        assert r.tensors > 200, r
        assert r.max_abs_diff <= PARITY_TOLERANCE, r
    # Same structure, v4 weights: only the recognizer head differs in size.
    assert modules["rec"].head.out_features == 18385


def test_import_weights_cli_writes_a_checkpoint_usable_for_training(tmp_path) -> None:
    import torch
    from typer.testing import CliRunner

    from scriba.cli.main import app

    out = tmp_path / "v4.pt"
    result = CliRunner().invoke(app, ["train", "import-weights", "ppocrv4", "--small", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.count(" ok") == 3
    ck = torch.load(out, map_location="cpu", weights_only=False)
    assert ck["meta"]["arch"] == "ppocrv4_rec" and len(ck["meta"]["keys"]) == 6623
    assert max(ck["parity"].values()) <= 1e-3


def test_unknown_model_is_one_clear_error() -> None:
    from typer.testing import CliRunner

    from scriba.cli.main import app

    result = CliRunner().invoke(app, ["train", "import-weights", "tesseract"])
    assert result.exit_code == 2
    assert "import-weights knows ppocrv5 and ppocrv4" in result.output
