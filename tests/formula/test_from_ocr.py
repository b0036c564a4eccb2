"""LaTeX from the text recognizer's reading and the glyphs' positions: formulas rendered by Matplotlib's
TeX-math engine, read through the real OCR models."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scriba.formula.from_ocr import OcrLine, read_crop, read_formula
from scriba.formula.katex import katex_errors, katex_root
from scriba.formula.latex import check
from tests.conftest import font


def _render(tex: str, size: int = 20) -> np.ndarray:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(0.01, 0.01))
    fig.text(0, 0, f"${tex}$", fontsize=size)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=150, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    buf.seek(0)
    formula = np.asarray(Image.open(buf).convert("RGB"))
    h, w = formula.shape[:2]
    page = np.full((h + 200, max(1240, w + 200), 3), 255, np.uint8)  # on a page, as the detector sees them
    page[100 : 100 + h, 100 : 100 + w] = formula
    return page


@pytest.fixture(scope="module")
def ocr():  # type: ignore[no-untyped-def]
    from scriba import OCR

    return OCR()


def _read(ocr, tex: str) -> str:  # type: ignore[no-untyped-def]
    page = _render(tex)
    quads = [np.array(line.polygon) for line in ocr.ocr_image(page).lines]
    result = read_crop(page, quads, ocr.recognizer)
    assert result is not None, tex
    return result.latex


@pytest.mark.parametrize(
    "tex, latex",
    [
        (r"L = L_s + \alpha \times L_b", r"L=L_{s}+\alpha \times L_{b}"),
        (r"x^2 + y^2 = \frac{a+b}{c}", r"x^{2}+y^{2}=\frac{a+b}{c}"),
        (r"\sum_{i=1}^{n} x_i^2 \leq \sqrt{a + b}", r"\sum_{i=1}^{n}x_{i}^{2}\leq \sqrt{a+b}"),
        (r"f(x) = t^2 dt + \frac{\partial u}{\partial x}", r"f(x)=t^{2}dt+\frac{\partial u}{\partial x}"),
        (r"y = \overline{ab} + 1", r"y=\overline{ab}+1"),
        (r"y = e^{-x} + 2^{-n}", r"y=e^{-x}+2^{-n}"),
    ],
)
def test_rendered_formulas_read_with_their_structure(ocr, tex: str, latex: str) -> None:  # type: ignore[no-untyped-def]
    assert _read(ocr, tex).lower() == latex.lower()


def test_marks_over_a_letter_are_its_accent(ocr) -> None:  # type: ignore[no-untyped-def]
    out = _read(ocr, r"\bar{x} + \tilde{y} + \vec{v}")
    assert out.startswith(r"\bar{x}+\tilde{y}+\vec{"), out


def test_every_latex_it_writes_is_well_formed_and_compiles(ocr) -> None:  # type: ignore[no-untyped-def]
    texs = [
        r"\hat{B}_{i,j} = \frac{1}{1 + e^{-k(P_{i,j} - T_{i,j})}}",
        r"c_\alpha = \sum_{\beta \in \Lambda_R} \epsilon(\alpha, \beta)",
        r"E = mc^2 \quad (3)",
        r"\frac{\frac{a}{b} + 1}{x - y}",
        r"\{ x \mid x \geq 0 \} \% 100",
    ]
    outs = [_read(ocr, t) for t in texs]
    assert "\\tag{3}" in outs[2]
    assert "\\frac" in outs[3]
    for out in outs:
        assert not check(
            out.replace("\\tag{3}", "")
            .replace("\\begin{gathered}", "")
            .replace("\\end{gathered}", "")
            .replace("\\\\", " ")
        )
    if katex_root() is not None:
        assert katex_errors(outs) == [None] * len(outs)


def test_a_fraction_bar_splits_numerator_from_denominator() -> None:
    """Geometry alone (no models): two lines of text over and under a bar make a fraction, a line beside
    them the rest of the row."""
    img = Image.new("L", (400, 200), 255)
    d = ImageDraw.Draw(img)
    f = font("serif", 30)
    d.text((20, 78), "y=", font=f, fill=0)
    d.text((120, 62), "a", font=f, fill=0)
    d.rectangle((100, 99, 170, 101), fill=0)
    d.text((120, 100), "b", font=f, fill=0)
    grey = np.asarray(img)

    def line(text: str, box: tuple[float, float, float, float]) -> OcrLine:
        n = len(text)
        spans = [((k + 0.3) / n, (k + 0.7) / n) for k in range(n)]
        return OcrLine(box, text, spans, [0.99] * n)

    out = read_formula(
        grey, [line("y=", (15, 75, 55, 120)), line("a", (110, 60, 150, 98)), line("b", (110, 100, 150, 140))]
    )
    assert out is not None and out.latex == r"y=\frac{a}{b}"


def test_a_text_layer_line_gives_its_characters_to_the_reading() -> None:
    from scriba.formula.from_ocr import OcrLine, aligned_to, in_known_case

    read = "∫∘f(xe))dx="  # OCR of an integral's line: a stray ring, an "e", a bracket twice
    spans = [(k / len(read), (k + 1) / len(read)) for k in range(len(read))]
    line = aligned_to(OcrLine((0, 0, 100, 20), read, spans, [0.9] * len(read)), "∫ f(x) dx =")
    assert line.text == "∫f(x)dx="
    # Each true character keeps its reading's place (the bracket: either of the two read).
    assert line.spans[:4] == [spans[0], spans[2], spans[3], spans[4]] and line.spans[5:] == spans[8:]
    assert line.spans[4] in (spans[6], spans[7])
    script = aligned_to(OcrLine((0, 0, 50, 20), "μ₀J", spans[:3], [0.9] * 3), "μ0J")
    assert script.text == "μ₀J"  # a subscript read as one stays one: it says where the glyph sits
    far = OcrLine((0, 0, 50, 20), "abcdefgh", spans[:8], [0.9] * 8)
    assert aligned_to(far, "zyxwvuts") is far  # not the same line
    assert aligned_to(OcrLine((0, 0, 10, 20), "Q", spans[:1], [0.6]), "ρ").text == "ρ"  # a one-letter piece
    assert in_known_case("a2+b2=C2", "a + 2 b = 2 c 2") == "a2+b2=c2"
    assert in_known_case("C=c", "C = c") == "C=c"
