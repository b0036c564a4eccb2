"""Formula blocks -> LaTeX: from the formula recognizer when one is chosen and confident, else (by default)
from the text read inside the formula and its glyphs' positions (`scriba.formula.from_ocr`); otherwise
`latex` stays None and the crop and text are kept."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from scriba.block_types import BlockKind, FormulaData
from scriba.document import Block, Line, bbox_of, polygon_of_bbox
from scriba.pipeline.display_math import TAG, names_no_math, reads_as_prose
from scriba.pipeline.parse_options import FormulaOptions
from scriba.pipeline.reading_order import Box, box_union
from scriba.pipeline.stages.base import PageContext, Stage


def merged_rows(boxes: list[Box]) -> list[tuple[Box, list[int]]]:
    """Line boxes that overlap (a text layer gives "e +" and the exponent "iπ" over it as two lines) joined
    into one, so that no glyph is read twice; lines apart stay apart. Each row with the indices of its lines."""
    out = [(b, [k]) for k, b in enumerate(boxes)]
    joined = True
    while joined:
        joined = False
        for i, j in itertools.combinations(range(len(out)), 2):
            (a, ma), (b, mb) = out[i], out[j]
            v = min(a[3], b[3]) - max(a[1], b[1])
            # Over half the taller one's height: an integral's limits, within its sign's height, stay apart.
            if v > 0.5 * max(a[3] - a[1], b[3] - b[1]) and min(a[2], b[2]) > max(a[0], b[0]):
                out[i] = (box_union(a, b), ma + mb)
                del out[j]
                joined = True
                break
    return out


def _without_number(lines: list[Line]) -> tuple[list[Line], str]:
    """The formula's lines without its equation number ("(2)" set off right of them) and the number's text."""
    tags = [x for x in lines if TAG.match(x.text.strip())]
    body = [x for x in lines if not TAG.match(x.text.strip())]
    if len(tags) != 1 or not body:
        return lines, ""
    if bbox_of(tags[0].polygon)[0] <= max(bbox_of(x.polygon)[2] for x in body):
        return lines, ""
    return body, tags[0].text.strip()[1:-1].strip()


class FormulaStage(Stage):
    name = "formulas"
    kinds = (BlockKind.FORMULA,)

    def __init__(
        self, options: FormulaOptions, threads: int = 0, ocr: Callable[[], Any] | None = None
    ) -> None:
        self.options = options
        self.threads = threads
        self._ocr = ocr  # the parser's OCR engine, made on first use (its recognizer reads formulas' lines)
        self._recognizer: Any = None

    @property
    def recognizer(self) -> Any:
        if self._recognizer is None and self.options.model:
            from scriba.formula.recognizer import FormulaRecognizer

            self._recognizer = FormulaRecognizer.named(
                self.options.model, threshold=self.options.threshold, threads=self.threads
            )
        return self._recognizer

    def __call__(self, ctx: PageContext, blocks: list[Block]) -> None:
        for block in blocks:
            block.payload(FormulaData)  # latex None until read
        if self.options.model:
            from scriba.formula.blocks import fill_formulas

            fill_formulas(blocks, ctx.crop, self.recognizer)
        if self.options.from_text and self._ocr is not None:
            for block in blocks:
                data = block.payload(FormulaData)
                if data.latex is not None or not block.lines:
                    continue
                text = " ".join(line.text for line in block.lines)
                if reads_as_prose(text) or names_no_math(text):
                    data.latex_status = data.latex_status or "reads as prose: text kept"
                    continue
                self._from_text(ctx, block)
        for block in blocks:
            # A formula found from its text (the layout model saw none) that gave no LaTeX is what it was read
            # as: text. Without LaTeX from text (switched off) it is text too.
            if block.attributes.get("found_by") == "text" and block.payload(FormulaData).latex is None:
                block.kind, block.data = BlockKind.TEXT, None
                del block.attributes["found_by"]

    def _from_text(self, ctx: PageContext, block: Block) -> None:
        """LaTeX from the block's text lines, read again in a crop of the formula for their glyphs' places."""
        from scriba.formula.from_ocr import read_crop

        lines, tag = _without_number(block.lines)
        # With its number set off at the margin, the crop holds the formula alone (the gap between them is no
        # part of it) and the number comes back as the tag.
        outline = list(block.polygon) if len(lines) == len(block.lines) else []
        x0, y0, x1, y1 = bbox_of([p for line in lines for p in line.polygon] + outline)
        m = 0.1 * max(y1 - y0, 1.0)
        # A formula found from its text is only as large as the lines read in it: a big sign the detector left out
        # (an integral beside its line, with its limits) lies just outside, and its ink is read there.
        found = block.attributes.get("found_by") == "text"
        mx, my = (1.5 * (y1 - y0), 0.5 * (y1 - y0)) if found else (m, m)
        box = (max(x0 - mx, 0.0), max(y0 - my, 0.0), x1 + mx, y1 + my)
        image = ctx.crop(box)
        if not image.size:
            return
        sx = image.shape[1] / max(box[2] - box[0], 1.0)  # a text-layer page renders the crop at its own scale
        sy = image.shape[0] / max(box[3] - box[1], 1.0)
        rows = merged_rows([bbox_of(line.polygon) for line in lines])
        quads = [(np.array(polygon_of_bbox(*b), dtype=np.float64) - box[:2]) * (sx, sy) for b, _ in rows]
        own = {id(line) for line in block.lines}
        others = []  # the page's other text lines reaching into the crop: their ink is not the formula's
        for line in (ln for b in ctx.blocks for ln in b.lines if id(ln) not in own):
            lx0, ly0, lx1, ly1 = bbox_of(line.polygon)
            if lx0 < box[2] and lx1 > box[0] and ly0 < box[3] and ly1 > box[1]:
                others.append(
                    ((lx0 - box[0]) * sx, (ly0 - box[1]) * sy, (lx1 - box[0]) * sx, (ly1 - box[1]) * sy)
                )
        # On a text-layer page the block's lines hold the formula's own characters: OCR reads the crop for
        # their positions, and the characters are the text layer's (a row of one line: its text; any row:
        # the letters' case).
        known: list[str | None] = []
        charset = None
        if not ctx.ocr_read:
            known = [lines[members[0]].text if len(members) == 1 else None for _, members in rows]
            charset = "".join(line.text for line in lines)
        result = read_crop(image, quads, self._ocr().recognizer, others, known, charset)
        data = block.payload(FormulaData)
        if result is None:
            data.latex_status = data.latex_status or "no LaTeX from text: crop kept"
            return
        if result.confidence < self.options.text_threshold:
            data.latex_status = data.latex_status or "low-confidence text: crop kept"
            return
        latex = result.latex if not tag or "\\tag" in result.latex else f"{result.latex} \\tag{{{tag}}}"
        data.latex, data.latex_confidence = latex, round(result.confidence, 4)
        data.latex_status = "from-text"
