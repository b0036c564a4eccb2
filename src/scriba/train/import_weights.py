"""`scriba train import-weights ppocrv5|ppocrv4`: PP-OCR ONNX weights -> a PyTorch checkpoint, with parity measured
on real rendered inputs after each model's own preprocessing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from scriba.models.registry import get_model, resolve_file
from scriba.train.data import collate_rec, normalize_crop
from scriba.train.nets.ppocr import PPOCRClassifier, PPOCRDetector, PPOCRRecognizer
from scriba.train.onnx_import import load_onnx_into, max_abs_diff

PARITY_TOLERANCE = 1e-3
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
)


def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in _FONT_CANDIDATES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    raise FileNotFoundError("no DejaVu/Liberation font found (install fonts-dejavu-core)")


def rendered_page(lines: list[str], width: int = 640, size: int = 28) -> np.ndarray:
    img = Image.new("RGB", (width, 40 + int(size * 1.8) * len(lines)), "white")
    d = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        d.text((24, 20 + int(k * size * 1.8)), line, font=_font(size), fill=(20, 20, 20))
    return np.asarray(img)


def rendered_line(text: str, size: int = 32) -> np.ndarray:
    f = _font(size)
    x0, y0, x1, y1 = f.getbbox(text)
    img = Image.new("RGB", (x1 - x0 + 16, y1 - y0 + 16), "white")
    ImageDraw.Draw(img).text((8 - x0, 8 - y0), text, font=f, fill=(0, 0, 0))
    return np.asarray(img)


def classifier_input(crop: np.ndarray, height: int, width: int) -> np.ndarray:
    """The 0/180 classifier's input, as `scriba.models.classification.angle` builds it."""
    ch, cw = crop.shape[:2]
    w = min(width, math.ceil(height * cw / max(ch, 1)))
    resized = cv2.resize(crop, (max(w, 1), height))
    x = (resized[:, :, ::-1].astype(np.float32) / 255.0 - 0.5) / 0.5
    out = np.zeros((3, height, width), np.float32)
    out[:, :, : resized.shape[1]] = x.transpose(2, 0, 1)
    return out


@dataclass
class ImportResult:
    role: str
    tensors: int
    max_abs_diff: float

    @property
    def ok(self) -> bool:
        return self.max_abs_diff <= PARITY_TOLERANCE


def _inputs(model_name: str, small: bool) -> dict[str, np.ndarray]:
    """Each model's input tensor, built by Scriba's own inference preprocessing from rendered text."""
    from scriba.models.detection.db import TextDetector
    from scriba.models.recognition.ctc import TextRecognizer

    spec = get_model(model_name)
    lines = ["Scriba imports PP-OCR weights.", "Invoice 2024-07-15  Total: $1,234.56"]
    page = rendered_page(lines[:1] if small else lines, width=320 if small else 640)
    crops = [rendered_line(t) for t in (["Parity", "0123456789"] if small else lines + ["Hello, World!"])]
    det = TextDetector(spec.det, limit_side_len=320 if small else 960)
    rec = TextRecognizer(spec.rec)
    x_det = det.preprocess(page)
    rec_batch = collate_rec(
        [(normalize_crop(c, spec.rec.height, spec.rec.max_width), [], "") for c in crops],
        min_width=rec.batch_width(crops),
    )
    out = {"det": x_det[None] if x_det.ndim == 3 else x_det, "rec": rec_batch.images.numpy()}
    if spec.cls is not None:
        out["cls"] = np.stack([classifier_input(c, spec.cls.height, spec.cls.width) for c in crops])
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def import_ppocr(
    model_name: str, small: bool = False
) -> tuple[dict[str, torch.nn.Module], list[ImportResult]]:
    """Builds the three PyTorch modules, loads the ONNX weights, measures parity on rendered inputs."""
    spec = get_model(model_name)
    inputs = _inputs(model_name, small)
    from scriba.models.recognition.ctc import load_characters

    n_classes = len(load_characters(spec.rec))
    modules: dict[str, torch.nn.Module] = {"det": PPOCRDetector(), "rec": PPOCRRecognizer(n_classes)}
    files = {"det": spec.det.file, "rec": spec.rec.file}
    if spec.cls is not None and "cls" in inputs:
        modules["cls"] = PPOCRClassifier()
        files["cls"] = spec.cls.file
    results = []
    for role, module in modules.items():
        path = resolve_file(files[role])
        x = inputs[role]
        n = load_onnx_into(module, path, torch.from_numpy(x[:1]))
        results.append(ImportResult(role, n, max_abs_diff(module, path, x)))
    return modules, results


def save_checkpoint(
    model_name: str, modules: dict[str, torch.nn.Module], results: list[ImportResult], out: str
) -> None:
    from scriba.models.recognition.ctc import load_characters

    spec = get_model(model_name)
    chars = load_characters(spec.rec)
    keys = chars[1:-1] if spec.rec.use_space_char else chars[1:]
    torch.save(
        {
            "source": model_name,
            "det": modules["det"].state_dict(),
            "rec": modules["rec"].state_dict(),
            "cls": modules["cls"].state_dict() if "cls" in modules else None,
            # `model`/`meta` make the recognizer usable directly by `scriba train rec` (pretrained) and `export`.
            "model": modules["rec"].state_dict(),
            "meta": {
                "task": "rec",
                "arch": f"{model_name}_rec",
                "arch_args": {},
                "keys": keys,
                "use_space_char": spec.rec.use_space_char,
                "height": spec.rec.height,
                "min_width": spec.rec.min_width,
            },
            "parity": {r.role: r.max_abs_diff for r in results},
        },
        out,
    )
