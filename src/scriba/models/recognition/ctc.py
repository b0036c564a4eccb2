"""CTC text recognition: width-batched inference, greedy decoding with per-character confidence and the
time steps of every character (from which word boxes are derived)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from scriba.errors import ModelError
from scriba.models.registry import RecognizerSpec, resolve_file
from scriba.models.runtime import RuntimeOptions, get_session, model_metadata


@dataclass
class Recognition:
    text: str
    confidence: float
    char_confidences: list[float] = field(default_factory=list)
    # For each character, its first and last time step, as fractions of the crop width (0..1).
    char_spans: list[tuple[float, float]] = field(default_factory=list)


def load_characters(spec: RecognizerSpec) -> list[str]:
    """CTC classes: blank, the key list, then space when the model was trained with one."""
    if spec.keys is not None:
        with open(resolve_file(spec.keys), encoding="utf-8") as fh:
            keys = [line.rstrip("\r\n") for line in fh]
        if keys and keys[-1] == "":
            keys.pop()
    else:
        meta = model_metadata(resolve_file(spec.file))
        if "character" not in meta:
            raise ModelError(f"{spec.file.path}: no key list given and no `character` entry in its ONNX metadata")
        keys = meta["character"].splitlines()
    chars = ["<blank>"] + keys
    if spec.use_space_char:
        chars.append(" ")
    return chars


def ctc_greedy_decode(probs: np.ndarray, characters: list[str], content_frac: float) -> Recognition:
    """probs: T x C softmax output of one line. content_frac: fraction of the T steps covering real pixels
    (the rest is right padding), used to express character positions as fractions of the crop."""
    t_steps = probs.shape[0]
    idx = probs.argmax(axis=1)
    conf = probs[np.arange(t_steps), idx]
    keep = idx != 0
    keep[1:] &= idx[1:] != idx[:-1]
    positions = np.flatnonzero(keep)
    if positions.size == 0:
        return Recognition("", 0.0)
    # A character's run ends where the argmax changes.
    change = np.flatnonzero(np.diff(idx) != 0) + 1
    scale = 1.0 / (t_steps * max(content_frac, 1e-6))
    text_chars, confs, spans = [], [], []
    for p in positions:
        c = int(idx[p])
        if c >= len(characters):
            continue
        run_end = change[np.searchsorted(change, p, side="right")] if change.size and change[-1] > p else t_steps
        text_chars.append(characters[c])
        confs.append(float(conf[p]))
        spans.append((min(p * scale, 1.0), min(run_end * scale, 1.0)))
    if not confs:
        return Recognition("", 0.0)
    return Recognition("".join(text_chars), float(np.mean(confs)), confs, spans)


class TextRecognizer:
    """Reads text lines from crops; usable on its own: `TextRecognizer(spec)([rgb_crop, ...])`."""

    def __init__(
        self,
        spec: RecognizerSpec,
        runtime: RuntimeOptions | None = None,
        batch_size: int = 6,
        **overrides: object,
    ) -> None:
        self.spec = replace(spec, **overrides) if overrides else spec
        self.session = get_session(resolve_file(spec.file), runtime)
        self.input_name = self.session.get_inputs()[0].name
        self.characters = load_characters(self.spec)
        n_out = self.session.get_outputs()[0].shape[-1]
        if isinstance(n_out, int) and n_out != len(self.characters):
            raise ModelError(
                f"{spec.file.path}: model predicts {n_out} classes but the key list gives {len(self.characters)}"
            )
        self.batch_size = batch_size

    def _normalize(self, crop: np.ndarray, width: int) -> np.ndarray:
        h = self.spec.height
        ch, cw = crop.shape[:2]
        resized_w = min(width, int(math.ceil(h * cw / max(ch, 1))))
        resized = cv2.resize(crop, (max(resized_w, 1), h))
        # BGR order, as the PaddleOCR recognizers were trained.
        x = (resized[:, :, ::-1].astype(np.float32) * (1.0 / 255.0) - self.spec.mean) / self.spec.std
        out = np.zeros((3, h, width), dtype=np.float32)
        out[:, :, : resized.shape[1]] = x.transpose(2, 0, 1)
        return out

    def batch_width(self, crops: list[np.ndarray]) -> int:
        h = self.spec.height
        max_ratio = max(c.shape[1] / max(c.shape[0], 1) for c in crops)
        width = max(self.spec.min_width, int(h * max_ratio))
        return min(width, self.spec.max_width)

    def __call__(self, crops: list[np.ndarray]) -> list[Recognition]:
        results: list[Recognition | None] = [None] * len(crops)
        if not crops:
            return []
        order = np.argsort([c.shape[1] / max(c.shape[0], 1) for c in crops], kind="stable")
        for start in range(0, len(order), self.batch_size):
            ids = order[start : start + self.batch_size]
            batch = [crops[i] for i in ids]
            width = self.batch_width(batch)
            x = np.stack([self._normalize(c, width) for c in batch])
            probs = self.session.run(None, {self.input_name: x})[0]
            for k, i in enumerate(ids):
                c = crops[i]
                content = min(width, math.ceil(self.spec.height * c.shape[1] / max(c.shape[0], 1)))
                results[i] = ctc_greedy_decode(probs[k], self.characters, content / width)
        return [r for r in results if r is not None]
