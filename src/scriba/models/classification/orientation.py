"""Whole-page orientation (0 / 90 / 180 / 270 degrees) with the PP-LCNet page classifier.

Preprocessing as the model was trained (PaddleClas): BGR, shorter side resized to 256 (Lanczos), centre crop
224 x 224, ImageNet mean/std. The label says how far the page is turned clockwise (checked on real pages); `upright` undoes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from scriba.models.registry import AUXILIARY, ModelFile, resolve_file
from scriba.models.runtime import RuntimeOptions, get_session, model_metadata, per_page_run_options
from scriba.pipeline.turns import upright_image

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


@dataclass
class Orientation:
    angle: int  # 0, 90, 180 or 270
    confidence: float


class PageOrientation:
    """`PageOrientation()(rgb_page)` -> Orientation; `upright(rgb, angle)` turns the page back."""

    def __init__(
        self, file: ModelFile | None = None, runtime: RuntimeOptions | None = None, threshold: float = 0.8
    ) -> None:
        path = resolve_file(file or AUXILIARY["page-orientation"])
        self.session = get_session(path, runtime)
        self.input_name = self.session.get_inputs()[0].name
        names = model_metadata(path).get("character", "0\n90\n180\n270")
        self.angles = [int(x) for x in names.split("\n") if x.strip()]
        # Below this confidence the page is left as it is: a wrong turn costs far more than a missed one.
        self.threshold = threshold

    def preprocess(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        k = 256.0 / max(min(h, w), 1)
        # Only the centre 224 x 224 of the resized page is used. On a long thin page the resize alone would be
        # vast (100000 x 1 -> 25.6M x 256 pixels, 19 GB), so the long side is first cut to about the part that
        # becomes the crop (plus a margin for the filter); pages up to 8:1 are resized whole, as before.
        if max(h, w) * k > 2048:
            keep = int(np.ceil(2048 / k))
            if w > h:
                left = (w - keep) // 2
                rgb, w = rgb[:, left : left + keep], keep
            else:
                top = (h - keep) // 2
                rgb, h = rgb[top : top + keep], keep
        resized = cv2.resize(
            rgb, (max(224, round(w * k)), max(224, round(h * k))), interpolation=cv2.INTER_LANCZOS4
        )
        rh, rw = resized.shape[:2]
        top, left = (rh - 224) // 2, (rw - 224) // 2
        crop = resized[top : top + 224, left : left + 224, ::-1].astype(np.float32) / 255.0
        x = (crop - MEAN) / STD
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    def __call__(self, rgb: np.ndarray) -> Orientation:
        logits = self.session.run(None, {self.input_name: self.preprocess(rgb)}, per_page_run_options())[0][0]
        probs = np.exp(logits - logits.max())
        probs = probs / probs.sum() if abs(float(logits.sum()) - 1.0) > 1e-3 else logits
        k = int(np.argmax(probs))
        return Orientation(self.angles[k], float(probs[k]))

    def detect(self, rgb: np.ndarray) -> int:
        """The angle to undo, or 0 when the classifier is not confident."""
        res = self(rgb)
        return res.angle if res.confidence >= self.threshold else 0

    @staticmethod
    def upright(rgb: np.ndarray, angle: int) -> np.ndarray:
        """Turn a page reported as turned `angle` degrees clockwise back upright (scriba.pipeline.turns, which
        also turns the points on it)."""
        return upright_image(rgb, angle)
