"""SLANet-plus table structure recognition: a table image -> HTML structure tokens and one box per cell.

Preprocessing as PaddleOCR's table pipeline: the longest side resized to 488 (bilinear, sizes truncated),
ImageNet mean/std on 0-1 pixels, zero padding at the right and bottom to 488 x 488. Channels go in as BGR, as
the model was trained (PaddleOCR's SLANet configs decode images with `img_mode: BGR`). On the 40 PubTabNet
example tables, which are grey, RGB and BGR give the same tokens but for one table whose decoding flips on the
last-bit differences between the two inputs (TEDS-S 0.980 with RGB, 0.976 with BGR).

The model runs its own decoding loop and gives, per step, a box (4 corners x, y, normalized to the padded
input) and the probabilities of 50 tokens: `sos`, the 48 structure tokens of PaddleOCR's
`table_structure_dict(_ch).txt` with `<td>` merged into `<td></td>` (merge_no_span_structure), and `eos`.
A cell is `<td></td>`, or `<td` + span attributes + `>` + `</td>`; each cell's box is the step that gave
its `<td...` token. On PubTabNet tables the boxes enclose the cell's content (as PubTabNet's cell boxes
do); on tables drawn here they covered most of the cell.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from scriba.models.registry import TableModelSpec, get_table_model
from scriba.models.runtime import RuntimeOptions, get_session, per_page_run_options

STRUCTURE_TOKENS: tuple[str, ...] = (
    "sos",
    "<thead>",
    "</thead>",
    "<tbody>",
    "</tbody>",
    "<tr>",
    "</tr>",
    "<td",
    ">",
    "</td>",
    *(f' colspan="{k}"' for k in range(2, 21)),
    *(f' rowspan="{k}"' for k in range(2, 21)),
    "<td></td>",
    "eos",
)
CELL_TOKENS = ("<td", "<td></td>")
SOS, EOS = 0, len(STRUCTURE_TOKENS) - 1


@dataclass
class TablePrediction:
    tokens: list[str]  # structure tokens between sos and eos
    boxes: np.ndarray  # K x 4: x0, y0, x1, y1 of each cell (one per `<td` / `<td></td>`), input image pixels
    corners: np.ndarray  # K x 4 x 2: the four corners as predicted
    score: float  # mean probability of the chosen tokens


class SLANetPlus:
    """`SLANetPlus()(rgb_table_image)` -> TablePrediction. The Paddle program is converted to ONNX on first use
    (scriba.models.table.convert); PaddlePaddle is never needed."""

    def __init__(
        self, spec: TableModelSpec | str = "slanet-plus", runtime: RuntimeOptions | None = None
    ) -> None:
        from scriba.models.table.convert import converted_model

        self.spec = get_table_model(spec) if isinstance(spec, str) else spec
        path = converted_model(self.spec)
        # Graph rewrites for PP-LCNet recognizers do not apply here.
        self.session = get_session(path, replace(runtime or RuntimeOptions(), fold_affine=False))
        self.input_name = self.session.get_inputs()[0].name
        self.mean = np.array(self.spec.mean, dtype=np.float32)
        self.std = np.array(self.spec.std, dtype=np.float32)

    def preprocess(self, rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """1 x 3 x S x S input and the resize ratio (input pixels per image pixel)."""
        if rgb.ndim == 2:
            rgb = cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB)
        size = self.spec.input_size
        h, w = rgb.shape[:2]
        ratio = size / max(h, w, 1)
        rw, rh = max(1, min(size, int(w * ratio))), max(1, min(size, int(h * ratio)))
        bgr = np.ascontiguousarray(rgb[:, :, 2::-1])
        resized = cv2.resize(bgr, (rw, rh), interpolation=cv2.INTER_LINEAR)
        x = np.zeros((size, size, 3), dtype=np.float32)
        x[:rh, :rw] = (resized.astype(np.float32) / 255.0 - self.mean) / self.std
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None]), ratio

    def __call__(self, rgb: np.ndarray) -> TablePrediction:
        x, ratio = self.preprocess(rgb)
        box_out, prob_out = self.session.run(None, {self.input_name: x}, per_page_run_options())
        return decode(prob_out[0], box_out[0], self.spec.input_size / ratio, rgb.shape[1], rgb.shape[0])


def decode(probs: np.ndarray, boxes: np.ndarray, scale: float, width: int, height: int) -> TablePrediction:
    """Tokens up to the first `eos` after step 0 (sos and eos themselves left out); cell boxes (normalized to the
    padded input) times `scale` = image pixels per normalized unit, clipped to the image."""
    ids = probs.argmax(axis=1)
    tokens: list[str] = []
    corners: list[np.ndarray] = []
    scores: list[float] = []
    for step, k in enumerate(ids):
        if k == EOS and step > 0:
            break
        if k in (SOS, EOS):
            continue
        tok = STRUCTURE_TOKENS[k]
        tokens.append(tok)
        scores.append(float(probs[step, k]))
        if tok in CELL_TOKENS:
            c = boxes[step].reshape(4, 2).astype(np.float64) * scale
            c[:, 0] = c[:, 0].clip(0, width)
            c[:, 1] = c[:, 1].clip(0, height)
            corners.append(c)
    quad = np.array(corners, dtype=np.float64).reshape(-1, 4, 2)
    rect = np.concatenate([quad.min(axis=1), quad.max(axis=1)], axis=1) if len(quad) else np.zeros((0, 4))
    return TablePrediction(tokens, rect, quad, float(np.mean(scores)) if scores else 0.0)
