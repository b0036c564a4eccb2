"""Page layout regions with the PP-Layout PicoDet model trained on CDLA (10 region classes).

The ONNX graph ends before box decoding: per stride (8, 16, 32, 64) it gives a score map (cells x classes,
already sigmoid-activated) and a GFL box distribution (cells x 4 sides x 8 bins). We decode the expected
distance of each side from the cell centre, then run class-wise NMS, in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from scriba.models.registry import AUXILIARY, ModelFile, resolve_file
from scriba.models.runtime import RuntimeOptions, get_session, model_metadata, per_page_run_options

CDLA_CLASSES = (
    "text",
    "title",
    "figure",
    "figure_caption",
    "table",
    "table_caption",
    "header",
    "footer",
    "reference",
    "equation",
)

# Per-class score thresholds, tuned by looking at overlays of real pages (docling and olmOCR samples):
# text regions are plentiful and reliable; rarer classes need a lower bar to be found at all. Tables are reported
# from 0.25: the parser keeps one under 0.4 only where its words are set as a table (layout_order.confirm_tables).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "text": 0.4,
    "title": 0.35,
    "figure": 0.4,
    "figure_caption": 0.35,
    "table": 0.25,
    "table_caption": 0.35,
    "header": 0.35,
    "footer": 0.35,
    "reference": 0.4,
    "equation": 0.35,
}

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
STRIDES = (8, 16, 32, 64)


@dataclass
class LayoutRegion:
    kind: str
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in page pixels


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Greedy non-maximum suppression; returns kept indices, best first."""
    order = np.argsort(-scores)
    areas = (boxes[:, 2] - boxes[:, 0]).clip(0) * (boxes[:, 3] - boxes[:, 1]).clip(0)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        ix0 = np.maximum(boxes[i, 0], boxes[rest, 0])
        iy0 = np.maximum(boxes[i, 1], boxes[rest, 1])
        ix1 = np.minimum(boxes[i, 2], boxes[rest, 2])
        iy1 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = (ix1 - ix0).clip(0) * (iy1 - iy0).clip(0)
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-6)
        order = rest[iou <= iou_threshold]
    return keep


def page_canvas(rgb: np.ndarray, aspect: float, max_stretch: float) -> tuple[np.ndarray, int, int]:
    """The image on a white canvas whose width/height ratio is within `max_stretch` of `aspect` (the model's
    input), centred; returns the canvas and the image's offset in it. Pages (A4, Letter) come back unchanged;
    a wide crop (a table alone, a banner) or a tall strip gets margins instead of being stretched out of shape
    (a 500 x 50 table stretched to 608 x 800 is 16 times taller than wide-set text, and the model calls it a
    figure or a title)."""
    h, w = rgb.shape[:2]
    ratio = (w / max(h, 1)) / aspect
    if 1 / max_stretch <= ratio <= max_stretch:
        return rgb, 0, 0
    if ratio > max_stretch:  # too wide: add height
        cw, ch = w, round(w / (aspect * max_stretch))
    else:  # too tall: add width
        cw, ch = round(h * aspect / max_stretch), h
    canvas = np.full((ch, cw, 3), 255, dtype=np.uint8)
    x0, y0 = (cw - w) // 2, (ch - h) // 2
    canvas[y0 : y0 + h, x0 : x0 + w] = rgb[:, :, :3]
    return canvas, x0, y0


