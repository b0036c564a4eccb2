"""The shipped formula recognizers on rendered simple formulas (fractions, scripts, Greek, sums, roots): how
many they read exactly (a floor just under what the shipped weights read: they read 5-6 of the 12 with the
full network, see docs/models.md), and whatever they emit is well formed (and compiles with KaTeX when it is
installed)."""

from __future__ import annotations

import numpy as np
import pytest

from scriba.formula.latex import check
from scriba.formula.registry import FORMULA_MODELS

pytest.importorskip("matplotlib")

SIMPLE = [
    "\\frac { a } { b }",
    "x ^ { 2 }",
    "x _ { i }",
    "\\alpha + \\beta",
    "a ^ { 2 } + b ^ { 2 } = c ^ { 2 }",
    "\\sum _ { i = 1 } ^ { n } x _ { i }",
    "\\sqrt { x + 1 }",
    "\\frac { 1 } { 2 }",
    "y = m x + b",
    "e ^ { - x }",
    "\\pi r ^ { 2 }",
    "\\sin \\theta",
]
# how many of SIMPLE each model must read exactly, per font set: one under the least the shipped weights read
# (full 6 cm / 5 DejaVu sans, -s 4 / 4, -xs 5 / 4), so that a regression shows
MIN_EXACT = {"scriba-formula": 4, "scriba-formula-s": 3, "scriba-formula-xs": 3}


def _render(latex: str, fontset: str) -> np.ndarray:
    import random

    from scriba.train.synth.formulas import degrade, render

    img = degrade(render(latex, fontset, 16.0, 100), random.Random(0), clean=True)
    return np.asarray(img.convert("RGB"))


@pytest.mark.skipif(not FORMULA_MODELS, reason="no formula model is shipped")
@pytest.mark.parametrize("name", sorted(FORMULA_MODELS))
@pytest.mark.parametrize("fontset", ["cm", "dejavusans"])
def test_shipped_model_reads_simple_formulas(name: str, fontset: str) -> None:
    from scriba.formula.recognizer import FormulaRecognizer

    rec = FormulaRecognizer.named(name, threads=1)
    results = rec([_render(f, fontset) for f in SIMPLE])
    exact = [r.latex_tokens == f for r, f in zip(results, SIMPLE)]
    assert sum(exact) >= MIN_EXACT[name], [r.latex_tokens for r in results]
    for r in results:
        if r.latex is not None:
            assert check(r.latex) == [] and r.confidence >= rec.threshold
        assert len(r.latex_tokens.split()) <= rec.max_tokens


@pytest.mark.skipif(not FORMULA_MODELS, reason="no formula model is shipped")
def test_emitted_latex_compiles_with_katex() -> None:
    from scriba.formula.katex import katex_errors, katex_root

    if katex_root() is None:
        pytest.skip("KaTeX (npm install -g katex) is not installed")
    from scriba.formula.recognizer import FormulaRecognizer

    emitted = []
    for name in FORMULA_MODELS:
        rec = FormulaRecognizer.named(name, threads=1)
        emitted += [r.latex for r in rec([_render(f, "stix") for f in SIMPLE]) if r.latex]
    errors = katex_errors(emitted)
    assert [(f, e) for f, e in zip(emitted, errors) if e] == []


@pytest.mark.skipif("scriba-formula" not in FORMULA_MODELS, reason="no formula model is shipped")
def test_parser_hook_with_the_shipped_model() -> None:
    from scriba.document import Block
    from scriba.formula.blocks import fill_formula, recognizer

    image = _render("\\frac { a } { b }", "cm")
    h, w = image.shape[:2]
    block = Block(polygon=[[0, 0], [w, 0], [w, h], [0, h]], kind="formula")
    fill_formula(block, lambda box: image, recognizer("scriba-formula", 0.9, 1))
    status = block.data.latex_status
    assert status == "ok" or status.endswith("crop kept")
    if block.data.latex is not None:
        assert check(block.data.latex) == []
