"""A short real training run: the loss falls, the checkpoint exports to ONNX, and the exported model runs in the
ONNX pipeline with the same output as PyTorch."""

from __future__ import annotations

import json
import random
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")

WORDS = ["cat", "Scriba", "2024", "OCR", "line", "$9.50", "fox", "Data"]


def _write_clean_set(folder: Path) -> Path:
    from scriba.train.synth.render import render_line

    (folder / "images").mkdir(parents=True)
    fonts = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
    if not Path(fonts[0]).is_file():
        pytest.skip("fonts-dejavu-core is not installed")
    lines = []
    for i, word in enumerate(WORDS):
        crop = render_line(word, fonts, random.Random(i), clean=True)
        cv2.imwrite(str(folder / "images" / f"{i}.png"), crop[:, :, ::-1])
        lines.append(f"images/{i}.png\t{word}")
    (folder / "labels.txt").write_text("\n".join(lines) + "\n")
    return folder / "labels.txt"


def test_short_training_run_then_export_into_pipeline(tmp_path: Path) -> None:
    import torch

    from scriba.models.recognition.ctc import TextRecognizer
    from scriba.models.registry import get_model, register_model
    from scriba.train.config import load_rec_config
    from scriba.train.export import export_rec, load_rec_checkpoint
    from scriba.train.rec import build_codec, predict_texts, train_rec

    labels = _write_clean_set(tmp_path / "data")
    cfg_path = tmp_path / "cfg.yaml"
    cfg_path.write_text(
        json.dumps(
            {
                "arch": "scriba_rec",
                "arch_args": {"width": 0.5, "dim": 64, "depth": 1, "heads": 2},
                "height": 32,
                "min_width": 96,
                "max_width": 256,
                "data": {"synthetic": False, "label_files": [str(labels)], "real_eval": [], "workers": 0},
                "loop": {
                    "output": str(tmp_path / "run"),
                    "threads": 2,
                    "log_every": 10,
                    "eval_every": 10**6,
                    "ckpt_every": 50,
                    "seed": 3,
                    "optim": {"steps": 160, "batch_size": 8, "lr": 0.003, "warmup_steps": 10, "ema": 0.0},
                },
            }
        )
    )  # JSON is YAML
    cfg = load_rec_config(cfg_path)
    final = train_rec(cfg)
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in log if "loss" in r]
    assert losses[-1] < 0.3 * losses[0], losses

    # Resume: a finished run picks up at its last step and does no more work.
    assert torch.load(tmp_path / "run" / "last.pt", weights_only=False)["step"] == 160

    onnx_path = tmp_path / "rec.onnx"
    report = export_rec(final, onnx_path)
    assert report["max_abs_diff"] < 1e-4 and report["classes"] == 96

    model, _meta = load_rec_checkpoint(final)
    crops = [cv2.imread(str(p))[:, :, ::-1] for p in sorted((tmp_path / "data" / "images").glob("*.png"))]
    torch_texts = predict_texts(model, build_codec(cfg), crops, 32, 96)

    spec = register_model("tiny-test", rec=str(onnx_path), height=32, min_width=96)
    assert get_model("tiny-test").rec.height == 32
    onnx_texts = [r.text for r in TextRecognizer(spec.rec)(crops)]
    # Eight words seen 160 times: most must be read back exactly, by PyTorch and by the ONNX pipeline.
    truth = [WORDS[int(p.stem)] for p in sorted((tmp_path / "data" / "images").glob("*.png"))]
    assert sum(a == b for a, b in zip(torch_texts, truth)) >= 6, (torch_texts, truth)
    assert sum(a == b for a, b in zip(onnx_texts, truth)) >= 6, (onnx_texts, truth)
    assert np.isfinite(losses).all()
