"""`scriba train formula --config cfg.yaml`: the elastic formula recognizer (image -> canonical LaTeX tokens).

Each step trains, on the same batch (ERNIE 5.0's elastic training, with the "sandwich" sampling of
once-for-all / BigNAS): the full network on the labels; the smallest sub-network and one sampled sub-network
(fewer layers, heads, MLP units, conv channels) on the labels and, in place, on the full network's token
distributions (knowledge distillation from the full network of the same step, no separate teacher). All
sub-networks share the elastic weights; `export` slices the named ones out.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from scriba.formula.latex import BOS, EOS, PAD, UNK, vocabulary
from scriba.formula.preprocess import batch as pad_batch
from scriba.formula.preprocess import prepare
from scriba.train.config import _build, build_loop, read_yaml
from scriba.train.loop import LoopConfig, train_loop
from scriba.train.metrics import edit_distance
from scriba.train.nets.formula_net import FULL, Arch, FormulaNet, SubNet, extract

# The named sub-networks that are exported and registered (their compute: docs/models.md).
NAMED: dict[str, SubNet] = {
    "scriba-formula": FULL,
    "scriba-formula-s": SubNet(width=0.75, enc_layers=1, enc_ffn=256, dec_layers=2, dec_ffn=256),
    "scriba-formula-xs": SubNet(
        width=0.5, enc_layers=1, enc_heads=2, enc_ffn=128, dec_layers=1, dec_heads=2, dec_ffn=256
    ),
}
SMALLEST = NAMED["scriba-formula-xs"]


@dataclass
class FormulaTrainConfig:
    loop: LoopConfig
    data: list[str] = field(default_factory=list)  # folders written by `scriba synth formulas`
    val: str | None = None  # a held-out folder of the same kind
    val_count: int = 100
    arch: dict[str, Any] = field(default_factory=dict)
    kd_weight: float = 0.5  # sub-networks: (1 - kd) x label loss + kd x distillation from the full network
    label_smoothing: float = 0.05
    sandwich: bool = True  # also train sub-networks every step (see subnets_per_step)
    subnets_per_step: int = 2  # 2: the smallest and a sampled one; 1: they alternate from step to step
    max_tokens: int = 64


def load_formula_config(path: str | Path, overrides: dict[str, Any] | None = None) -> FormulaTrainConfig:
    raw = read_yaml(path)
    raw.update(overrides or {})
    loop = build_loop(raw)
    return _build(FormulaTrainConfig, {**raw, "loop": loop})  # type: ignore[no-any-return]


class Tokens:
    def __init__(self) -> None:
        self.vocab = vocabulary()
        self.index = {t: i for i, t in enumerate(self.vocab)}

    def encode(self, canonical: str) -> list[int]:
        unk = self.index[UNK]
        return [self.index.get(t, unk) for t in canonical.split()]

    def decode(self, ids: list[int]) -> str:
        out = []
        for i in ids:
            if i == self.index[EOS]:
                break
            if i in (self.index[PAD], self.index[BOS]):
                continue
            out.append(self.vocab[i])
        return " ".join(out)


def read_labels(folder: str | Path) -> list[tuple[str, str]]:
    folder = Path(folder)
    out = []
    for line in (folder / "labels.tsv").read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            name, latex = line.split("\t", 1)
            if (folder / name).is_file():
                out.append((str(folder / name), latex))
    return out


def load_image(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def make_batch(
    items: list[tuple[str, str]], tok: Tokens, rng: random.Random | None
) -> dict[str, torch.Tensor]:
    arrays, seqs = [], []
    for path, latex in items:
        jitter = rng.uniform(0.7, 1.0) if rng is not None and rng.random() < 0.5 else 1.0
        arrays.append(prepare(load_image(path), jitter))
        seqs.append(tok.encode(latex))
    images, cols = pad_batch(arrays)
    t = max(len(s) for s in seqs) + 2
    pad, bos, eos = tok.index[PAD], tok.index[BOS], tok.index[EOS]
    tokens = torch.full((len(seqs), t), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        tokens[i, : len(s) + 2] = torch.tensor([bos, *s, eos])
    return {"images": torch.from_numpy(images), "cols": torch.from_numpy(cols), "tokens": tokens}


def batches(
    folders: list[str], batch_size: int, seed: int, tok: Tokens, max_tokens: int
) -> Iterator[dict[str, torch.Tensor]]:
    """Batches of similar widths, forever; the folders' label files are re-read every pass (a set that is
    still being written grows while training runs)."""
    rng = random.Random(seed)
    while True:
        items = [it for f in folders for it in read_labels(f) if len(it[1].split()) <= max_tokens]
        if not items:
            raise ValueError(f"no labelled formulas in {folders}")
        widths = []
        for path, _ in items:
            with Image.open(path) as im:
                w, h = im.size
            widths.append(min(384.0, w * min(48.0 / h, 4.0)))
        order = sorted(range(len(items)), key=lambda i: widths[i] + rng.random() * 24)
        chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        rng.shuffle(chunks)
        for c in chunks:
            yield make_batch([items[i] for i in c], tok, rng)


def sample_subnet(rng: random.Random, arch: Arch) -> SubNet:
    if rng.random() < 0.4:
        return NAMED["scriba-formula-s"]
    return SubNet(
        width=rng.choice([0.5, 0.75, 1.0]),
        enc_layers=rng.randint(1, arch.enc_layers),
        enc_heads=rng.choice([arch.enc_heads // 2, arch.enc_heads]),
        enc_ffn=rng.choice([arch.enc_ffn // 4, arch.enc_ffn // 2, arch.enc_ffn]),
        dec_layers=rng.randint(1, arch.dec_layers),
        dec_heads=rng.choice([arch.dec_heads // 2, arch.dec_heads]),
        dec_ffn=rng.choice([arch.dec_ffn // 2, arch.dec_ffn]),
    )


def elastic_loss(
    model: FormulaNet, batch: dict[str, torch.Tensor], cfg: FormulaTrainConfig, rng: random.Random
) -> torch.Tensor:
    images, cols, tokens = batch["images"], batch["cols"], batch["tokens"]
    inp, tgt = tokens[:, :-1], tokens[:, 1:]
    valid = tgt != 0
    logits = model(images, inp, FULL, cols)
    loss = F.cross_entropy(logits[valid], tgt[valid], label_smoothing=cfg.label_smoothing)
    if not cfg.sandwich:
        return loss
    teacher = logits.detach()[valid].log_softmax(-1)
    subs = [SMALLEST, sample_subnet(rng, model.arch)]
    if cfg.subnets_per_step == 1:
        subs = [subs[rng.random() < 0.5]]
    for sub in subs:
        out = model(images, inp, sub, cols)[valid]
        ce = F.cross_entropy(out, tgt[valid], label_smoothing=cfg.label_smoothing)
        kd = F.kl_div(out.log_softmax(-1), teacher, log_target=True, reduction="batchmean")
        loss = loss + (1 - cfg.kd_weight) * ce + cfg.kd_weight * kd
    return loss


@torch.no_grad()
def greedy(
    model: FormulaNet, images: torch.Tensor, cols: torch.Tensor | None, tok: Tokens, max_len: int = 150
) -> tuple[list[str], list[float]]:
    """Greedy decoding with the incremental decoder (a standalone model: use `extract` for a sub-network)."""
    model.eval()
    memory, mask = model.encode(images, FULL, cols)
    n = images.shape[0]
    a = model.arch
    ck, cv = model.cross_kv(memory)
    pk = torch.zeros(a.dec_layers, n, a.dec_heads, 0, a.head_dim)
    pv = torch.zeros_like(pk)
    token = torch.full((n, 1), tok.index[BOS], dtype=torch.long)
    out = [[] for _ in range(n)]
    conf = [[] for _ in range(n)]
    done = [False] * n
    for t in range(max_len):
        lp, pk, pv = model.step(token, torch.tensor([t]), pk, pv, ck, cv, mask)
        p, idx = lp.exp().max(-1)
        for i in range(n):
            if not done[i]:
                if int(idx[i]) == tok.index[EOS]:
                    done[i] = True
                else:
                    out[i].append(int(idx[i]))
                conf[i].append(float(p[i]))
        if all(done):
            break
        token = idx[:, None]
    return [tok.decode(o) for o in out], [
        float(np.exp(np.mean(np.log(np.maximum(c, 1e-9))))) if c else 0.0 for c in conf
    ]


def score(preds: list[str], refs: list[str]) -> dict[str, float]:
    exact = sum(p == r for p, r in zip(preds, refs)) / max(len(refs), 1)
    ned = [
        edit_distance(p.split(), r.split()) / max(len(p.split()), len(r.split()), 1)
        for p, r in zip(preds, refs)
    ]
    return {"exact": round(exact, 4), "ned": round(float(np.mean(ned)) if ned else 0.0, 4)}


def evaluate_set(
    model: FormulaNet,
    items: list[tuple[str, str]],
    tok: Tokens,
    subs: dict[str, SubNet],
    batch_size: int = 16,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, sub in subs.items():
        small = extract(model, sub)
        preds, refs = [], []
        for i in range(0, len(items), batch_size):
            chunk = items[i : i + batch_size]
            b = make_batch(chunk, tok, None)
            p, _ = greedy(small, b["images"], b["cols"], tok)
            preds += p
            refs += [latex for _, latex in chunk]
        out[name] = score(preds, refs)
    return out


def train_formula(cfg: FormulaTrainConfig) -> FormulaNet:
    tok = Tokens()
    arch = (
        Arch(**{**cfg.arch, "vocab": len(tok.vocab)})
        if "channels" not in cfg.arch
        else Arch.from_dict({**Arch().to_dict(), **cfg.arch, "vocab": len(tok.vocab)})
    )
    model = FormulaNet(arch)
    print(f"FormulaNet: {sum(p.numel() for p in model.parameters()):,} parameters", file=sys.stderr)
    meta = {
        "task": "formula",
        "arch": arch.to_dict(),
        "vocab": tok.vocab,
        "named": {k: v.__dict__ for k, v in NAMED.items()},
    }
    rng = random.Random(cfg.loop.seed)

    def evaluate(m: torch.nn.Module, step: int) -> dict[str, Any]:
        val = [it for it in read_labels(cfg.val) if len(it[1].split()) <= cfg.max_tokens] if cfg.val else []
        val_items = val[: cfg.val_count]
        if not val_items:
            return {}
        return evaluate_set(m, val_items, tok, {"scriba-formula": FULL, "scriba-formula-xs": SMALLEST})  # type: ignore[arg-type]

    return train_loop(  # type: ignore[return-value]
        model,
        lambda start: batches(
            cfg.data, cfg.loop.optim.batch_size, cfg.loop.seed + start, tok, cfg.max_tokens
        ),
        lambda m, b: elastic_loss(m, b, cfg, rng),  # type: ignore[arg-type]
        cfg.loop,
        meta,
        evaluate,
    )


def load_formula_checkpoint(path: str | Path, prefer_ema: bool = True) -> tuple[FormulaNet, dict[str, Any]]:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    meta = ck.get("meta") or {}
    if meta.get("task") != "formula":
        raise ValueError(f"{path}: not a formula recognizer checkpoint")
    model = FormulaNet(Arch.from_dict(meta["arch"]))
    model.load_state_dict(ck["ema"] if prefer_ema and ck.get("ema") else ck["model"])
    return model.eval(), meta


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=1))
