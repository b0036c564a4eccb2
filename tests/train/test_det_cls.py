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


def test_threshold_map_peaks_on_the_border_and_fades_outwards() -> None:
    from scriba.train.det import threshold_map

    quad = np.array([[20, 20], [120, 20], [120, 50], [20, 50]], np.float32)
    thresh, mask = threshold_map([quad], 80, 160, 0.4)
    d = 100 * 30 * (1 - 0.4**2) / 260  # DB's offset: about 9.7 px
    assert abs(thresh[20, 70] - 0.7) < 0.02  # on the top edge
    assert abs(thresh[35, 70] - 0.3) < 0.02  # the centre line is 15 px (> d) from every edge
    assert 0.3 < thresh[25, 70] < 0.7  # 5 px inside: in between
    assert mask[20 - int(d) + 2, 70] == 1 and mask[20 - int(d) - 3, 70] == 0  # the dilated polygon
    assert mask[2, 2] == 0 and thresh[2, 2] == 0.3


def test_db_loss_with_threshold_branch_goes_down() -> None:
    import torch

    from scriba.train.det import db_full_loss, det_input, shrink_map, threshold_map
    from scriba.train.nets.ppocr import PPOCRDetector
    from tests.conftest import render_lines

    torch.manual_seed(0)
    img = render_lines(["Detector", "training"], size=40, width=256, margin=20, spacing=1.6)[:128]
    quads = [np.array([[18, 18 + 64 * k], [200, 18 + 64 * k], [200, 70 + 64 * k], [18, 70 + 64 * k]], np.float32)
             for k in range(2)]  # fmt: skip
    x = torch.from_numpy(det_input(img))[None]
    shrink = torch.from_numpy(shrink_map(quads, 128, 256, 0.4))[None, None]
    t, m = (torch.from_numpy(a)[None, None] for a in threshold_map(quads, 128, 256, 0.4))
    model = PPOCRDetector(threshold_branch=True)
    opt = torch.optim.AdamW(model.parameters(), 2e-3)
    losses = []
    for _ in range(6):
        logits, thresh = model.train_maps(x)
        assert thresh is not None and thresh.shape == shrink.shape
        loss = db_full_loss(logits, thresh, shrink, t, m)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0]
    model.eval()
    assert model(x).shape == shrink.shape  # inference: the probability map only


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
