"""Seals (coloured stamps, text along arcs) on OCR'd pages -> blocks of kind "seal"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scriba.document import Block
from scriba.models.runtime import RuntimeOptions
from scriba.pipeline.stages.base import PageContext, Stage


class SealStage(Stage):
    """A page-level stage: finds seals in the page image and adds their blocks (the page's own misreadings of
    a seal's arcs are dropped; see SealReader.add_to_page). Text-layer pages have no image and are skipped."""

    name = "seals"
    kinds = ()

    def __init__(self, ocr: Callable[[], Any], runtime: RuntimeOptions) -> None:
        self._ocr = ocr  # the parser's OCR engine, made on first use
        self.runtime = runtime
        self._reader: Any = None

    def __call__(self, ctx: PageContext, blocks: list[Block]) -> None:
        if ctx.image is None or not ctx.ocr_read:
            return
        if self._reader is None:
            from scriba.pipeline.seal import SealReader

            self._reader = SealReader(self._ocr(), self.runtime)
        self._reader.add_to_page(ctx.image, ctx.page)
