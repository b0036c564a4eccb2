"""The parser's stages, run in order on each assembled page (see base.Stage)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scriba.models.runtime import RuntimeOptions
from scriba.pipeline.parse_options import ParseOptions
from scriba.pipeline.stages.base import PageContext, Stage
from scriba.pipeline.stages.crops import CropStage
from scriba.pipeline.stages.formulas import FormulaStage
from scriba.pipeline.stages.seals import SealStage
from scriba.pipeline.stages.tables import TableStage


def default_stages(options: ParseOptions, runtime: RuntimeOptions, ocr: Callable[[], Any]) -> list[Stage]:
    """The stages `options` asks for, in the order they run: tables, formulas (which turn a formula found from
    its text that they cannot read back into text), crops of the figures and formulas, seals (which add blocks of
    their own)."""
    stages: list[Stage] = []
    if options.table.enabled:
        stages.append(TableStage(options.table, runtime))
    stages.append(FormulaStage(options.formula, options.threads, ocr))
    stages.append(CropStage(options.figures_dir))
    if options.seal.enabled:
        stages.append(SealStage(ocr, runtime))
    return stages


__all__ = [
    "CropStage",
    "FormulaStage",
    "PageContext",
    "SealStage",
    "Stage",
    "TableStage",
    "default_stages",
]
