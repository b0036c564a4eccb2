"""Recognizer training: `scriba train rec --config cfg.yaml` (CTC loss, synthetic and/or label-file data)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from scriba.train.charset import ENGLISH_KEYS, CTCCodec
from scriba.train.config import RecConfig
from scriba.train.data import LabelFileRecDataset, RecBatch, SyntheticRecStream, collate_rec, normalize_crop
from scriba.train.loop import train_loop


def build_codec(cfg: RecConfig) -> CTCCodec:
    if cfg.charset == "english":
        return CTCCodec(ENGLISH_KEYS, cfg.use_space_char)
    return CTCCodec.from_file(cfg.charset, cfg.use_space_char)


def build_rec_model(arch: str, num_classes: int, arch_args: dict[str, Any]) -> nn.Module:
    if arch == "scriba_rec":
        from scriba.train.nets.scriba_rec import ScribaRecNet

        return ScribaRecNet(num_classes, **arch_args)
    if arch in ("ppocrv5_rec", "ppocrv4_rec"):
        from scriba.train.nets.ppocr import build_ppocr_rec

        return build_ppocr_rec(arch.split("_")[0], num_classes=num_classes)
    raise ValueError(f"unknown recognizer architecture {arch!r}")


def freeze_modules(model: nn.Module, prefixes: list[str], all_batchnorm: bool = False) -> None:
    """Fixes the parameters under the given name prefixes; their BatchNorm layers keep their running statistics
    (eval mode even while the rest trains), the usual way to fine-tune on little data."""
    frozen_bn: list[nn.Module] = []
    for name, module in model.named_modules():
        inside = any(name == p or name.startswith(p + ".") for p in prefixes)
        if inside:
            for param in module.parameters(recurse=False):
                param.requires_grad_(False)
        if isinstance(module, nn.BatchNorm2d) and (inside or all_batchnorm):
            frozen_bn.append(module)
    for bn in frozen_bn:
        bn.register_forward_pre_hook(_keep_statistics)


def _keep_statistics(module: nn.Module, args: object) -> None:
    module.training = False


def ctc_loss(model: nn.Module, batch: RecBatch) -> torch.Tensor:
    logits = model(batch.images) if not hasattr(model, "logits") else model.logits(batch.images)
    log_probs = logits.log_softmax(-1).transpose(0, 1)  # T x N x C
    t = log_probs.shape[0]
    input_lengths = torch.full((log_probs.shape[1],), t, dtype=torch.long)
    return nn.functional.ctc_loss(
        log_probs,
        batch.targets,
        input_lengths,
        batch.target_lengths,
        blank=0,
        reduction="mean",
        zero_infinity=True,
    )


@torch.no_grad()
def predict_texts(
    model: nn.Module,
    codec: CTCCodec,
    crops: list[np.ndarray],
    height: int,
    min_width: int,
    max_width: int = 3200,
    batch_size: int = 16,
) -> list[str]:
    """Greedy CTC decoding with the pipeline's preprocessing (width-sorted batches, right zero padding)."""
    model.eval()
    order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / max(crops[i].shape[0], 1))
    out: list[str] = [""] * len(crops)
    for s in range(0, len(order), batch_size):
        ids = order[s : s + batch_size]
        batch = collate_rec([(normalize_crop(crops[i], height, max_width), [], "") for i in ids], min_width)
        probs = model(batch.images)
        for k, i in enumerate(ids):
            out[i] = codec.decode_greedy(probs[k].argmax(-1).tolist())
    return out


