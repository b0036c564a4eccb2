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


def test_a_formula_region_holding_a_sentence_keeps_its_text() -> None:
    from scriba.pipeline.display_math import reads_as_prose

    assert reads_as_prose("where alpha and beta are set to one")
    assert reads_as_prose("设函数 f(x)=x²")
    assert not reads_as_prose("L=Ls+α×Lb")
    assert not reads_as_prose("f(x) = sin x + cos y + log z + exp w")


def test_parsed_page_writes_a_display_formula_as_latex_from_its_text() -> None:
    """A page of text with a fraction set by Matplotlib's TeX-math engine: the formula block's LaTeX has the
    fraction, KaTeX renders it, and the text around it is kept."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image, ImageDraw

    from scriba.pipeline.parse import Parser
    from tests.conftest import font

    fig = plt.figure(figsize=(0.01, 0.01))
    fig.text(0, 0, r"$y = \frac{a+b}{2}$", fontsize=24)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=150, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    buf.seek(0)
    formula = Image.open(buf).convert("RGB")
    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    f = font("serif", 28)
    draw.text((120, 150), "The readings of the two sensors are averaged, and the mean", font=f, fill="black")
    draw.text((120, 190), "of the two readings is taken as the estimate of the level:", font=f, fill="black")
    page.paste(formula, ((1240 - formula.width) // 2, 260))
    y = 290 + formula.height
    draw.text((120, y), "which is what the following sections report for each", font=f, fill="black")
    draw.text((120, y + 40), "sensor and for each of the three sites.", font=f, fill="black")
    parsed = Parser().parse_image(np.asarray(page))
    formulas = [b for b in parsed.page.blocks if b.kind == "formula"]
    assert len(formulas) == 1
    data = formulas[0].data
    assert data.latex_status == "from-text"
    assert data.latex.replace(" ", "") == r"y=\frac{a+b}{2}"
    words = " ".join(line.text for b in parsed.page.blocks if b.kind != "formula" for line in b.lines)
    assert "of the two readings is taken" in words and "following sections report" in words
    from scriba.formula.katex import katex_errors, katex_root

    if katex_root() is not None:
        assert katex_errors([data.latex]) == [None]
