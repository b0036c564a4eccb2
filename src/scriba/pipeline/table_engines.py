"""Table engines: the rule/alignment recognizer of `tables.py`, the SLANet-plus model, or a choice between them.

SLANet-plus gives the HTML structure and a box per cell; the OCR words are then put in the cells:
each word goes to the cell its box overlaps most (IoU), ties and words outside every cell to the cell whose
corners are nearest (PaddleOCR's table matcher does the same with whole text lines; words keep two cells that
one detected line runs across apart). The result fills the same TableStructure/Cell types as the rules do.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from scriba.errors import ModelError
from scriba.pipeline.tables import (
    Box,
    Cell,
    TableStructure,
    TableWord,
    _join,
    is_currency_sign,
    recognize_table,
)

log = logging.getLogger(__name__)

TABLE_ENGINES = ("auto", "slanet", "rules")


def structure_from_tokens(tokens: list[str], boxes: np.ndarray) -> TableStructure:
    """Cells on a grid from HTML structure tokens (`<tr>`, `<td></td>`, `<td` ` colspan="2"` `>` `</td>`, ...),
    one box per cell in token order. Rows without cells are dropped; the rows inside `<thead>` are the header."""
    rows: list[list[list[Any]]] = []  # per row: [rowspan, colspan, box]
    in_head: list[bool] = []
    head = opened = False
    k = 0
    for tok in tokens:
        if tok in ("<thead>", "</thead>"):
            head = tok == "<thead>"
        elif tok == "<tr>":
            rows.append([])
            in_head.append(head)
        elif tok in ("<td", "<td></td>"):
            if not rows:
                rows.append([])
                in_head.append(head)
            box = tuple(float(v) for v in boxes[k]) if k < len(boxes) else (0.0, 0.0, 0.0, 0.0)
            k += 1
            rows[-1].append([1, 1, box])
            opened = tok == "<td"
        elif opened and tok.startswith((" colspan=", " rowspan=")):
            span = int(tok.split('"')[1])
            rows[-1][-1][0 if tok.startswith(" rowspan=") else 1] = span
        elif tok in (">", "</td>"):
            opened = False
    kept = [(cells, h) for cells, h in zip(rows, in_head) if cells]
    header = 0
    while header < len(kept) and kept[header][1]:
        header += 1
    n_rows = len(kept)
    occupied: set[tuple[int, int]] = set()
    out: list[Cell] = []
    for r, (cells, _) in enumerate(kept):
        c = 0
        for rowspan, colspan, box in cells:
            while (r, c) in occupied:
                c += 1
            rowspan = min(rowspan, n_rows - r)
            out.append(Cell(r, c, rowspan, colspan, "", box))
            occupied.update((rr, cc) for rr in range(r, r + rowspan) for cc in range(c, c + colspan))
            c += colspan
    n_cols = max((c.col + c.colspan for c in out), default=0)
    for r in range(n_rows):  # a short row gets empty cells, so every grid position is covered
        for c in range(n_cols):
            if (r, c) not in occupied:
                out.append(Cell(r, c))
    out.sort(key=lambda c: (c.row, c.col))
    return TableStructure(n_rows, n_cols, out, header, "slanet")


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of each box in a (N x 4) with each in b (M x 4): N x M."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def _corner_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum of the distances of both corners plus the nearer of the two (N x M), as PaddleOCR's matcher."""
    top = np.abs(a[:, None, 0] - b[None, :, 0]) + np.abs(a[:, None, 1] - b[None, :, 1])
    bottom = np.abs(a[:, None, 2] - b[None, :, 2]) + np.abs(a[:, None, 3] - b[None, :, 3])
    return top + bottom + np.minimum(top, bottom)


def match_words(words: list[TableWord], cell_boxes: list[Box]) -> list[int]:
    """For each word, the index of its cell: highest IoU, then nearest corners."""
    if not words or not cell_boxes:
        return [-1] * len(words)
    w = np.array([x.box for x in words], dtype=np.float64)
    c = np.array(cell_boxes, dtype=np.float64)
    iou = _iou(w, c)
    dist = _corner_distance(w, c)
    # lexicographic (IoU first, then distance): IoU rounded so that near-equal overlaps fall to the distance
    return [int(np.lexsort((dist[i], -np.round(iou[i], 3)))[0]) for i in range(len(words))]


def _currency_with_amount(words: list[TableWord], owner: list[int]) -> list[int]:
    """A currency sign set apart at the left of an amount ('$      178') goes to the amount's cell: the model's
    cell boxes often end before it, and it would join the amount of the column to its left."""
    out = list(owner)
    for i, w in enumerate(words):
        if not is_currency_sign(w.text):
            continue
        h = max(w.box[3] - w.box[1], 1.0)
        right = [
            j
            for j, v in enumerate(words)
            if j != i
            and w.box[2] - 0.2 * h <= v.box[0] <= w.box[2] + 8 * h
            and min(w.box[3], v.box[3]) - max(w.box[1], v.box[1]) > 0.5 * min(h, v.box[3] - v.box[1])
            and any(ch.isdigit() for ch in v.text)
        ]
        if right:
            out[i] = owner[min(right, key=lambda j: words[j].box[0])]
    return out


