"""Formula blocks -> LaTeX: from the formula recognizer when one is chosen and confident, else (by default)
from the text read inside the formula and its glyphs' positions (`scriba.formula.from_ocr`); otherwise
`latex` stays None and the crop and text are kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from scriba.block_types import BlockKind, FormulaData
from scriba.document import Block, bbox_of
from scriba.pipeline.parse_options import FormulaOptions
from scriba.pipeline.stages.base import PageContext, Stage

_WORD = re.compile(r"[^\W\d_]{3,}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_MATH_WORDS = {"sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "lim", "max", "min", "sup", "inf", "det",
               "dim", "ker", "arg", "gcd", "deg", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan", "mod"}  # fmt: skip


def reads_as_prose(text: str) -> bool:
    """A region the layout model took for a formula that holds a sentence (CJK text, or four words of three
    letters or more that are not function names): its text is worth more than a LaTeX guess."""
    if _CJK.search(text):
        return True
    return sum(w.lower() not in _MATH_WORDS for w in _WORD.findall(text)) >= 4


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
                if reads_as_prose(" ".join(line.text for line in block.lines)):
                    data.latex_status = data.latex_status or "reads as prose: text kept"
                    continue
                self._from_text(ctx, block)

    def _from_text(self, ctx: PageContext, block: Block) -> None:
        """LaTeX from the block's text lines, read again in a crop of the formula for their glyphs' places."""
        from scriba.formula.from_ocr import read_crop

        x0, y0, x1, y1 = bbox_of([p for line in block.lines for p in line.polygon] + list(block.polygon))
        m = 0.1 * max(y1 - y0, 1.0)
        box = (max(x0 - m, 0.0), max(y0 - m, 0.0), x1 + m, y1 + m)
        image = ctx.crop(box)
        if not image.size:
            return
        sx = image.shape[1] / max(box[2] - box[0], 1.0)  # a text-layer page renders the crop at its own scale
        sy = image.shape[0] / max(box[3] - box[1], 1.0)
        quads = [(np.array(line.polygon, dtype=np.float64) - box[:2]) * (sx, sy) for line in block.lines]
        own = {id(line) for line in block.lines}
        others = []  # the page's other text lines reaching into the crop: their ink is not the formula's
        for line in (ln for b in ctx.blocks for ln in b.lines if id(ln) not in own):
            lx0, ly0, lx1, ly1 = bbox_of(line.polygon)
            if lx0 < box[2] and lx1 > box[0] and ly0 < box[3] and ly1 > box[1]:
                others.append(
                    ((lx0 - box[0]) * sx, (ly0 - box[1]) * sy, (lx1 - box[0]) * sx, (ly1 - box[1]) * sy)
                )
        result = read_crop(image, quads, self._ocr().recognizer, others)
        data = block.payload(FormulaData)
        if result is None:
            data.latex_status = data.latex_status or "no LaTeX from text: crop kept"
            return
        if result.confidence < self.options.text_threshold:
            data.latex_status = data.latex_status or "low-confidence text: crop kept"
            return
        data.latex, data.latex_confidence = result.latex, round(result.confidence, 4)
        data.latex_status = "from-text"