class LayoutDetector:
    """`LayoutDetector()(rgb_page)` -> list of LayoutRegion in page pixel coordinates.

    max_stretch: how far the image's aspect ratio may be stretched to the model's input (800 x 608) before it is
    padded instead (see `page_canvas`); measured on the PubTabNet table crops, 1.25 to 1.5 find the most tables
    (37 of 40, against 19 when every image is stretched), while A4 and Letter pages are never padded."""

    def __init__(
        self,
        file: ModelFile | None = None,
        runtime: RuntimeOptions | None = None,
        thresholds: dict[str, float] | None = None,
        iou_threshold: float = 0.5,
        candidates_per_level: int = 1000,
        max_stretch: float = 1.5,
    ) -> None:
        path = resolve_file(file or AUXILIARY["layout-cdla"])
        self.session = get_session(path, runtime)
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.height, self.width = int(inp.shape[2]), int(inp.shape[3])
        names = model_metadata(path).get("character", "")
        self.classes = tuple(x for x in names.split("\n") if x) or CDLA_CLASSES
        self.thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
        self.iou_threshold = iou_threshold
        self.candidates_per_level = candidates_per_level
        self.max_stretch = max_stretch
        outputs = self.session.get_outputs()
        half = len(outputs) // 2
        self.score_names = [o.name for o in outputs[:half]]
        self.box_names = [o.name for o in outputs[half:]]
        self.bins = int(outputs[half].shape[-1]) // 4

    def preprocess(self, rgb: np.ndarray) -> np.ndarray:
        """Stretch to the fixed input size (no letterbox, as trained), BGR channel order, ImageNet statistics.
        Written plane by plane into the 1 x 3 x H x W input: the same float32 operations as
        `(bgr / 255 - mean) / std`, a fifth of the time of that expression and a transposed copy."""
        resized = cv2.resize(rgb, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        x = np.empty((1, 3, self.height, self.width), dtype=np.float32)
        for c in range(3):  # the model's channel c is the image's channel 2 - c
            plane = x[0, c]
            np.divide(resized[:, :, 2 - c], np.float32(255.0), out=plane, dtype=np.float32)
            plane -= MEAN[2 - c]
            plane /= STD[2 - c]
        return x

    def __call__(self, rgb: np.ndarray) -> list[LayoutRegion]:
        h, w = rgb.shape[:2]
        canvas, ox, oy = page_canvas(rgb, self.width / self.height, self.max_stretch)
        ch, cw = canvas.shape[:2]
        outs = self.session.run(
            self.score_names + self.box_names, {self.input_name: self.preprocess(canvas)}, per_page_run_options()
        )
        n = len(self.score_names)
        boxes, scores = self.decode(outs[:n], outs[n:])
        boxes[:, [0, 2]] = boxes[:, [0, 2]] * (cw / self.width) - ox
        boxes[:, [1, 3]] = boxes[:, [1, 3]] * (ch / self.height) - oy
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        regions: list[LayoutRegion] = []
        for c, name in enumerate(self.classes):
            mask = scores[:, c] > self.thresholds.get(name, 0.4)
            if not mask.any():
                continue
            cb, cs = boxes[mask], scores[mask, c]
            for i in nms(cb, cs, self.iou_threshold):
                x0, y0, x1, y1 = (float(v) for v in cb[i])
                if x1 - x0 >= 2 and y1 - y0 >= 2:
                    regions.append(LayoutRegion(name, float(cs[i]), (x0, y0, x1, y1)))
        return regions

    def decode(
        self, score_maps: list[np.ndarray], box_maps: list[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cell centres + expected side distances -> boxes (x0, y0, x1, y1) in input pixels, with scores."""
        all_boxes, all_scores = [], []
        bins = np.arange(self.bins, dtype=np.float32)
        for stride, score, dist in zip(STRIDES, score_maps, box_maps):
            score, dist = score[0], dist[0]
            rows = -(-self.height // stride)
            cols = -(-self.width // stride)
            cy, cx = np.meshgrid(
                (np.arange(rows) + 0.5) * stride, (np.arange(cols) + 0.5) * stride, indexing="ij"
            )
            centres = np.stack([cx.ravel(), cy.ravel()], axis=1).astype(np.float32)
            top = np.argsort(-score.max(axis=1))[: self.candidates_per_level]
            logits = dist[top].reshape(-1, 4, self.bins)
            logits = logits - logits.max(axis=2, keepdims=True)
            prob = np.exp(logits)
            prob /= prob.sum(axis=2, keepdims=True)
            d = (prob * bins).sum(axis=2) * stride  # left, top, right, bottom
            c = centres[top]
            all_boxes.append(
                np.stack([c[:, 0] - d[:, 0], c[:, 1] - d[:, 1], c[:, 0] + d[:, 2], c[:, 1] + d[:, 3]], 1)
            )
            all_scores.append(score[top])
        return np.concatenate(all_boxes), np.concatenate(all_scores)
