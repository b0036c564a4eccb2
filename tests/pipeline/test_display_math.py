"""Display formulas found from the text read on the page, where the layout model marked none."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scriba.block_types import BlockKind, FormulaData
from scriba.document import Block, Line, Page
from scriba.pipeline.display_math import display_formula_groups, math_text, names_no_math
from scriba.pipeline.layout_order import Region, add_display_formulas, drop_prose_formulas
from scriba.pipeline.parse_options import FormulaOptions
from scriba.pipeline.stages.base import PageContext
from scriba.pipeline.stages.formulas import FormulaStage, merged_rows
from tests.conftest import font


def _line(text: str, x0: float, y0: float, x1: float, y1: float) -> Line:
    return Line(text=text, confidence=0.95, polygon=[[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def test_mathematics_is_told_from_prose() -> None:
    for text in ["eiπ + 1 = 0", "∇·E =", "∫ f(x) dx = F (b) − F (a)", "a² + b² = c2", "sin x ≤ 1", "∂B"]:
        assert math_text(text), text
    for text in ["Total = 35.00", "where x = 5 and y = 3", "Tel: +1 555 0100", "中文 = 1", "====", "Fig. 3",
                 "150. s(t) = 2t + 8", "(b) x = 1"]:  # fmt: skip
        assert not math_text(text), text


# Four display equations stacked in a column (Maxwell's), as the detector reads them: fractions' numerators
# and denominators are lines of their own, beside or between the equations.
MAXWELL = [
    _line("∇·E =", 1449, 970, 1587, 1010),
    _line("ε0", 1586, 1008, 1630, 1049),
    _line("∇·B = 0", 1463, 1079, 1623, 1118),
    _line("∂B", 1591, 1149, 1652, 1192),
    _line("∇× E =", 1430, 1179, 1565, 1218),
    _line("∂t", 1599, 1205, 1647, 1247),
    _line("∂E", 1668, 1264, 1728, 1306),
    _line("∇×B=μ₀J+μ0ε0", 1355, 1296, 1672, 1339),
    _line("∂t", 1682, 1320, 1716, 1366),
]


def test_stacked_equations_stay_apart_and_keep_their_pieces() -> None:
    groups = display_formula_groups(MAXWELL, 38.0)
    texts = sorted(sorted(MAXWELL[i].text for i in g) for g in groups)
    expected = [["∇·E =", "ε0"], ["∇·B = 0"], ["∂B", "∂t", "∇× E ="], ["∂E", "∂t", "∇×B=μ₀J+μ0ε0"]]
    assert texts == sorted(sorted(g) for g in expected)


def test_an_integral_gathers_its_limits_and_the_rest_of_its_row() -> None:
    lines = [
        _line("b", 456, 962, 470, 990),
        _line("∫ f(x) dx =", 427, 991, 618, 1037),
        _line("F(b) − F(a)", 629, 991, 824, 1037),
        _line("a", 438, 1043, 452, 1072),
    ]
    assert [sorted(g) for g in display_formula_groups(lines, 36.0)] == [[0, 1, 2, 3]]


def test_a_line_of_a_paragraph_is_not_a_display_formula() -> None:
    lines = [
        _line("The two quantities are related by the rule that", 100, 100, 900, 136),
        _line("x = 2y + 1", 100, 144, 300, 180),
        _line("holds for every value of the parameter here.", 100, 188, 880, 224),
    ]
    assert display_formula_groups(lines, 36.0) == []
    centred = [lines[0], _line("x = 2y + 1", 400, 160, 600, 196), _line(lines[2].text, 100, 220, 880, 256)]
    assert display_formula_groups(centred, 36.0) == [[1]]
    # The end of a sentence under a hanging indent, with a justified line a text layer split into words above,
    # and another column's prose beside it.
    hanging = [
        *[
            _line(w, x, 100, x + 60, 136)
            for x, w in [(100, "the"), (200, "ball"), (300, "is"), (400, "given")]
        ],
        _line("s(t) = 0.", 150, 134, 300, 170),
        _line("Other column text that runs on and on here", 900, 100, 1500, 136),
    ]
    assert display_formula_groups(hanging, 36.0) == []
    # A sum's limits set with it in a line of text are not an equation of their own.
    inline = [_line("that λg = ∑", 200, 821, 374, 862), _line("k", 375, 818, 386, 842),
              _line("i=1", 374, 841, 415, 866), _line("c(g, R/AnnR(xi)).", 422, 824, 689, 862)]  # fmt: skip
    assert display_formula_groups(inline, 30.0) == []


def test_found_formulas_become_regions_and_a_formula_over_prose_is_dropped() -> None:
    prose = [
        _line("Connects five fundamental constants, revealing the relationship", 100, 300, 1000, 336),
        _line("between exponential functions and trigonometry, as shown.", 100, 344, 1000, 380),
    ]
    equation = _line("eiπ + 1 = 0", 450, 200, 650, 245)
    whole_page = Region("formula", (90, 190, 1010, 390), 0.43)
    kept = drop_prose_formulas([whole_page, Region("text", (90, 290, 1010, 390))], [equation, *prose])
    assert [r.kind for r in kept] == ["text"]
    regions = add_display_formulas(kept, [equation, *prose])
    found = [r for r in regions if r.kind == "formula"]
    assert len(found) == 1 and found[0].found_by == "text" and found[0].box == (450, 200, 650, 245)


def test_overlapping_line_boxes_are_read_as_one() -> None:
    boxes = [(541, 516, 617, 562), (559, 514, 584, 542), (626, 516, 711, 561)]  # "e +", "iπ" over it, "1 = 0"
    assert merged_rows(boxes) == [((541, 514, 617, 562), [0, 1]), ((626, 516, 711, 561), [2])]


def test_a_found_formula_without_latex_goes_back_to_text() -> None:
    block = Block(lines=[_line("x = 1", 10, 10, 90, 40)], polygon=[[10, 10], [90, 10], [90, 40], [10, 40]],
                  kind="formula", attributes={"found_by": "text"})  # fmt: skip
    layout = Block(lines=[_line("y = 2", 10, 60, 90, 90)], polygon=[[10, 60], [90, 60], [90, 90], [10, 90]],
                   kind="formula")  # fmt: skip
    page = Page(width=100, height=100, index=0, source="", blocks=[block, layout])
    ctx = PageContext(page, lambda box: np.zeros((0, 0, 3), np.uint8))
    FormulaStage(FormulaOptions(from_text=False)).run(ctx)
    assert block.kind == BlockKind.TEXT and block.data is None and "found_by" not in block.attributes
    assert layout.kind == BlockKind.FORMULA and isinstance(layout.data, FormulaData)


def _tex(expr: str) -> Image.Image:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(0.01, 0.01))
    fig.text(0, 0, expr, fontsize=22)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=150, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


@pytest.fixture(scope="module")
def parser():
    from scriba.pipeline.parse import Parser

    return Parser()


def test_parsed_page_finds_a_display_integral_the_layout_model_calls_text(parser) -> None:
    """Prose with two centred display equations; the integral is one the layout model reads as text: it is
    found from its text and written as LaTeX with its limits, and the prose is unchanged."""
    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    f = font("serif", 28)
    y = 150
    prose = [
        "The theorem links the two operations of the calculus: the area",
        "under a curve is found from any function whose derivative it is,",
        "which the following identity states for a continuous function:",
    ]
    for text in prose:
        draw.text((120, y), text, font=f, fill="black")
        y += 40
    integral = _tex(r"$\int_a^b f(x)\,dx = F(b) - F(a)$")
    page.paste(integral, ((1240 - integral.width) // 2, y + 30))
    y += 60 + integral.height
    after = ["In the same way the lengths of the sides of a right triangle obey",
             "the rule that every student learns in school, written as"]  # fmt: skip
    for text in after:
        draw.text((120, y), text, font=f, fill="black")
        y += 40
    pythagoras = _tex(r"$a^2 + b^2 = c^2$")
    page.paste(pythagoras, ((1240 - pythagoras.width) // 2, y + 30))
    parsed = parser.parse_image(np.asarray(page)).page
    formulas = [b for b in parsed.blocks if b.kind == "formula"]
    latex = [b.data.latex.replace(" ", "") for b in formulas]
    assert latex == [r"\int_{a}^{b}f(x)dx=F(b)-F(a)", "a^{2}+b^{2}=c^{2}"]
    assert formulas[0].attributes.get("found_by") == "text"
    text = " ".join(line.text for b in parsed.blocks if b.kind != "formula" for line in b.lines)
    assert all(t in text for t in [*prose, *after])


def test_words_with_no_sign_of_mathematics_are_not_read_as_a_formula() -> None:
    assert names_no_math("* Doncaster Report, p. 8.")
    assert names_no_math("where the sum runs over all pairs")
    assert not names_no_math("E = mc^2")
    assert not names_no_math("Var(X) + Cov(X, Y)")
    assert not names_no_math("α and β")
    assert not names_no_math("x")  # one letter: not words


PROSE_AROUND = [
    _line("Data from the older instruments were corrected using a simple", 100, 100, 900, 130),
    _line("linear model, fitted to each station's readings in turn.", 100, 136, 840, 166),
    _line("Local schools shared their timetables so that buses could be", 100, 260, 900, 290),
    _line("scheduled better, and the model was checked against them.", 100, 296, 860, 326),
]


def test_an_equation_number_at_the_margin_joins_its_formula() -> None:
    from scriba.pipeline.layout_order import assemble_page, attach_equation_numbers

    equation, number = _line("y = a x + b", 380, 190, 520, 225), _line("(1)", 860, 188, 905, 226)
    # Found from the text: the number is a piece of the formula's row however far off at the right.
    groups = display_formula_groups([*PROSE_AROUND, equation, number], 30.0)
    assert sorted(groups[0]) == [4, 5] and len(groups) == 1
    # The layout model's formula region leaves it out and boxes it as text: the formula takes it over.
    lines = [*PROSE_AROUND, equation, number]
    regions = [Region("formula", (375, 188, 525, 228), 0.9), Region("text", (855, 190, 903, 224), 0.5)]
    kept = attach_equation_numbers(regions, lines)
    assert [(r.kind, r.box) for r in kept] == [("formula", (375, 188, 905, 228))]
    # With no region at all (a noisy page the layout model could not lay out), the formula is still found.
    blocks = assemble_page([], [*PROSE_AROUND, equation, number], 1000, 1400, laid_out=True)
    formulas = [b for b in blocks if b.kind == "formula"]
    assert [x.text for x in formulas[0].lines] == ["y = a x + b", "(1)"]
    assert not any(b.kind == "formula" for b in assemble_page([], lines, 1000, 1400, laid_out=False))
