"""`scriba train` and `scriba synth` with broken configurations, checkpoints and output paths: one line each."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_ocr_cli import assert_clean_stderr, scriba


@pytest.fixture()
def broken(tmp_path: Path) -> dict[str, str]:
    files = {
        "bad_yaml": "bad: [\n",  # unclosed flow sequence
        "list_yaml": "- a\n- b\n",
        "no_output": "loop:\n  optim:\n    steps: 5\n",
        "not_a_checkpoint": "this is text, not a PyTorch checkpoint\n",
    }
    paths = {"tmp": str(tmp_path), "file": str(tmp_path / "a_file")}
    (tmp_path / "a_file").write_text("x")
    for name, text in files.items():
        (tmp_path / f"{name}.txt").write_text(text)
        paths[name] = str(tmp_path / f"{name}.txt")
    return paths


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "rec", "--config", "{bad_yaml}"], "{bad_yaml}: while parsing a flow node"),
        (["train", "cls", "--config", "{list_yaml}"], "{list_yaml}: a configuration holds settings as `key: value`"),
        (["train", "det", "--config", "{no_output}"], "{no_output}: LoopConfig needs output"),
        (["train", "rec", "--config", "{tmp}/none.yaml"], "{tmp}/none.yaml: no such configuration file"),
        (["train", "export", "{not_a_checkpoint}", "-o", "{tmp}/m.onnx"], "{not_a_checkpoint}: not a usable checkpoint"),
        (["train", "restrict-head", "{tmp}/none.pt", "-o", "{tmp}/r.pt"], "{tmp}/none.pt: no such checkpoint"),
        (["train", "import-weights", "ppocrv5", "--small", "-o", "{file}/w.pt"], "cannot use {file} as the output folder"),
        (["synth", "lines", "-o", "{tmp}/s", "-n", "0"], "--count must be at least 1, not 0"),
        (["synth", "pages", "-o", "{file}", "-n", "1"], "cannot use {file} as the output folder"),
    ],
)
def test_broken_training_inputs_fail_in_one_line(broken: dict[str, str], args: list[str], message: str) -> None:
    res = scriba(*(a.format(**broken) for a in args), home=Path(broken["tmp"]))
    assert res.returncode == 2, res.stderr
    assert_clean_stderr(res.stderr)
    lines = [line for line in res.stderr.strip().splitlines() if not line.lower().startswith("warning")]
    assert len(lines) == 1 and lines[0].startswith(f"scriba: error: {message.format(**broken)}"), lines
