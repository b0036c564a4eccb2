"""The parser's formula hook: LaTeX only when the recognizer is confident and the LaTeX is well formed."""

from __future__ import annotations

import numpy as np
import pytest

from scriba.block_types import FormulaData
from scriba.document import Block
from scriba.export.markdown import block_markdown
from scriba.formula.blocks import fill_formula
from scriba.formula.recognizer import FormulaRecognizer, FormulaResult


class _Fake(FormulaRecognizer):
    def __init__(self, result: FormulaResult) -> None:  # no ONNX files
        self.result = result
        self.seen: list[tuple[int, ...]] = []

    def __call__(self, images: list[np.ndarray]) -> list[FormulaResult]:
        self.seen += [im.shape for im in images]
        return [self.result for _ in images]


def _block() -> Block:
    return Block(
        polygon=[[10, 20], [110, 20], [110, 60], [10, 60]], kind="formula", data=FormulaData(image="f.png")
    )


def _crop(box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = (int(v) for v in box)
    return np.full((y1 - y0, x1 - x0, 3), 255, np.uint8)


def test_confident_formula_gets_latex_and_markdown_math() -> None:
    block = _block()
    rec = _Fake(FormulaResult("\\frac { a } { b }", 0.93, "\\frac { a } { b }"))
    fill_formula(block, _crop, rec)
    assert rec.seen == [(40, 100, 3)]
    assert block.data.latex == "\\frac { a } { b }"
    assert block.data.latex_confidence == pytest.approx(0.93)
    assert block.data.latex_status == "ok"
    md = block_markdown(block)
    assert "![formula](f.png)" in md and "$$\n\\frac { a } { b }\n$$" in md
    block.data.image = None  # no crop written: the LaTeX alone
    assert block_markdown(block) == "$$\n\\frac { a } { b }\n$$"


@pytest.mark.parametrize("reason", ["low-confidence", "malformed: unbalanced braces", "no-end"])
def test_unsure_or_malformed_formula_keeps_the_crop(reason: str) -> None:
    block = _block()
    fill_formula(block, _crop, _Fake(FormulaResult(None, 0.3, "\\frac { a", reason)))
    assert block.data.latex is None
    assert block.data.latex_status == f"{reason}: crop kept"
    assert block.data.image == "f.png"
    assert "$$" not in block_markdown(block)


def test_parser_leaves_latex_null_without_a_formula_model() -> None:
    from scriba.pipeline.parse import ParseOptions

    assert ParseOptions().formula.model is None
