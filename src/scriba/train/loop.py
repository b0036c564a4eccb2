"""The training loop shared by rec/det/cls: AdamW with L2-style weight decay, linear warm-up then cosine decay,
gradient clipping, an EMA of the weights, checkpoints every N steps with exact resume of model, EMA, optimizer
and schedule, a progress bar on stderr, and a JSON-lines log."""

from __future__ import annotations

import copy
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm


@dataclass
class OptimConfig:
    steps: int = 10000
    batch_size: int = 32
    lr: float = 1e-3
    min_lr_ratio: float = 0.02
    warmup_steps: int = 300
    weight_decay: float = 1e-4
    clip_grad: float = 5.0
    ema: float = 0.999  # 0 disables


@dataclass
class LoopConfig:
    output: str
    seed: int = 7
    threads: int = 2
    log_every: int = 50
    eval_every: int = 1000
    ckpt_every: int = 200
    optim: OptimConfig = field(default_factory=OptimConfig)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (1 << 31))
    torch.manual_seed(seed)


def cosine_with_warmup(step: int, cfg: OptimConfig) -> float:
    if step < cfg.warmup_steps:
        return (step + 1) / max(cfg.warmup_steps, 1)
    t = (step - cfg.warmup_steps) / max(cfg.steps - cfg.warmup_steps, 1)
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))


class EMA:
    """Exponential moving average of parameters and buffers (BatchNorm statistics are copied, not averaged)."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        d = min(self.decay, (1 + step) / (10 + step))  # short memory early in training
        for e, m in zip(self.model.state_dict().values(), model.state_dict().values()):
            if e.dtype.is_floating_point:
                e.mul_(d).add_(m.detach(), alpha=1 - d)
            else:
                e.copy_(m)


def _param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """No decay on norms and biases (PaddleOCR's L2 applies to conv/linear weights)."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def train_loop(
    model: nn.Module,
    batches: Callable[[int], Iterator[Any]],
    loss_fn: Callable[[nn.Module, Any], torch.Tensor],
    cfg: LoopConfig,
    meta: dict[str, Any],
    evaluate: Callable[[nn.Module, int], dict[str, Any]] | None = None,
    resume: bool = True,
) -> nn.Module:
    """Runs to cfg.optim.steps, resuming from `output/last.pt` when present; returns the EMA (or plain) model.

    batches(start_step) yields training batches; it is re-created on resume with the step as extra seed."""
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.output)
    out.mkdir(parents=True, exist_ok=True)
    seed_everything(cfg.seed)
    oc = cfg.optim
    opt = torch.optim.AdamW(_param_groups(model, oc.weight_decay), lr=oc.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_with_warmup(s, oc))
    ema = EMA(model, oc.ema) if oc.ema > 0 else None
    step = 0
    last = out / "last.pt"
    if resume and last.is_file():
        ck = torch.load(last, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        if ema and ck.get("ema"):
            ema.model.load_state_dict(ck["ema"])
        step = ck["step"]
        print(f"resumed from {last} at step {step}", file=sys.stderr)
        seed_everything(cfg.seed + step)

    def save(path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        torch.save(
            {
                "model": model.state_dict(),
                "ema": ema.model.state_dict() if ema else None,
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "step": step,
                "meta": meta,
            },
            tmp,
        )
        tmp.replace(path)

    log_path = out / "log.jsonl"

    def log(record: dict[str, Any]) -> None:
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    model.train()
    it = batches(step)
    bar = tqdm(total=oc.steps, initial=step, file=sys.stderr, dynamic_ncols=True, mininterval=5)
    run_loss, t0 = 0.0, time.time()
    while step < oc.steps:
        batch = next(it)
        loss = loss_fn(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = nn.utils.clip_grad_norm_(model.parameters(), oc.clip_grad)
        opt.step()
        sched.step()
        step += 1
        if ema:
            ema.update(model, step)
        run_loss += float(loss.detach())
        bar.update(1)
        if step % cfg.log_every == 0:
            rec = {
                "step": step,
                "loss": run_loss / cfg.log_every,
                "lr": sched.get_last_lr()[0],
                "grad_norm": float(gnorm),
                "sec": round(time.time() - t0, 1),
            }
            bar.set_postfix(loss=f"{rec['loss']:.3f}")
            log(rec)
            run_loss = 0.0
        if step % cfg.ckpt_every == 0 or step == oc.steps:
            save(last)
        if evaluate and (step % cfg.eval_every == 0 or step == oc.steps):
            metrics = evaluate(ema.model if ema else model, step)
            model.train()
            log({"step": step, "eval": metrics})
            print(f"step {step}: {json.dumps(metrics)}", file=sys.stderr)
    bar.close()
    final = ema.model if ema else model
    torch.save({"model": final.state_dict(), "step": step, "meta": meta}, out / "final.pt")
    return final
