"""Recognition data: the pipeline's exact preprocessing, a synthetic stream, PaddleOCR label files, batching."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from scriba.train.charset import CTCCodec


def normalize_crop(crop_rgb: np.ndarray, height: int, max_width: int) -> np.ndarray:
    """3 x height x w float32, exactly as `scriba.models.recognition.ctc.TextRecognizer` feeds the model:
    aspect-preserving resize to the height, BGR, (x/255 - 0.5) / 0.5 (right padding is added when batching)."""
    ch, cw = crop_rgb.shape[:2]
    w = max(1, min(max_width, math.ceil(height * cw / max(ch, 1))))
    resized = cv2.resize(crop_rgb, (w, height))
    x = (resized[:, :, ::-1].astype(np.float32) * (1.0 / 255.0) - 0.5) / 0.5
    return np.ascontiguousarray(x.transpose(2, 0, 1))


@dataclass
class RecBatch:
    images: torch.Tensor  # N x 3 x H x W
    targets: torch.Tensor  # concatenated label ids
    target_lengths: torch.Tensor
    texts: list[str]


def collate_rec(samples: list[tuple[np.ndarray, list[int], str]], min_width: int = 0) -> RecBatch:
    """Right-pads to the widest crop (and at least min_width) with zeros, as the pipeline does."""
    h = samples[0][0].shape[1]
    width = max(min_width, max(s[0].shape[2] for s in samples))
    width = int(math.ceil(width / 4) * 4)
    images = np.zeros((len(samples), 3, h, width), np.float32)
    for i, (x, _, _) in enumerate(samples):
        images[i, :, :, : x.shape[2]] = x
    targets = [t for _, ids, _ in samples for t in ids]
    return RecBatch(
        torch.from_numpy(images),
        torch.tensor(targets, dtype=torch.long),
        torch.tensor([len(ids) for _, ids, _ in samples], dtype=torch.long),
        [s[2] for s in samples],
    )


class SyntheticRecStream(IterableDataset):
    """Endless rendered lines; each worker gets its own seed so runs are reproducible for a fixed worker count."""

    def __init__(
        self,
        codec: CTCCodec,
        height: int,
        max_width: int,
        seed: int,
        max_chars: int = 40,
        fonts: tuple[str, ...] | None = None,
        run_length: int = 32,
        receipt_ratio: float = 0.0,
        time_stride: int = 4,
    ) -> None:
        self.time_stride = time_stride
        self.run_length = run_length
        self.receipt_ratio = receipt_ratio
        self.codec = codec
        self.height = height
        self.max_width = max_width
        self.seed = seed
        self.max_chars = max_chars
        self.fonts = fonts

    def __iter__(self) -> Iterator[tuple[np.ndarray, list[int], str]]:
        from scriba.train.synth.corpus import Corpus, TextSampler
        from scriba.train.synth.fonts import find_fonts
        from scriba.train.synth.receipts import ReceiptTextSampler
        from scriba.train.synth.render import render_line

        info = get_worker_info()
        wid = info.id if info else 0
        rng = random.Random(self.seed * 1000 + wid)
        np.random.seed((self.seed * 1000 + wid) % (1 << 31))
        fonts = self.fonts or find_fonts()
        corpus = Corpus.from_system()
        sampler = TextSampler(corpus, rng, charset=set(self.codec.keys))
        receipts = ReceiptTextSampler(corpus, rng) if self.receipt_ratio > 0 else None
        while True:
            # Runs of similar lengths, so that batches cut from this stream carry little padding.
            n = rng.choice([c for c in (1, 4, 8, 12, 16, 24, 32) if c < self.max_chars] + [self.max_chars])
            made = 0
            while made < self.run_length:
                source = receipts if receipts and rng.random() < self.receipt_ratio else sampler
                text = self.codec.normalize(source.sample(max_chars=rng.randint(max(1, n // 2), n)))
                if not text:
                    continue
                crop = render_line(text, fonts, rng)
                x = normalize_crop(crop, self.height, self.max_width)
                # Squeezed too hard (too many characters for the width cap): CTC needs >= 1 step per character.
                if x.shape[2] // self.time_stride < 2 * len(text) + 1:
                    continue
                made += 1
                yield x, self.codec.encode(text), text


def read_rec_labels(path: str | Path) -> list[tuple[Path, str]]:
    """PaddleOCR recognition labels: `image_path<TAB>text` per line, paths relative to the label file."""
    base = Path(path).parent
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        name, _, text = line.partition("\t")
        out.append((base / name, text))
    return out


def read_det_labels(path: str | Path) -> list[tuple[Path, list[dict]]]:
    """PaddleOCR detection labels: `image_path<TAB>[{"transcription": ..., "points": [[x, y], ...]}, ...]`."""
    base = Path(path).parent
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        name, _, ann = line.partition("\t")
        out.append((base / name, json.loads(ann)))
    return out


class LabelFileRecDataset(Dataset):
    """Crops listed in PaddleOCR-format label files (users' own data, or `scriba synth` output)."""

    def __init__(self, label_files: list[str], codec: CTCCodec, height: int, max_width: int) -> None:
        self.items = [it for f in label_files for it in read_rec_labels(f)]
        self.codec = codec
        self.height = height
        self.max_width = max_width

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[np.ndarray, list[int], str]:
        path, text = self.items[i]
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise OSError(f"cannot read image {path}")
        text = self.codec.normalize(text)
        return normalize_crop(bgr[:, :, ::-1], self.height, self.max_width), self.codec.encode(text), text
