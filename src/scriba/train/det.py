"""DB detector training: `scriba train det --config cfg.yaml`, from PaddleOCR detection labels and/or synthetic
pages. Loss (DB, as in PaddleOCR's DBLoss): balanced BCE on the probability map against the shrunk text kernels,
and, with `threshold_branch: true` (the default), an L1 loss on the threshold map (inside the dilated polygons)
and a dice loss on the approximate binary map 1 / (1 + exp(-k (P - T))). The threshold head exists only in
training; the exported inference graph is the probability branch, as PaddleOCR's. Validation: Hmean at IoU 0.5
on a real set."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pyclipper
import torch
from torch import nn

from scriba.train.config import _build, build_loop, read_yaml
from scriba.train.loop import LoopConfig, train_loop
from scriba.train.nets.ppocr import PPOCRDetector

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


@dataclass
class DetConfig:
    loop: LoopConfig
    size: int = 640  # square training crops
    shrink_ratio: float = 0.4
    pretrained: str | None = None  # `scriba train import-weights` checkpoint (its `det` part)
    label_files: list[str] = field(default_factory=list)
    synthetic: bool = True
    val_set: str = "icdar2015_det_test"
    val_limit: int = 20  # images, to keep validation short on a CPU
    threshold_branch: bool = True  # DB's threshold map + binary map losses (training only)


def load_det_config(path: str | Path) -> DetConfig:
    raw = read_yaml(path)
    return _build(DetConfig, {**raw, "loop": build_loop(raw)})


def det_input(rgb: np.ndarray) -> np.ndarray:
    """BGR, ImageNet mean/std (PaddleOCR's detector convention), CHW."""
    return ((rgb[:, :, ::-1].astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1).copy()


def _offset(poly: np.ndarray, ratio: float, sign: int) -> tuple[np.ndarray, float] | None:
    """The polygon moved inwards (sign -1) or outwards (+1) by DB's D = area * (1 - r^2) / perimeter, and D;
    None for a degenerate polygon."""
    p = poly.astype(np.float32)
    area = abs(cv2.contourArea(p))
    perim = cv2.arcLength(p, True)
    if area < 4 or perim <= 0:
        return None
    d = area * (1 - ratio**2) / perim
    pco = pyclipper.PyclipperOffset()
    pco.AddPath([tuple(map(int, pt)) for pt in p], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    moved = pco.Execute(sign * d)
    return (np.array(moved[0], np.int32), d) if moved else None


def shrink_map(polys: list[np.ndarray], h: int, w: int, ratio: float) -> np.ndarray:
    """DB's kernels: each polygon moved inwards by area * (1 - r^2) / perimeter."""
    target = np.zeros((h, w), np.float32)
    for poly in polys:
        shrunk = _offset(poly, ratio, -1)
        if shrunk is not None:
            cv2.fillPoly(target, [shrunk[0]], 1.0)
    return target


def threshold_map(
    polys: list[np.ndarray], h: int, w: int, ratio: float, low: float = 0.3, high: float = 0.7
) -> tuple[np.ndarray, np.ndarray]:
    """DB's threshold targets: inside each polygon dilated by D = area * (1 - r^2) / perimeter, the value rises
    from `low` (D or more from the polygon's border) to `high` (on the border); the mask marks where it counts."""
    thresh = np.zeros((h, w), np.float32)
    mask = np.zeros((h, w), np.float32)
    for poly in polys:
        grown = _offset(poly, ratio, +1)
        if grown is None:
            continue
        outer, d = grown
        p = poly.astype(np.float64)
        cv2.fillPoly(mask, [outer], 1.0)
        x0, y0 = np.maximum(outer.min(axis=0), 0)
        x1, y1 = np.minimum(outer.max(axis=0), [w - 1, h - 1])
        if x1 < x0 or y1 < y0:
            continue
        ys, xs = np.mgrid[y0 : y1 + 1, x0 : x1 + 1].astype(np.float64)
        dist = np.full(xs.shape, np.inf)
        for a, b in zip(p, np.roll(p, -1, axis=0)):  # distance to each edge segment
            ab = b - a
            t = np.clip(((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
            dist = np.minimum(dist, np.hypot(xs - (a[0] + t * ab[0]), ys - (a[1] + t * ab[1])))
        closeness = 1.0 - np.clip(dist / max(d, 1e-6), 0.0, 1.0)
        region = thresh[y0 : y1 + 1, x0 : x1 + 1]
        np.maximum(region, closeness.astype(np.float32), out=region)
    return low + (high - low) * thresh, mask


def _random_crop(
    img: np.ndarray, polys: list[np.ndarray], size: int, rng: random.Random
) -> tuple[np.ndarray, list[np.ndarray]]:
    h, w = img.shape[:2]
    scale = size / max(h, w) * rng.uniform(0.6, 1.6)
    img = cv2.resize(img, (max(1, int(w * scale)), max(1, int(h * scale))))
    polys = [p * scale for p in polys]
    h, w = img.shape[:2]
    x0 = rng.randint(0, max(0, w - size))
    y0 = rng.randint(0, max(0, h - size))
    canvas = np.zeros((size, size, 3), np.uint8)
    part = img[y0 : y0 + size, x0 : x0 + size]
    canvas[: part.shape[0], : part.shape[1]] = part
    return canvas, [p - np.array([x0, y0]) for p in polys]


def _samples(cfg: DetConfig, seed: int) -> Iterator[tuple[np.ndarray, list[np.ndarray]]]:
    from scriba.train.data import read_det_labels

    rng = random.Random(seed)
    items = [it for f in cfg.label_files for it in read_det_labels(f)]
    sampler = fonts = None
    if cfg.synthetic:
        from scriba.train.synth.corpus import Corpus, TextSampler
        from scriba.train.synth.fonts import find_fonts

        sampler, fonts = TextSampler(Corpus.from_system(), rng), find_fonts()
    while True:
        if items and (not cfg.synthetic or rng.random() < 0.5):
            path, anns = rng.choice(items)
            bgr = cv2.imread(str(path))
            if bgr is None:
                continue
            img = bgr[:, :, ::-1]
            polys = [np.array(a["points"], np.float32) for a in anns if a.get("transcription") != "###"]
        else:
            from scriba.train.synth.pages import render_page

            img, anns = render_page(sampler, fonts, rng, 640, 800)  # type: ignore[arg-type]
            polys = [np.array(a["points"], np.float32) for a in anns]
        yield _random_crop(img, polys, cfg.size, rng)


def db_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Balanced BCE (hard negatives at most 3x the positives) + dice on the probability map."""
    bce = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    pos = target > 0.5
    n_pos = int(pos.sum())
    neg_losses = bce[~pos]
    k = min(neg_losses.numel(), max(3 * n_pos, 1000))
    hard_neg = torch.topk(neg_losses.flatten(), k).values if k else neg_losses.flatten()
    balanced = (bce[pos].sum() + hard_neg.sum()) / (n_pos + k + 1e-6)
    prob = torch.sigmoid(logits)
    dice = 1 - 2 * (prob * target).sum() / (prob.sum() + target.sum() + 1e-6)
    return balanced + dice


def db_full_loss(
    logits: torch.Tensor,
    thresh: torch.Tensor,
    shrink: torch.Tensor,
    thresh_target: torch.Tensor,
    thresh_mask: torch.Tensor,
    k: float = 50.0,
    alpha: float = 5.0,
    beta: float = 10.0,
) -> torch.Tensor:
    """PaddleOCR's DBLoss weighting: alpha * probability loss + beta * masked L1 on the threshold map + dice on
    the approximate binary map sigmoid(k (P - T))."""
    prob_loss = db_loss(logits, shrink)
    l1 = (torch.abs(thresh - thresh_target) * thresh_mask).sum() / (thresh_mask.sum() + 1e-6)
    binary = torch.sigmoid(k * (torch.sigmoid(logits) - thresh))
    dice = 1 - 2 * (binary * shrink).sum() / (binary.sum() + shrink.sum() + 1e-6)
    return alpha * prob_loss + beta * l1 + dice


def quad_iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = np.floor(np.minimum(a.min(0), b.min(0))).astype(int)
    x1, y1 = np.ceil(np.maximum(a.max(0), b.max(0))).astype(int)
    w, h = x1 - x0 + 1, y1 - y0 + 1
    if w * h > 4_000_000:
        return 0.0
    ma, mb = np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)
    cv2.fillPoly(ma, [np.round(a - [x0, y0]).astype(np.int32)], 1)
    cv2.fillPoly(mb, [np.round(b - [x0, y0]).astype(np.int32)], 1)
    union = int((ma | mb).sum())
    return int((ma & mb).sum()) / union if union else 0.0


def hmean(preds: list[np.ndarray], gts: list[np.ndarray], ignore: list[np.ndarray]) -> tuple[int, int, int]:
    """(matched, predictions not on ignored regions, ground-truth boxes) for one image, IoU >= 0.5, one-to-one."""
    preds = [p for p in preds if not any(quad_iou(p, g) > 0.5 for g in ignore)]
    used: set[int] = set()
    matched = 0
    for p in preds:
        best, best_j = 0.5, -1
        for j, g in enumerate(gts):
            if j not in used:
                iou = quad_iou(p, g)
                if iou >= best:
                    best, best_j = iou, j
        if best_j >= 0:
            used.add(best_j)
            matched += 1
    return matched, len(preds), len(gts)


def load_icdar_det(root: Path, limit: int) -> list[tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]]:
    out = []
    for img_path in sorted((root / "images").glob("*.jpg"))[:limit]:
        gt = root / "gt" / f"gt_{img_path.stem}.txt"
        cares, ignores = [], []
        for line in gt.read_text(encoding="utf-8-sig").splitlines():
            parts = line.split(",")
            if len(parts) < 9:
                continue
            quad = np.array([float(v) for v in parts[:8]], np.float32).reshape(4, 2)
            (ignores if ",".join(parts[8:]).strip() == "###" else cares).append(quad)
        out.append((cv2.imread(str(img_path))[:, :, ::-1].copy(), cares, ignores))
    return out


def train_det(cfg: DetConfig) -> Path:
    model = PPOCRDetector(threshold_branch=cfg.threshold_branch)
    if cfg.pretrained:
        ck = torch.load(cfg.pretrained, map_location="cpu", weights_only=False)
        # Imported PaddleOCR weights have no threshold head: it starts from random weights.
        missing, unexpected = model.load_state_dict(ck["det"] if "det" in ck else ck["model"], strict=False)
        if unexpected or any(not k.startswith("thresh.") for k in missing):
            raise ValueError(f"{cfg.pretrained}: not a detector checkpoint ({len(missing)} missing tensors)")
    bs = cfg.loop.optim.batch_size

    def batches(step: int) -> Iterator[tuple[torch.Tensor, ...]]:
        it = _samples(cfg, cfg.loop.seed + step)
        while True:
            xs, ys, ts, ms = [], [], [], []
            for _ in range(bs):
                img, polys = next(it)
                xs.append(det_input(img))
                ys.append(shrink_map(polys, cfg.size, cfg.size, cfg.shrink_ratio))
                if cfg.threshold_branch:
                    t, m = threshold_map(polys, cfg.size, cfg.size, cfg.shrink_ratio)
                    ts.append(t)
                    ms.append(m)
            out = [torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))[:, None]]
            if cfg.threshold_branch:
                out += [torch.from_numpy(np.stack(ts))[:, None], torch.from_numpy(np.stack(ms))[:, None]]
            yield tuple(out)

    def loss_fn(m: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        logits, thresh = m.train_maps(batch[0])
        if thresh is None:
            return db_loss(logits, batch[1])
        return db_full_loss(logits, thresh, batch[1], batch[2], batch[3])

    def evaluate(m: nn.Module, step: int) -> dict[str, Any]:
        from scriba.models.detection.db import boxes_from_probability, resize_for_detection
        from scriba.models.registry import get_model
        from scriba.train.evalsets import shared_data_dir

        root = shared_data_dir()
        if root is None or not (root / cfg.val_set).is_dir():
            return {}
        spec = get_model("ppocrv5").det
        totals = np.zeros(3)
        m.eval()
        for img, cares, ignores in load_icdar_det(root / cfg.val_set, cfg.val_limit):
            resized, _, _ = resize_for_detection(img, spec.limit_side_len, spec.limit_type, spec.max_side_limit)
            with torch.no_grad():
                prob = m(torch.from_numpy(det_input(resized))[None])[0, 0].numpy()
            boxes = boxes_from_probability(prob, spec, img.shape[0], img.shape[1]).boxes
            totals += hmean(list(boxes), cares, ignores)
        precision = totals[0] / max(totals[1], 1)
        recall = totals[0] / max(totals[2], 1)
        h = 2 * precision * recall / max(precision + recall, 1e-9)
        return {
            cfg.val_set: {"precision": round(precision, 4), "recall": round(recall, 4), "hmean": round(h, 4)}
        }

    meta = {"task": "det", "arch": "ppocr_det", "size": cfg.size}
    train_loop(model, batches, loss_fn, cfg.loop, meta, evaluate=evaluate)
    return Path(cfg.loop.output) / "final.pt"
