"""Training configuration files (YAML) for `scriba train rec|det|cls --config cfg.yaml`."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
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


def read_yaml(path: str | Path) -> dict[str, Any]:
    """A configuration file's settings (an empty file: none); TypeError when it is not a mapping."""
    raw = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(raw, dict):
        raise TypeError(f"a configuration holds settings as `key: value` lines, not a {type(raw).__name__}")
    return raw


def _build(cls: type, raw: dict[str, Any]) -> Any:
    if not isinstance(raw, dict):
        raise TypeError(f"{cls.__name__} settings must be `key: value` lines, not a {type(raw).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = set(raw) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {', '.join(sorted(unknown))}")
    missing = [
        f.name for f in fields(cls) if f.name not in raw and f.default is MISSING and f.default_factory is MISSING
    ]
    if missing:
        raise ValueError(f"{cls.__name__} needs {', '.join(missing)}")
    return cls(**raw)


def build_loop(raw: dict[str, Any]) -> LoopConfig:
    """The `loop:` section of a configuration (with its `optim:`), taken out of `raw`."""
    loop_raw = dict(raw.pop("loop", {}))
    optim = _build(OptimConfig, loop_raw.pop("optim", {}))
    return _build(LoopConfig, {**loop_raw, "optim": optim})  # type: ignore[no-any-return]


def load_rec_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RecConfig:
    raw = read_yaml(path)
    raw.update(overrides or {})
    loop = build_loop(raw)
    data = _build(RecDataConfig, raw.pop("data", {}))
    return _build(RecConfig, {**raw, "loop": loop, "data": data})
