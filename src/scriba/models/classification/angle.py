"""0/180 text-line orientation: flips upside-down line crops before recognition."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from scriba.models.registry import ClassifierSpec, resolve_file
from scriba.models.runtime import RuntimeOptions, get_session


@dataclass
class AngleResult:
    label: str
    confidence: float

    @property
    def flipped(self) -> bool:
        return self.label == "180"


class AngleClassifier:
    """`AngleClassifier(spec)([rgb_crop, ...])` -> one AngleResult per crop."""

    def __init__(self, spec: ClassifierSpec, runtime: RuntimeOptions | None = None, batch_size: int = 32) -> None:
        self.spec = spec
        self.session = get_session(resolve_file(spec.file), runtime)
        self.input_name = self.session.get_inputs()[0].name
        self.batch_size = batch_size

    def _normalize(self, crop: np.ndarray) -> np.ndarray:
        h, w = self.spec.height, self.spec.width
        ch, cw = crop.shape[:2]
        resized_w = min(w, math.ceil(h * cw / max(ch, 1)))
        resized = cv2.resize(crop, (max(resized_w, 1), h))
        x = (resized[:, :, ::-1].astype(np.float32) / 255.0 - 0.5) / 0.5
        out = np.zeros((3, h, w), dtype=np.float32)
        out[:, :, : resized.shape[1]] = x.transpose(2, 0, 1)
        return out

    def __call__(self, crops: list[np.ndarray]) -> list[AngleResult]:
        results: list[AngleResult] = []
        for start in range(0, len(crops), self.batch_size):
            x = np.stack([self._normalize(c) for c in crops[start : start + self.batch_size]])
            probs = self.session.run(None, {self.input_name: x})[0]
            for p in probs:
                k = int(p.argmax())
                results.append(AngleResult(self.spec.labels[k], float(p[k])))
        return results

    def should_flip(self, result: AngleResult) -> bool:
        return result.flipped and result.confidence > self.spec.threshold
