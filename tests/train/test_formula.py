"""The formula recognizer: canonical LaTeX, synthetic sets, the elastic network, ONNX export and decoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scriba.formula.katex import katex_errors, katex_root
from scriba.formula.latex import check, normalize, tokenize, vocabulary

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("x^2_i", "x _ { i } ^ { 2 }"),
        ("x_i^2", "x _ { i } ^ { 2 }"),
        ("\\frac12", "\\frac { 1 } { 2 }"),
        ("\\dfrac{a}{b}", "\\frac { a } { b }"),
        ("{x}+{y}", "x + y"),
        ("{a}^{2}", "a ^ { 2 }"),
        ("{a+b}^2", "{ a + b } ^ { 2 }"),
        ("{\\rm d}x", "\\mathrm { d } x"),
        ("a\\le b\\,,\\quad c\\ne d", "a \\leq b , c \\neq d"),
        ("\\sqrt[3]{x}", "\\sqrt [ 3 ] { x }"),
        ("\\operatorname{sin}(x)", "\\sin ( x )"),
        ("\\left(\\frac{a}{b}\\right)", "\\left ( \\frac { a } { b } \\right )"),
        ("\\sum_{i=1}^n x_i", "\\sum _ { i = 1 } ^ { n } x _ { i }"),
        ("\\label{eq}\\alpha\\to\\beta", "\\alpha \\rightarrow \\beta"),
        ("$\\displaystyle e^{i\\pi}$", "e ^ { i \\pi }"),
        ("x^{a^b}", "x ^ { a ^ { b } }"),
        ("{1 \\over 2}+x", "\\frac { 1 } { 2 } + x"),
        ("\\mbox{if }x", "\\mathrm { i f } x"),
    ],
)
def test_normalize_gives_one_canonical_form(raw: str, canonical: str) -> None:
    assert normalize(raw) == canonical
    assert normalize(canonical) == canonical  # idempotent
    assert check(canonical) == []


def test_tokenize_splits_commands_and_characters() -> None:
    assert tokenize("\\frac{\\alpha}{2}\\,x") == ["\\frac", "{", "\\alpha", "}", "{", "2", "}", "\\,", "x"]


@pytest.mark.parametrize(
    ("latex", "problem"),
    [
        ("\\frac { a } { b", "unbalanced braces"),
        ("a } {", "a closing brace without an opening one"),
        ("\\foo { x }", "unknown command \\foo"),
        ("\\left ( x", "unbalanced \\left / \\right"),
        ("x ^", "^ without its argument"),
        ("\\frac", "\\frac without its argument"),
    ],
)
def test_check_flags_malformed_latex(latex: str, problem: str) -> None:
    assert problem in check(latex)


def test_synthetic_formulas_are_reproducible_and_well_formed(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("sympy")
    from scriba.train.synth.formulas import sample, write_set

    vocab = set(vocabulary())
    labels = write_set(tmp_path / "a", 12, seed=5)
    again = write_set(tmp_path / "b", 12, seed=5)
    assert labels.read_text() == again.read_text()
    for line in labels.read_text().splitlines():
        name, latex = line.split("\t")
        assert check(latex) == [] and normalize(latex) == latex
        assert all(t in vocab for t in latex.split())
        a = np.asarray(_open_image(tmp_path / "a" / name))
        b = np.asarray(_open_image(tmp_path / "b" / name))
        assert a.shape == b.shape and (a == b).all()
    img, latex, settings = sample(5, 3, clean=True)
    assert img.mode == "L" and settings["fontset"]


def _open_image(path: Path) -> object:
    from PIL import Image

    with Image.open(path) as im:
        return im.copy()


def _tiny_model():  # type: ignore[no-untyped-def]
    from scriba.train.formula import Tokens
    from scriba.train.nets.formula_net import Arch, FormulaNet

    torch.manual_seed(0)
    tok = Tokens()
    return FormulaNet(Arch(vocab=len(tok.vocab))).eval(), tok


def test_named_subnetworks_compute_what_the_elastic_network_computes() -> None:
    from scriba.train.formula import NAMED
    from scriba.train.nets.formula_net import count_macs, extract

    model, _ = _tiny_model()
    x = torch.rand(2, 1, 48, 128)
    t = torch.randint(4, 100, (2, 7))
    macs = {}
    with torch.no_grad():
        for name, sub in NAMED.items():
            small = extract(model, sub)
            assert torch.allclose(model(x, t, sub), small(x, t), atol=1e-5)
            macs[name] = count_macs(small.arch)
    full = macs["scriba-formula"]
    assert 0.35 < macs["scriba-formula-s"] / full < 0.65
    assert 0.15 < macs["scriba-formula-xs"] / full < 0.35


def test_elastic_training_step_runs_and_lowers_the_loss(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    import random

    from scriba.train.formula import FormulaTrainConfig, batches, elastic_loss
    from scriba.train.loop import LoopConfig
    from scriba.train.synth.formulas import write_set

    write_set(tmp_path / "d", 8, seed=1)
    model, tok = _tiny_model()
    model.train()
    cfg = FormulaTrainConfig(loop=LoopConfig(output=str(tmp_path / "run")), data=[str(tmp_path / "d")])
    batch = next(batches(cfg.data, 8, 0, tok, 64))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    rng = random.Random(0)
    losses = []
    for _ in range(6):
        loss = elastic_loss(model, batch, cfg, rng)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]


def test_onnx_export_matches_pytorch_and_decoding_is_capped(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    from scriba.formula.recognizer import FormulaRecognizer
    from scriba.train.formula import NAMED
    from scriba.train.formula_export import export_model
    from scriba.train.nets.formula_net import extract

    model, tok = _tiny_model()
    small = extract(model, NAMED["scriba-formula-xs"])
    report = export_model(small, tok.vocab, tmp_path / "xs", "scriba-formula-xs")
    assert report["max_abs_diff"] < 1e-4
    assert report["same_tokens"]
    # random weights never end a formula: the cap ends decoding and nothing is emitted
    rec = FormulaRecognizer.from_folder(tmp_path / "xs", max_tokens=10)
    page = np.full((40, 120, 3), 255, np.uint8)
    page[15:25, 20:100] = 0
    result = rec([page])[0]
    assert result.latex is None and result.reason == "no-end"
    assert len(result.latex_tokens.split()) <= 10


@pytest.mark.skipif(katex_root() is None, reason="KaTeX (npm install -g katex) is not installed")
def test_well_formed_latex_compiles_with_katex() -> None:
    import random

    from scriba.train.synth.formulas import random_formula

    rng = random.Random(3)
    formulas = [random_formula(rng) for _ in range(150)]
    assert all(check(f) == [] for f in formulas)
    errors = katex_errors(formulas)
    assert [(f, e) for f, e in zip(formulas, errors) if e] == []
    assert all(katex_errors(["\\foo { x }"]))  # and KaTeX does refuse what check refuses
