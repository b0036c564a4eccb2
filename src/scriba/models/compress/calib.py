"""Calibration for CCQ: how much each weight's error matters, from the activations it multiplies.

A weight w_ij's error moves the output by e_ij * x_j, so over a calibration set the expected squared output
error of a row is sum_j e_ij^2 E[x_j^2] (the diagonal of the layer's Hessian). CCQ's Viterbi search and its
scale fit minimize that weighted error instead of the plain one. E[x_j^2] is measured per input channel of
every quantized Conv/MatMul/Gemm by running the float model on unlabeled pages (rendered here, or the images
of --calib DIR) and on the line crops its own detector finds on them.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import cv2
import numpy as np

from scriba.errors import ModelError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
WORDS = [
    "invoice", "total", "amount", "date", "account", "report", "page", "table", "figure", "number",
    "order", "customer", "address", "phone", "street", "city", "name", "price", "quantity", "tax",
    "receipt", "market", "value", "results", "method", "section", "data", "analysis", "system", "model",
    "training", "control", "research", "the", "of", "and", "to", "in", "for", "with", "on", "by",
    "from", "The", "Company", "Limited", "Total", "Cash",
]


def calibration_pages(calib_dir: str | None, pages: int = 12) -> list[np.ndarray]:
    """RGB pages: the first `pages` images of calib_dir (sorted by name), or pages rendered deterministically."""
    if calib_dir is None:
        return [_render_page(seed) for seed in range(pages)]
    d = Path(calib_dir)
    if not d.is_dir():
        raise ModelError(f"--calib: no such folder: {calib_dir}")
    files = sorted(p for p in d.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ModelError(f"--calib: no images ({', '.join(IMAGE_SUFFIXES)}) in {calib_dir}")
    from PIL import Image

    out = []
    for p in files[:pages]:
        with Image.open(p) as im:
            out.append(np.asarray(im.convert("RGB")))
    return out


def _fonts() -> list[str]:
    found = sorted(str(p) for d in FONT_DIRS if d.is_dir() for p in d.rglob("*.ttf"))
    latin = [f for f in found if any(k in f for k in ("DejaVu", "Liberation", "FreeSans", "FreeSerif"))]
    return latin or found


def _render_page(seed: int) -> np.ndarray:
    """A white page of lines of words and numbers in the machine's fonts and a few sizes."""
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(seed)
    fonts = _fonts()
    if not fonts:
        raise ModelError("no TrueType fonts to render calibration pages; pass --calib DIR with page images")
    img = Image.new("RGB", (1200, 1600), "white")
    draw = ImageDraw.Draw(img)
    y = 40
    while y < 1520:
        size = rng.choice((18, 22, 26, 32, 40))
        font = ImageFont.truetype(rng.choice(fonts), size)
        words = [rng.choice(WORDS) if rng.random() < 0.75 else f"{rng.uniform(0, 9999):.2f}" for _ in range(8)]
        text = " ".join(words[: rng.randint(2, 8)])
        grey = rng.randint(0, 90)
        draw.text((rng.randint(30, 300), y), text, font=font, fill=(grey, grey, grey))
        y += int(size * rng.uniform(1.5, 2.5))
    return np.asarray(img)


def line_crops(pages: list[np.ndarray], det_spec: object, limit: int = 300) -> list[np.ndarray]:
    """Axis-aligned crops of the lines the float detector finds on the pages (for the recognizer's and the
    classifier's statistics)."""
    from scriba.models.detection.db import TextDetector

    det = TextDetector(det_spec)  # type: ignore[arg-type]
    crops = []
    for page in pages:
        for quad in det(page).boxes:
            x0, y0 = np.floor(quad.min(axis=0)).astype(int)
            x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
            crop = page[max(y0, 0) : y1, max(x0, 0) : x1]
            if crop.shape[0] >= 4 and crop.shape[1] >= 4:
                crops.append(crop)
    return crops[:limit]


def rec_input(crop: np.ndarray, height: int, min_width: int, max_width: int) -> np.ndarray:
    """One crop as the recognizer reads it alone: height H, BGR, (x/255-0.5)/0.5, right zero padding."""
    w = min(max(math.ceil(height * crop.shape[1] / max(crop.shape[0], 1)), 1), max_width)
    resized = cv2.resize(crop, (w, height))
    x = np.zeros((1, 3, height, max(w, min_width)), np.float32)
    x[0, :, :, :w] = (resized[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0 - 0.5) / 0.5
    return x


def input_energy(path: str, inputs: list[np.ndarray], weights: dict[str, str]) -> dict[str, np.ndarray]:
    """E[x^2] per input channel (Conv: axis 1; MatMul/Gemm: the last axis) of the node reading each weight.
    `weights` maps weight name -> the name of that node's data input."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(path)
    graph_inputs = {i.name for i in model.graph.input}
    known = {o.name for o in model.graph.output} | graph_inputs  # a graph input is read from the feed
    for tensor in sorted(set(weights.values()) - known):
        model.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    feed_name = sess.get_inputs()[0].name
    wanted = set(weights.values())
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for x in inputs:
        values = dict(zip(names, sess.run(names, {feed_name: x})))
        values[feed_name] = x
        for name in wanted & values.keys():
            v = np.asarray(values[name], np.float64)
            flat = v.transpose(0, 2, 3, 1).reshape(-1, v.shape[1]) if v.ndim == 4 else v.reshape(-1, v.shape[-1])
            sums[name] = sums.get(name, 0) + (flat**2).sum(axis=0)
            counts[name] = counts.get(name, 0) + flat.shape[0]
    return {w: sums[t] / counts[t] for w, t in weights.items() if t in sums}


def importance(energy: np.ndarray | None, shape: tuple[int, ...], transposed: bool, rows: int) -> np.ndarray:
    """Per weight of the rows x row_len layout: E[x_j^2] of the input it multiplies, as a share of the mean
    (floored at 1% of it, so no weight is free to take any value); ones when unknown."""
    n = int(np.prod(shape)) // rows
    if energy is None:
        return np.ones((rows, n), np.float32)
    if transposed:
        per = energy if energy.size == n else None
    else:  # Conv (O, I, kh, kw): row = (i, kh, kw)
        per = np.repeat(energy, n // energy.size) if shape[1] == energy.size else None
    if per is None:  # grouped convolutions and the like: no per-row mapping here
        return np.ones((rows, n), np.float32)
    per = per / max(per.mean(), 1e-30)
    return np.broadcast_to(np.maximum(per, 0.01).astype(np.float32), (rows, n))
