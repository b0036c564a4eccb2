"""0/180 line classifier training: `scriba train cls --config cfg.yaml`. Synthetic lines, each shown upright or
turned by 180 degrees; validation on real crops (IIIT5K, UW3) turned the same way."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from scriba.train.config import _build, build_loop, read_yaml
from scriba.train.import_weights import classifier_input
from scriba.train.loop import LoopConfig, train_loop
from scriba.train.nets.ppocr import PPOCRClassifier


@dataclass
class ClsConfig:
    loop: LoopConfig
    height: int = 48
    width: int = 192
    pretrained: str | None = None  # `scriba train import-weights` checkpoint (its `cls` part)
    workers: int = 1
    real_eval: list[str] = field(default_factory=lambda: ["iiit5k", "uw3"])


def load_cls_config(path: str | Path) -> ClsConfig:
    raw = read_yaml(path)
    return _build(ClsConfig, {**raw, "loop": build_loop(raw)})


class _TurnedLines(IterableDataset):
    def __init__(self, cfg: ClsConfig, seed: int) -> None:
        self.cfg = cfg
        self.seed = seed

    def __iter__(self) -> Iterator[tuple[np.ndarray, int]]:
        from scriba.train.synth.corpus import Corpus, TextSampler
        from scriba.train.synth.fonts import find_fonts
        from scriba.train.synth.render import render_line

        info = get_worker_info()
        rng = random.Random(self.seed * 1000 + (info.id if info else 0))
        sampler, fonts = TextSampler(Corpus.from_system(), rng), find_fonts()
        while True:
            crop = render_line(sampler.sample(max_chars=rng.randint(2, 30)), fonts, rng)
            label = int(rng.random() < 0.5)
            if label:
                crop = np.ascontiguousarray(crop[::-1, ::-1])
            yield classifier_input(crop, self.cfg.height, self.cfg.width), label


def train_cls(cfg: ClsConfig) -> Path:
    model = PPOCRClassifier()
    if cfg.pretrained:
        ck = torch.load(cfg.pretrained, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["cls"] if "cls" in ck else ck["model"])
    bs = cfg.loop.optim.batch_size

    def batches(step: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        loader = DataLoader(_TurnedLines(cfg, cfg.loop.seed + step), batch_size=bs, num_workers=cfg.workers)
        yield from loader

    def loss_fn(m: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return nn.functional.cross_entropy(m.logits(batch[0]), batch[1])

    def evaluate(m: nn.Module, step: int) -> dict[str, Any]:
        from scriba.train.evalsets import load_rec_set

        out: dict[str, Any] = {}
        m.eval()
        for name in cfg.real_eval:
            try:
                crops = [c for c, _ in load_rec_set(name)]
            except FileNotFoundError:
                continue
            xs = [classifier_input(c, cfg.height, cfg.width) for c in crops]
            xs += [
                classifier_input(np.ascontiguousarray(c[::-1, ::-1]), cfg.height, cfg.width) for c in crops
            ]
            labels = np.array([0] * len(crops) + [1] * len(crops))
            with torch.no_grad():
                pred = m(torch.from_numpy(np.stack(xs))).argmax(-1).numpy()
            out[name] = {"accuracy": round(float((pred == labels).mean()), 4), "count": len(labels)}
        return out

    meta = {"task": "cls", "arch": "ppocr_cls", "height": cfg.height, "width": cfg.width}
    train_loop(model, batches, loss_fn, cfg.loop, meta, evaluate=evaluate)
    return Path(cfg.loop.output) / "final.pt"
