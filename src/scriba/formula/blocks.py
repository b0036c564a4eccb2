"""Formula blocks of a parsed page -> LaTeX: the parser's hook into the formula recognizer.

Each formula block gets `latex` (canonical LaTeX, rendered in Markdown as `$$...$$`) and `latex_confidence`
when the recognizer is confident and its output is well formed; otherwise `latex` stays None, the crop is kept,
and `latex_status` says why (low-confidence, malformed, no-end, empty)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from scriba.document import Block, bbox_of
from scriba.formula.recognizer import FormulaRecognizer

_recognizers: dict[tuple[str, float], FormulaRecognizer] = {}


def recognizer(name: str, threshold: float, threads: int = 0) -> FormulaRecognizer:
    key = (name, threshold)
    if key not in _recognizers:
        _recognizers[key] = FormulaRecognizer.named(name, threshold=threshold, threads=threads)
    return _recognizers[key]


def fill_formula(block: Block, crop: Callable[[Any], np.ndarray], rec: FormulaRecognizer) -> None:
    image = crop(bbox_of(block.polygon))
    if image.size == 0:
        block.attributes.update({"latex": None, "latex_confidence": 0.0, "latex_status": "empty"})
        return
    result = rec([image])[0]
    block.attributes.update(
        {
            "latex": result.latex,
            "latex_confidence": round(result.confidence, 4),
            "latex_status": "ok" if result.latex else f"{result.reason}: crop kept",
        }
    )