def slanet_table(
    prediction: Any, box: Box, words: list[TableWord], scale: tuple[float, float]
) -> TableStructure:
    """TableStructure (page pixels) from a SLANet-plus prediction on the image of `box`, rendered at `scale`
    (image pixels per page pixel, x and y), with the words' text in its cells."""
    return _slanet_read(prediction, box, words, scale)[0]


def _slanet_read(
    prediction: Any, box: Box, words: list[TableWord], scale: tuple[float, float]
) -> tuple[TableStructure, list[list[TableWord]]]:
    """`slanet_table`, and the words put in each cell."""
    x0, y0 = float(box[0]), float(box[1])
    sx, sy = scale
    page_boxes = [(b[0] / sx + x0, b[1] / sy + y0, b[2] / sx + x0, b[3] / sy + y0) for b in prediction.boxes]
    table = structure_from_tokens(prediction.tokens, np.array(page_boxes).reshape(-1, 4))
    predicted = [c for c in table.cells if c.box != (0.0, 0.0, 0.0, 0.0)]
    members = _members(table, words)
    for k, ws in members.items():
        predicted[k].text = _join(ws)
    return table, list(members.values())


def _members(table: TableStructure, words: list[TableWord]) -> dict[int, list[TableWord]]:
    """The words of each cell the model gave a box (by index among those cells)."""
    predicted = [c for c in table.cells if c.box != (0.0, 0.0, 0.0, 0.0)]
    owner = _currency_with_amount(words, match_words(words, [c.box for c in predicted]))
    members: dict[int, list[TableWord]] = {}
    for word, k in zip(words, owner):
        if k >= 0:
            members.setdefault(k, []).append(word)
    return members


def splits_columns(table: TableStructure, words: list[TableWord]) -> bool:
    """Whether some cell of `table` was given words of one text line that stand far apart (a gap of more than
    three word heights, nothing between them): columns of figures the model merged into one cell. Words are
    put in cells as `slanet_table` puts them; a gap inside a real cell is a space."""
    return _far_apart(list(_members(table, words).values()), words)


def _far_apart(cells: list[list[TableWord]], words: list[TableWord]) -> bool:
    """`splits_columns` on the words of each cell."""
    if not words:
        return False
    heights = sorted(w.box[3] - w.box[1] for w in words)
    h = max(heights[len(heights) // 2], 1.0)
    for ws in cells:
        # A currency sign set apart at the left of its amount ('$      178') belongs to it.
        boxes = sorted((w.box for w in ws if not is_currency_sign(w.text)), key=lambda b: b[0])
        for i, a in enumerate(boxes):
            # the next word to the right on the same line
            right = [b for b in boxes[i + 1 :] if min(a[3], b[3]) - max(a[1], b[1]) > 0.5 * min(a[3] - a[1], b[3] - b[1])]
            if right and min(b[0] for b in right) - a[2] > 3 * h:
                return True
    return False


class TableRecognizer:
    """`TableRecognizer(engine)(crop, box, words) -> TableStructure`, the engines of TABLE_ENGINES:
    'rules' ruling lines or word alignment (tables.recognize_table); 'slanet' the SLANet-plus model;
    'auto' the rules where they find a drawn grid, SLANet-plus elsewhere (and the rules alone when the model
    cannot be loaded, with one warning)."""

    def __init__(self, engine: str = "auto", runtime: Any = None) -> None:
        if engine not in TABLE_ENGINES:
            raise ValueError(f"table engine must be one of {', '.join(TABLE_ENGINES)}, not {engine!r}")
        self.engine = engine
        self.runtime = runtime
        self._model: Any = None
        self._unavailable = False

    @property
    def model(self) -> Any:
        if self._model is None and not self._unavailable:
            from scriba.models.table.slanet import SLANetPlus

            try:
                self._model = SLANetPlus(runtime=self.runtime)
            except ModelError as exc:
                if self.engine == "slanet":
                    raise
                self._unavailable = True
                log.warning("table model unavailable, using ruling lines and word alignment: %s", exc)
        return self._model

    def __call__(self, crop: np.ndarray | None, box: Box, words: list[TableWord]) -> TableStructure:
        if self.engine == "rules" or crop is None or not crop.size or min(crop.shape[:2]) < 10:
            return recognize_table(crop, box, words)
        scale = (crop.shape[1] / max(box[2] - box[0], 1e-6), crop.shape[0] / max(box[3] - box[1], 1e-6))
        if self.engine == "slanet":
            return slanet_table(self.model(crop), box, words, scale)
        ruled = recognize_table(crop, box, words)
        if ruled.method == "ruled" or self.model is None:
            return ruled
        try:
            table, cells = _slanet_read(self.model(crop), box, words, scale)
        except Exception as exc:  # noqa: BLE001 - one table the model cannot read keeps the rules' reading
            log.warning("table model failed on a %dx%d table, using the rules: %s", *crop.shape[1::-1], exc)
            return ruled
        # The model sometimes merges whitespace-separated columns of an unruled table (its reading shifts with
        # the crop's margin); the words' alignment keeps them apart there.
        if ruled.n_cols > table.n_cols and _far_apart(cells, words):
            return ruled
        return table