def _batches(cfg: RecConfig, codec: CTCCodec, start_step: int) -> Iterator[RecBatch]:
    bs = cfg.loop.optim.batch_size
    seed = cfg.loop.seed + start_step
    streams: list[Iterator[Any]] = []
    n_syn = bs
    if cfg.data.label_files:
        ds = LabelFileRecDataset(cfg.data.label_files, codec, cfg.height, cfg.max_width)
        gen = torch.Generator().manual_seed(seed)
        n_syn = round(bs * cfg.data.synthetic_ratio) if cfg.data.synthetic else 0

        def files() -> Iterator[Any]:
            while True:
                for i in torch.randperm(len(ds), generator=gen).tolist():
                    yield ds[i]

        streams.append(files())
    syn = None
    if cfg.data.synthetic and n_syn > 0:
        stream = SyntheticRecStream(
            codec,
            cfg.height,
            cfg.max_width,
            seed,
            cfg.data.max_chars,
            run_length=n_syn,
            receipt_ratio=cfg.data.receipt_ratio,
            time_stride=8 if cfg.arch.startswith("ppocr") else 4,
        )
        loader = DataLoader(
            stream,
            batch_size=None,
            num_workers=cfg.data.workers,
            persistent_workers=cfg.data.workers > 0,
            prefetch_factor=64 if cfg.data.workers else None,
        )
        syn = iter(loader)
    while True:
        samples = list(islice(syn, n_syn)) if syn is not None else []
        if streams:
            samples += list(islice(streams[0], bs - len(samples)))
        # Similar widths together would waste less padding, but the pipeline pads too: keep it realistic.
        yield collate_rec(samples, cfg.min_width)


def _synthetic_val(codec: CTCCodec, n: int = 300, seed: int = 12345) -> list[tuple[np.ndarray, str]]:
    from scriba.train.synth.corpus import Corpus, TextSampler
    from scriba.train.synth.fonts import find_fonts
    from scriba.train.synth.render import render_line

    rng = random.Random(seed)
    sampler = TextSampler(Corpus.from_system(), rng, charset=set(codec.keys))
    fonts = find_fonts()
    out = []
    while len(out) < n:
        text = codec.normalize(sampler.sample(max_chars=rng.randint(1, 30)))
        if text:
            out.append((render_line(text, fonts, rng), text))
    return out


def make_evaluator(cfg: RecConfig, codec: CTCCodec) -> Any:
    from scriba.train.evalsets import evaluate_recognizer
    from scriba.train.metrics import rec_metrics

    val = _synthetic_val(codec)

    def evaluate(model: nn.Module, step: int) -> dict[str, Any]:
        def predict(crops: list[np.ndarray]) -> list[str]:
            return predict_texts(model, codec, crops, cfg.height, cfg.min_width)

        res: dict[str, Any] = {"synthetic": rec_metrics(predict([c for c, _ in val]), [t for _, t in val])}
        if cfg.data.val_label_files:
            ds = LabelFileRecDataset(cfg.data.val_label_files, codec, cfg.height, cfg.max_width)
            import cv2

            crops = [cv2.imread(str(p))[:, :, ::-1] for p, _ in ds.items]
            res["val"] = rec_metrics(predict(crops), [codec.normalize(t) for _, t in ds.items])
        if cfg.data.real_eval:
            try:
                res.update(evaluate_recognizer(predict, tuple(cfg.data.real_eval), normalize=codec.normalize))
            except FileNotFoundError:
                pass
        return {k: {m: round(v, 4) for m, v in d.items()} for k, d in res.items()}

    return evaluate


def train_rec(cfg: RecConfig, resume: bool = True) -> Path:
    codec = build_codec(cfg)
    model = build_rec_model(cfg.arch, codec.num_classes, cfg.arch_args)
    if cfg.pretrained:
        ck = torch.load(cfg.pretrained, map_location="cpu", weights_only=False)
        state = ck.get("ema") or ck["model"]
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or missing:
            print(f"pretrained init: {len(missing)} missing, {len(unexpected)} unexpected tensors")
    if cfg.freeze or cfg.freeze_batchnorm:
        freeze_modules(model, cfg.freeze, cfg.freeze_batchnorm)
    meta = {
        "task": "rec",
        "arch": cfg.arch,
        "arch_args": cfg.arch_args,
        "keys": codec.keys,
        "use_space_char": cfg.use_space_char,
        "height": cfg.height,
        "min_width": cfg.min_width,
        "params": sum(p.numel() for p in model.parameters()),
    }
    train_loop(
        model,
        lambda step: _batches(cfg, codec, step),
        ctc_loss,
        cfg.loop,
        meta,
        evaluate=make_evaluator(cfg, codec),
    )
    return Path(cfg.loop.output) / "final.pt"
