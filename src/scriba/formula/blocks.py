"""Formula blocks of a parsed page -> LaTeX: the parser's hook into the formula recognizer.

Each formula block's FormulaData gets `latex` (canonical LaTeX, rendered in Markdown as `$$...$$`) and
`latex_confidence` when the recognizer is confident and its output is well formed; otherwise `latex` stays
None, the crop is kept, and `latex_status` says why (low-confidence, malformed, no-end, empty)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from scriba.block_types import FormulaData
from scriba.document import Block, bbox_of
from scriba.formula.recognizer import FormulaRecognizer

_recognizers: dict[tuple[str, float], FormulaRecognizer] = {}


def recognizer(name: str, threshold: float, threads: int = 0) -> FormulaRecognizer:
    key = (name, threshold)
    if key not in _recognizers:
        _recognizers[key] = FormulaRecognizer.named(name, threshold=threshold, threads=threads)
    return _recognizers[key]


def fill_formulas(blocks: list[Block], crop: Callable[[Any], np.ndarray], rec: FormulaRecognizer) -> None:
    """Read every formula block's crop in one batch and fill its FormulaData."""
    images = [crop(bbox_of(b.polygon)) for b in blocks]
    todo = [k for k, img in enumerate(images) if img.size]
    results = dict(zip(todo, rec([images[k] for k in todo]) if todo else []))
    for k, block in enumerate(blocks):
        data = block.payload(FormulaData)
        result = results.get(k)
        if result is None:
            data.latex, data.latex_confidence, data.latex_status = None, 0.0, "empty"
            continue
        data.latex = result.latex
        data.latex_confidence = round(result.confidence, 4)
        data.latex_status = "ok" if result.latex else f"{result.reason}: crop kept"


def fill_formula(block: Block, crop: Callable[[Any], np.ndarray], rec: FormulaRecognizer) -> None:
    fill_formulas([block], crop, rec)
