"""Training configuration files (YAML) for `scriba train rec|det|cls --config cfg.yaml`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from scriba.train.loop import LoopConfig, OptimConfig


@dataclass
class RecDataConfig:
    synthetic: bool = True  # render lines on the fly
    label_files: list[str] = field(default_factory=list)  # PaddleOCR `img\ttext` files, mixed with synthetic
    synthetic_ratio: float = (
        1.0  # fraction of each batch from the synthetic stream when label files are given
    )
    val_label_files: list[str] = field(default_factory=list)
    real_eval: list[str] = field(default_factory=lambda: ["iiit5k", "uw3", "icdar15"])
    workers: int = 1
    max_chars: int = 40
    receipt_ratio: float = 0.0  # fraction of synthetic lines in receipt style (scriba.train.synth.receipts)


@dataclass
class RecConfig:
    loop: LoopConfig
    arch: str = "scriba_rec"  # scriba_rec | ppocrv5_rec | ppocrv4_rec
    arch_args: dict[str, Any] = field(default_factory=dict)
    charset: str = "english"  # english | path to a key file
    use_space_char: bool = True
    height: int = 32
    min_width: int = 128
    max_width: int = 640
    pretrained: str | None = None  # a checkpoint from `scriba train import-weights` or an earlier run
    freeze: list[str] = field(default_factory=list)  # parameter-name prefixes kept fixed, e.g. [backbone]
    freeze_batchnorm: bool = False  # keep every BatchNorm's running statistics (small-batch fine-tuning)
    data: RecDataConfig = field(default_factory=RecDataConfig)


def _build(cls: type, raw: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    unknown = set(raw) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {', '.join(sorted(unknown))}")
    return cls(**raw)


def load_rec_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RecConfig:
    raw: dict[str, Any] = yaml.safe_load(Path(path).read_text()) or {}
    raw.update(overrides or {})
    loop_raw = dict(raw.pop("loop", {}))
    optim = _build(OptimConfig, loop_raw.pop("optim", {}))
    loop = _build(LoopConfig, {**loop_raw, "optim": optim})
    data = _build(RecDataConfig, raw.pop("data", {}))
    return _build(RecConfig, {**raw, "loop": loop, "data": data})
