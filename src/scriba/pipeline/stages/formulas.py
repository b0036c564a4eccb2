"""Formula blocks -> LaTeX, when a formula recognizer is chosen and confident (else `latex` stays None and
the crop and text are kept)."""

from __future__ import annotations

from typing import Any

from scriba.block_types import BlockKind, FormulaData
from scriba.document import Block
from scriba.pipeline.parse_options import FormulaOptions
from scriba.pipeline.stages.base import PageContext, Stage


class FormulaStage(Stage):
    name = "formulas"
    kinds = (BlockKind.FORMULA,)

    def __init__(self, options: FormulaOptions, threads: int = 0) -> None:
        self.options = options
        self.threads = threads
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
        if not self.options.model:
            return
        from scriba.formula.blocks import fill_formulas

        fill_formulas(blocks, ctx.crop, self.recognizer)
