"""The detector and classifier training paths run end to end on tiny budgets; DB targets and Hmean are right."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")


def _cfg(tmp_path: Path, body: dict) -> Path:
    p = tmp_path / "cfg.yaml"
    p.write_text(json.dumps(body))
    return p


def test_shrink_map_and_hmean() -> None:
    from scriba.train.det import hmean, shrink_map

    quad = np.array([[10, 10], [110, 10], [110, 40], [10, 40]], np.float32)
    target = shrink_map([quad], 64, 128, 0.4)
    assert 0 < target.sum() < 100 * 30 and target[25, 60] == 1 and target[11, 11] == 0
    far = quad + 200
    assert hmean([quad, far], [quad], []) == (1, 2, 1)
    assert hmean([far], [quad], [far]) == (0, 0, 1)  # predictions on ignored (###) regions do not count


def test_det_and_cls_training_runs(tmp_path: Path) -> None:
    from scriba.train.cls import load_cls_config, train_cls
    from scriba.train.det import load_det_config, train_det

    loop = {
        "threads": 2,
        "log_every": 1,
        "eval_every": 10**6,
        "ckpt_every": 1,
        "optim": {"steps": 2, "batch_size": 2, "warmup_steps": 1},
    }
    det_cfg = load_det_config(
        _cfg(tmp_path, {"size": 128, "val_set": "none", "loop": {**loop, "output": str(tmp_path / "det")}})
    )
    assert train_det(det_cfg).is_file()
    cls_cfg = load_cls_config(
        _cfg(tmp_path, {"workers": 0, "real_eval": [], "loop": {**loop, "output": str(tmp_path / "cls")}})
    )
    assert train_cls(cls_cfg).is_file()
    records = [json.loads(x) for x in (tmp_path / "cls" / "log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in records if "loss" in r]
    assert len(losses) == 2
    assert all(np.isfinite(losses))
