"""A formula's LaTeX from what the text recognizer read in it and where its glyphs lie on the page.

The line recognizer reads a formula as flat text ("Ls+α×Lb", "1 n ∑x²"). The glyphs' positions give back the
structure it cannot write: each character's box comes from its CTC time steps (across) and the ink in that
column (up and down); thin wide strokes with glyphs above and below are fraction bars; glyphs stacked over or
under a big operator are its limits; glyphs smaller than the body and raised or lowered are scripts; rows with
no vertical overlap are the lines of a multi-line formula; a radical takes what lies under its overline, and
small marks over a letter are its accent. What it cannot see (matrices, deeper scripts, fonts) stays flat. Used when no formula recognizer is chosen or it is not confident; the result is checked
like the recognizer's (`latex.check`) and carries the recognizer's mean character confidence.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from scriba.formula.latex import check

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the crop's pixels
Recognize = Callable[[list[np.ndarray]], list[Any]]  # a text recognizer's batch call: crops -> results

# Unicode the recognizers write -> LaTeX commands (all known to `latex.check`).
_COMMANDS = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ϑ": "vartheta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu",
    "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "varsigma", "τ": "tau", "υ": "upsilon", "φ": "phi",
    "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda",
    "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega", "∑": "sum",
    "∏": "prod", "∫": "int", "∬": "iint", "∮": "oint", "∂": "partial", "∇": "nabla", "∞": "infty", "×": "times",
    "÷": "div", "·": "cdot", "⋅": "cdot", "•": "bullet", "±": "pm", "∓": "mp", "≤": "leq", "≦": "leq",
    "≥": "geq", "≧": "geq", "≠": "neq", "≈": "approx", "≡": "equiv", "∼": "sim", "≃": "simeq", "≅": "cong",
    "∝": "propto", "∈": "in", "∉": "notin", "∋": "ni", "⊂": "subset", "⊆": "subseteq", "⊃": "supset",
    "⊇": "supseteq", "∪": "cup", "∩": "cap", "∧": "wedge", "∨": "vee", "¬": "neg", "∀": "forall",
    "∃": "exists", "∅": "varnothing", "→": "rightarrow", "←": "leftarrow", "↔": "leftrightarrow",
    "⇒": "Rightarrow", "⇐": "Leftarrow", "⇔": "Leftrightarrow", "↦": "mapsto", "⟨": "langle", "⟩": "rangle",
    "〈": "langle", "〉": "rangle", "…": "ldots", "⋯": "cdots", "⊕": "oplus", "⊗": "otimes", "∘": "circ",
    "°": "circ", "′": "prime", "∥": "parallel", "⊥": "perp", "ℓ": "ell", "ħ": "hbar", "√": "sqrt",
    "⌊": "lfloor", "⌋": "rfloor", "⌈": "lceil", "⌉": "rceil", "∗": "ast", "⋆": "star", "ℵ": "aleph",
}  # fmt: skip
_PLAIN = {"−": "-", "–": "-", "—": "-", "‐": "-", "＝": "=", "＋": "+", "（": "(", "）": ")", "，": ",", "：": ":",
          "；": ";", "［": "[", "］": "]", "｛": "\\{", "｝": "\\}", "｜": "|", "＜": "<", "＞": ">", "’": "'",
          "‘": "'", "“": '"', "”": '"', "{": "\\{", "}": "\\}", "#": "\\#", "%": "\\%", "&": "\\&", "_": "\\_",
          "$": "", "\\": "", "~": "", "^": ""}  # fmt: skip
_COMBINING = {"\u0307": "dot", "\u0308": "ddot", "\u0302": "hat", "\u0303": "tilde", "\u0304": "bar",
              "\u20d7": "vec", "\u0301": "acute", "\u0300": "grave", "\u0306": "breve", "\u030c": "check"}  # fmt: skip
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", "0123456789+-=()ni"))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓᵢⱼₖₙ", "0123456789+-=()aeoxijkn"))
_BIG_OPERATORS = {"∑", "∏", "∫", "∮", "∬", "∪", "∩"}
_LIMIT_OPS = tuple("\\" + c for c in ("sum", "prod", "int", "oint", "iint", "cup", "cap"))
_FUNCTIONS = ("arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sin", "cos", "tan", "cot", "sec", "csc",
              "log", "ln", "exp", "lim", "max", "min", "sup", "inf", "det", "dim", "ker", "arg", "gcd", "deg")  # fmt: skip
_FUNCTION_RE = re.compile(r"(?<![A-Za-z\\])(" + "|".join(_FUNCTIONS) + r")(?![a-z])")
_NUMBER_TAG = re.compile(r"^\(\s*([0-9]+(?:[.\-][0-9]+)*[a-z]?)\s*\)$")
_MINUS_LIKE = {"-", "−", "–", "—", "_", "一", "ー"}
_SIGNS = set("=+×÷<>≤≥≠≈≡±∓→←⇒⇔∈∉⊂⊆∼≃≅∝＝")
_WITH_BARS = set("=≡≤≥≦≧≠±∓＝")  # signs drawn with thin wide strokes of their own
# Letter classes by the part of the body they fill (cap height H): x-height letters, tall ones, descenders.
_X_HEIGHT = set("acemnorsuvwxzαεικνοπστυωı")
_TALL = set("bdhiklt0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZδθλ∂ΓΔΘΛΞΠΣΦΨΩ")
_DESCENDING = set("gjpqyγημρφχψς")
_ONE_PIECE = (_X_HEIGHT | _TALL | _DESCENDING | {"f"}) - set("ij%")
# Heights against the cap height; "f" rises and, set in italic as TeX sets it, also descends.
_EXPECTED = {"x": 0.66, "t": 1.0, "d": 0.88, "f": 1.2}
# What `compose` adds around rows, which `latex.check` (made for the recognizer's vocabulary) does not know.
_LAYOUT = re.compile(r"\\begin\{gathered\}|\\end\{gathered\}|\\\\")


@dataclass
class Item:
    """A glyph or a composed part of the formula, with its box in crop pixels."""

    latex: str
    x0: float
    y0: float
    x1: float
    y1: float
    char: str = ""  # the recognized character, for single glyphs
    composed: bool = False
    bar: bool = False  # a thin wide stroke (fraction bar or minus)
    script: str = ""  # "^" or "_" for a Unicode super/subscript character
    children: list[Item] = field(default_factory=list)
    placed: bool = True  # False: no ink was found for it, its box is only its span across the line

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class OcrLine:
    """One recognized line of the formula: its axis-aligned box in crop pixels, text and per-character CTC
    spans (fractions of the line's width) and confidences."""

    box: Box
    text: str
    spans: list[tuple[float, float]]
    confidences: list[float]


@dataclass
class FormulaText:
    latex: str
    confidence: float


def _char_latex(ch: str) -> tuple[str, str]:
    """(LaTeX, script kind) of one recognized character."""
    if ch in _SUPERSCRIPTS:
        return _SUPERSCRIPTS[ch], "^"
    if ch in _SUBSCRIPTS:
        return _SUBSCRIPTS[ch], "_"
    if ch in _COMMANDS:
        return "\\" + _COMMANDS[ch], ""
    if ch in _PLAIN:
        return _PLAIN[ch], ""
    if ch.isascii() and (ch.isalnum() or ch in "+-=()[]<>|/.,;:!'*?@\""):
        return ch, ""
    base, *marks = unicodedata.normalize("NFD", ch)
    if base.isascii() and base.isalpha() and len(marks) == 1 and marks[0] in _COMBINING:
        return f"\\{_COMBINING[marks[0]]}{{{base}}}", ""  # a letter with its accent read as one character
    return "", ""  # a character LaTeX math has no plain form for (CJK, stray marks): left out


def ink_mask(grey: np.ndarray) -> np.ndarray:
    """Dark-on-light ink (Otsu), as a boolean mask."""
    g = grey if grey.ndim == 2 else cv2.cvtColor(grey, cv2.COLOR_RGB2GRAY)
    if g.dtype != np.uint8:
        g = np.clip(g, 0, 255).astype(np.uint8)
    _, mask = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask > 0


def _components(ink: np.ndarray) -> np.ndarray:
    """Connected pieces of ink as rows of x0, y0, x1, y1, area."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    st = stats[1:n].astype(np.float64)
    return np.column_stack([st[:, 0], st[:, 1], st[:, 0] + st[:, 2], st[:, 1] + st[:, 3], st[:, 4]])


def glyphs(pieces: np.ndarray, lines: list[OcrLine], is_bar: np.ndarray) -> tuple[list[Item], set[int]]:
    """Each recognized character with its box, and the pieces of ink given to characters.

    Across, a character spans its CTC steps out to the midpoints with its neighbours. Each piece of ink goes
    to the character whose span holds its centre, in the line whose box holds it (the one whose ink lies
    nearest when boxes overlap), never across a bar (a denominator is not part of the line above it). A
    character's box is its pieces' union; one left without a piece takes the nearest piece of a neighbour
    that has several, else keeps its span across the line's box and is marked unplaced."""
    slots: list[tuple[Item, int]] = []
    mids: list[float] = []
    for n_line, line in enumerate(lines):
        x0, y0, x1, y1 = line.box
        inside = [
            (p[1] + p[3]) / 2 for k, p in enumerate(pieces)
            if not is_bar[k] and x0 <= (p[0] + p[2]) / 2 <= x1 and y0 <= (p[1] + p[3]) / 2 <= y1
        ]  # fmt: skip
        mids.append(float(np.median(inside)) if inside else (y0 + y1) / 2)
        width = max(x1 - x0, 1.0)
        keep = [k for k, ch in enumerate(line.text) if not ch.isspace() and k < len(line.spans)]
        for n, k in enumerate(keep):
            s, e = line.spans[k]
            left = 0.0 if n == 0 else (line.spans[keep[n - 1]][1] + s) / 2
            right = 1.0 if n == len(keep) - 1 else (e + line.spans[keep[n + 1]][0]) / 2
            latex, script = _char_latex(line.text[k])
            if latex or script:
                item = Item(
                    latex, x0 + left * width, y0, x0 + right * width, y1, char=line.text[k], script=script
                )
                slots.append((item, n_line))
    bar_boxes = pieces[is_bar] if len(pieces) else pieces
    owned: dict[int, list[int]] = {}
    body = float(np.median(pieces[:, 3] - pieces[:, 1])) if len(pieces) else 1.0
    for p, (px0, py0, px1, py1, _area) in enumerate(pieces):
        # A wide piece (a radical and its overline) belongs to the character where it starts.
        cx, cy = px0 + min(px1 - px0, 1.2 * body) / 2, (py0 + py1) / 2
        best, best_d = -1, float("inf")
        for k, (item, n_line) in enumerate(slots):
            if item.char in _MINUS_LIKE:
                continue  # a minus is a bar: the bars' own pass places it (or makes it a fraction's)
            if is_bar[p] and (item.char not in _WITH_BARS or px1 - px0 > 1.6 * (item.x1 - item.x0)):
                continue
            pad = 0.15 * item.h
            if not (item.x0 <= cx <= item.x1 and item.y0 - pad <= cy <= item.y1 + pad):
                continue
            mid = mids[n_line]
            lo, hi = min(cy, mid), max(cy, mid)
            if not is_bar[p] and any(
                b[0] < px1 and b[2] > px0 and lo < (b[1] + b[3]) / 2 < hi for b in bar_boxes
            ):
                continue
            d = abs(cy - mid) + abs(cx - item.cx) * 0.5
            if d < best_d:
                best, best_d = k, d
        if best >= 0:
            owned.setdefault(best, []).append(p)
    shares: dict[int, int] = {}  # a character whose ink touches its neighbour's: the neighbour it shares with
    for k in range(len(slots)):
        # A character without ink next to one whose single piece reaches over it (italic "dx" set touching)
        # shares that piece; next to one with several pieces, it takes the nearest.
        if k in owned:
            continue
        item, n_line = slots[k]
        if item.char in _MINUS_LIKE:
            continue
        near = [j for j in (k - 1, k + 1) if 0 <= j < len(slots) and slots[j][1] == n_line and j in owned]
        over = [
            j
            for j in near
            if len(owned[j]) == 1 and pieces[owned[j][0], 0] <= item.cx <= pieces[owned[j][0], 2]
        ]
        if over and not is_bar[owned[over[0]][0]]:
            shares[k] = over[0]
            continue
        for j in near:
            if len(owned[j]) > 1:
                side = pieces[owned[j], 0] + pieces[owned[j], 2]
                take = owned[j][int(np.argmax(side) if j < k else np.argmin(side))]
                owned[j].remove(take)
                owned[k] = [take]
                break
    for k, (item, _n) in enumerate(slots):
        if len(owned.get(k, [])) > 1 and item.char in _ONE_PIECE:
            # A letter or digit is one piece of ink: the rest it caught (a script the recognizer did not
            # write) is left for the unread ink.
            owned[k] = [max(owned[k], key=lambda p: pieces[p, 4])]
    spans = [(item.x0, item.x1) for item, _n in slots]
    for k, j in shares.items():
        owned[k] = list(owned[j])
    for k, (item, _n) in enumerate(slots):
        if k in owned:
            box = pieces[owned[k]]
            item.x0, item.y0 = float(box[:, 0].min()), float(box[:, 1].min())
            item.x1, item.y1 = float(box[:, 2].max()), float(box[:, 3].max())
        else:
            item.placed = False
    for k, j in shares.items():  # the shared piece is cut where the two characters' spans meet
        for n in (k, j):
            slots[n][0].x0 = max(slots[n][0].x0, spans[n][0])
            slots[n][0].x1 = min(slots[n][0].x1, spans[n][1])
    return [item for item, _ in slots], {p for ps in owned.values() for p in ps}


def orphans(pieces: np.ndarray, used: set[int], is_bar: np.ndarray, body: float) -> list[tuple[int, ...]]:
    """Boxes (x0, y0, x1, y1) around ink no character took (a denominator the detector missed), pieces next
    to each other on one row put together."""
    free = [
        k for k in range(len(pieces))
        if k not in used and not is_bar[k] and pieces[k, 4] >= 4 and pieces[k, 3] - pieces[k, 1] >= 0.25 * body
    ]  # fmt: skip
    groups: list[list[float]] = []
    for k in sorted(free, key=lambda k: pieces[k, 0]):
        x0, y0, x1, y1, _ = pieces[k]
        for g in groups:
            overlap = min(g[3], y1) - max(g[1], y0)
            if overlap > 0.3 * min(g[3] - g[1], y1 - y0) and x0 - g[2] <= 0.6 * body:
                g[:] = [min(g[0], x0), min(g[1], y0), max(g[2], x1), max(g[3], y1)]
                break
        else:
            groups.append([x0, y0, x1, y1])
    return [tuple(int(v) for v in g) for g in groups]


def bars(pieces: np.ndarray, body: float) -> np.ndarray:
    """Which pieces are thin wide strokes: fraction bars and minus signs."""
    w, h = pieces[:, 2] - pieces[:, 0], pieces[:, 3] - pieces[:, 1]
    return (h <= max(2.0, 0.16 * body)) & (w >= 0.45 * body) & (w >= 4 * h) & (pieces[:, 4] >= 0.7 * w * h)


def _stack(items: list[Item], bar: Item, above: bool, body: float) -> list[Item]:
    """The items stacked right above (or below) a bar within its span: those touching it, then those touching
    them, so nested fractions come along whole."""
    slack = 0.15 * body
    span = [i for i in items if i is not bar and bar.x0 - slack <= i.cx <= bar.x1 + slack]
    span = [i for i in span if (i.y1 <= bar.y0 + slack if above else i.y0 >= bar.y1 - slack)]
    taken: list[Item] = []
    edge = bar.y0 if above else bar.y1
    frontier = [edge]
    while True:
        near = [
            i for i in span
            if i not in taken and any((f - i.y1 if above else i.y0 - f) <= 0.7 * body for f in frontier)
        ]  # fmt: skip
        if not near:
            return taken
        taken.extend(near)
        frontier = [i.y0 if above else i.y1 for i in near]


_INTEGRALS = "∫∬∭∮"


def _limit(items: list[Item], op: Item, above: bool, body: float) -> list[Item]:
    """A big operator's limit above (or below): what lies right over (under) it, and the rest of that row
    next to it (a limit is often wider than the sign)."""
    # An integral's slant sets its limits to its right, the upper one further, reaching over its ends.
    reach = (0.8 if above else 0.5) * body if op.char in _INTEGRALS else 0.0
    near = [
        i for i in items
        if i is not op and i.x0 < op.x1 + reach and i.x1 > op.x0
        and (op.y0 - i.y1 if above else i.y0 - op.y1) >= -(0.35 if reach else 0.15) * op.h
        and (op.y0 - i.y1 if above else i.y0 - op.y1) <= 0.8 * body
    ]  # fmt: skip
    taken = list(near)
    grew = True
    while grew:
        grew = False
        for i in items:
            if i is op or i in taken or (i.y1 > op.y0 + 0.15 * op.h if above else i.y0 < op.y1 - 0.15 * op.h):
                continue
            if any(min(i.y1, t.y1) - max(i.y0, t.y0) > 0.3 * min(i.h, t.h) and max(i.x0 - t.x1, t.x0 - i.x1) <= 0.6 * body
                   for t in taken):  # fmt: skip
                taken.append(i)
                grew = True
    return taken


def _union(latex: str, parts: list[Item]) -> Item:
    return Item(
        latex, min(p.x0 for p in parts), min(p.y0 for p in parts), max(p.x1 for p in parts),
        max(p.y1 for p in parts), composed=True, children=parts,
    )  # fmt: skip


def _body_height(items: list[Item]) -> float:
    """The body's cap height: from the tall letters and digits, or the x-height letters when they say more
    (the tall ones may all sit in a smaller fraction or script)."""
    items = [i for i in items if i.placed]
    tall = [i.h for i in items if i.char in _TALL]
    small = [i.h / _EXPECTED["x"] for i in items if i.char in _X_HEIGHT]
    if tall and small:  # the x-height letters may only add a little: they can hold unread scripts' ink
        body = float(np.percentile(tall, 75))
        return max(body, min(float(np.median(small)), 1.3 * body))
    if tall or small:
        return float(np.percentile(tall, 75)) if tall else float(np.median(small))
    return float(np.median([i.h for i in items])) if items else 1.0


def compose(items: list[Item], body: float) -> str:
    """LaTeX of a set of items: fractions (widest bar first), big operators' limits, then rows."""
    items = list(items)
    for bar in sorted((i for i in items if i.bar), key=lambda b: -(b.x1 - b.x0)):
        if bar not in items:
            continue
        num, den = _stack(items, bar, True, body), _stack(items, bar, False, body)
        if not num or not den:
            continue
        frac = _union(f"\\frac{{{compose(num, body)}}}{{{compose(den, body)}}}", [*num, bar, *den])
        items = [i for i in items if i not in frac.children] + [frac]
    for op in sorted((i for i in items if i.char in _BIG_OPERATORS), key=lambda o: o.x0):
        if op not in items or not op.placed:
            continue
        over, under = _limit(items, op, True, body), _limit(items, op, False, body)
        if not over and not under:
            continue
        latex = op.latex
        if under:
            latex += f"_{{{compose(under, body)}}}"
        if over:
            latex += f"^{{{compose(over, body)}}}"
        limits = _union(latex, [op, *over, *under])
        limits.y0, limits.y1 = op.y0, op.y1  # the operator's own extent decides its row and scripts
        items = [i for i in items if i not in limits.children] + [limits]
    rows = _rows(items)
    texts = [_row(r, body) for r in rows]
    texts = [t for t in texts if t]
    if len(texts) > 1:
        return "\\begin{gathered} " + " \\\\ ".join(texts) + " \\end{gathered}"
    return texts[0] if texts else ""


def _rows(items: list[Item]) -> list[list[Item]]:
    """Items grouped into rows that overlap vertically (scripts overlap their base), top to bottom."""
    rows: list[list[Item]] = []
    for item in sorted(items, key=lambda i: -i.h):  # the tallest first: they set the rows, scripts join them
        best, best_overlap = None, 0.0
        for row in rows:
            y0, y1 = min(i.y0 for i in row), max(i.y1 for i in row)
            overlap = (min(y1, item.y1) - max(y0, item.y0)) / max(min(item.h, y1 - y0), 1.0)
            if overlap > max(0.2, best_overlap):
                best, best_overlap = row, overlap
        if best is None:
            rows.append([item])
        else:
            best.append(item)
    return sorted(rows, key=lambda r: min(i.y0 for i in r))


def _level(item: Item, baseline: float, body: float) -> str:
    """'' for the body, '^' raised and small, '_' lowered and small."""
    if item.script:
        return item.script
    if item.composed or not item.placed or (item.char and item.char in ",.;:!"):
        return ""
    if item.bar:  # a minus sign: raised or lowered with its script (e^{-x}), never a fraction's bar here
        if item.x1 - item.x0 > body:
            return ""
        return "^" if item.cy < baseline - 0.6 * body else "_" if item.cy > baseline - 0.05 * body else ""
    cls = (
        "x"
        if item.char in _X_HEIGHT
        else "t"
        if item.char in _TALL
        else "d"
        if item.char in _DESCENDING
        else "f"
        if item.char == "f"
        else ""
    )
    if cls:
        small = item.h < 0.8 * _EXPECTED[cls] * body
        own_base = item.y1 - {"d": 0.25, "f": 0.17}.get(cls, 0.0) * item.h
        if own_base < baseline - (0.3 if small else 0.45) * body:
            return "^"
        if own_base > baseline + (0.12 if small else 0.25) * body:
            return "_"
        return ""
    if item.h < 0.95 * body:  # signs and brackets: by where they sit
        if item.cy < baseline - 0.6 * body:
            return "^"
        if item.cy > baseline - 0.05 * body and item.y0 > baseline - 0.5 * body:
            return "_"
    return ""


def _continues(item: Item, group: list[Item], level: str, baseline: float, body: float) -> bool:
    """Whether `item` belongs to the script `group` (of `level`): raised or lowered the same way, or a small
    glyph or a sign set within the group's height (a script's own script, a comma between indices)."""
    own = _level(item, baseline, body)
    if own == level:
        return True
    if own or item.composed or not item.placed or item.char in _SIGNS:
        return False
    g0, g1 = min(i.y0 for i in group), max(i.y1 for i in group)
    return item.h < 0.75 * body and g0 - 0.1 * body <= item.cy <= g1 + 0.1 * body


def _row(row: list[Item], body: float, within: str = "") -> str:
    """One row's LaTeX, left to right, with its scripts. `within`: the script this row is (a superscript
    character the recognizer wrote, such as "ⁿ", is already raised there)."""
    row = sorted(row, key=lambda i: i.x0)
    plain = [i for i in row if not i.composed and i.char and (i.char in _X_HEIGHT or i.char in _TALL)]
    full = [i for i in plain if i.h >= 0.8 * _EXPECTED["x" if i.char in _X_HEIGHT else "t"] * body]
    if full:
        baseline = float(np.median([i.y1 for i in full]))
    else:
        baseline = max((i.y1 for i in row), default=0.0)
    parts: list[str] = []
    scripts: set[str] = set()  # the scripts the last base already has (a second ^ needs a new, empty base)
    k = 0
    while k < len(row):
        # A relation or operator sign does not open a script on its own (it may continue one: e^{-x}).
        level = _level(row[k], baseline, body) if parts and row[k].char not in _SIGNS else ""
        if level and level == within and row[k].script == within:
            level = ""
        if row[k].char == "√" and not level:
            # The radical's own ink (its overline) reaches over its argument.
            end = k + 1
            while end < len(row) and row[end].cx < row[k].x1:
                end += 1
            inner = _row(row[k + 1 : end], body) if end > k + 1 else ""
            parts.append(f"\\sqrt{{{inner}}}")
            scripts = set()
            k = end
            continue
        if not level:
            # A prime is a superscript in TeX: after one, it needs a new, empty base (and is one itself).
            parts.append(("{}" if row[k].latex == "'" and "^" in scripts else "") + row[k].latex)
            if row[k].latex == "'":
                scripts = {"^"}
            elif row[k].composed and row[k].latex.startswith(_LIMIT_OPS):
                scripts = {"_", "^"}
            else:
                scripts = set()
            k += 1
            continue
        group = [row[k]]
        k += 1
        while k < len(row) and _continues(row[k], group, level, baseline, body):
            group.append(row[k])
            k += 1
        # A script's own scripts (e^{-k(P_{i,j})}): the group read as a row at script size.
        inner = _row(group, 0.7 * body, level) if len(group) > 1 else group[0].latex
        parts.append(("{}" if level in scripts else "") + f"{level}{{{inner.strip()}}}")
        scripts = {level} if level in scripts else scripts | {level}
    text = "".join(_sep(p) for p in parts).strip()
    return _FUNCTION_RE.sub(r"\\\1 ", text).replace("  ", " ").strip()


def _sep(latex: str) -> str:
    """A command followed by a letter needs a space to end it."""
    return latex + " " if latex.startswith("\\") and latex[1:].isalpha() else latex


def _number_tag(items: list[Item], body: float) -> tuple[list[Item], str]:
    """An equation number set apart at the right ("(3)", "(2.1)"): taken out as its text."""
    ordered = sorted(items, key=lambda i: i.x0)
    for k in range(len(ordered) - 1, 0, -1):
        tail = ordered[k:]
        text = "".join(i.char for i in tail)
        if len(text) > 8:
            break
        number = _NUMBER_TAG.match(text)
        if number and ordered[k].x0 - max(i.x1 for i in ordered[:k]) > 0.9 * body:
            return ordered[:k], number.group(1)
    return items, ""


def read_formula(
    grey: np.ndarray,
    lines: list[OcrLine],
    recognize: Recognize | None = None,
    exclude: Sequence[Box] = (),
) -> FormulaText | None:
    """The formula in `grey` (its crop) as LaTeX, from its recognized lines (boxes in the crop's pixels);
    None when nothing was read or the result is not well formed. With `recognize` (see read_crop), ink that
    no line's characters took is read as lines of its own first. Ink inside `exclude` (other text lines of
    the page that reach into the crop) is not the formula's."""
    ink = ink_mask(grey)
    pieces = _components(ink)
    if len(pieces) and exclude:
        cx, cy = (pieces[:, 0] + pieces[:, 2]) / 2, (pieces[:, 1] + pieces[:, 3]) / 2
        out = np.zeros(len(pieces), bool)
        for x0, y0, x1, y1 in exclude:
            out |= (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
        pieces = pieces[~out]
    if not len(pieces) or not lines:
        return None
    # Bars by the ink's usual height first (a bar's thinness is relative to the text), then by the body.
    w, h = pieces[:, 2] - pieces[:, 0], pieces[:, 3] - pieces[:, 1]
    solid = h[(h > 3) & (w < 4 * h)]
    is_bar = bars(pieces, float(np.median(solid)) / 0.85 if len(solid) else float(np.median(h)))
    items, used = glyphs(pieces, lines, is_bar)
    body = max(_body_height(items), 2.0)
    boxes = orphans(pieces, used, is_bar, body) if recognize is not None else []
    if boxes and recognize is not None:
        lines = lines + _read_boxes(grey, boxes, body, recognize)
        items, used = glyphs(pieces, lines, is_bar)
        body = max(_body_height(items), 2.0)
    if not items:
        return None
    items, tag = _number_tag(items, body)
    glyph_items = list(items)
    free_bars = [p for p in np.flatnonzero(bars(pieces, body) & is_bar) if p not in used]
    strokes = [Item("-", *map(float, pieces[p, :4]), bar=True) for p in free_bars]
    for bar in strokes:
        # A recognized minus (or a dash the recognizer made of a fraction bar) lying on the stroke is the
        # stroke: the bar takes its place.
        inside = [i for i in glyph_items if i.char in _MINUS_LIKE and bar.x0 <= i.cx <= bar.x1
                  and (not i.placed or i.y0 - 2 <= bar.cy <= i.y1 + 2)]  # fmt: skip
        items = [i for i in items if i not in inside] + [bar]
    items = _equals(items, body)
    items = _accents(items, ink, pieces, used | set(np.flatnonzero(is_bar).tolist()), body)
    latex = compose(items, body)
    latex = re.sub(r"\s+", " ", latex).strip()
    if not latex or check(_LAYOUT.sub(" ", latex)):
        return None
    if tag:
        latex += f" \\tag{{{tag}}}"
    confidences = [c for line in lines for c in line.confidences]
    return FormulaText(latex, float(np.mean(confidences)) if confidences else 0.0)


def _equals(items: list[Item], body: float) -> list[Item]:
    """An equals sign's strokes that its character did not take are that sign, not minus signs; two strokes of
    one width stacked close with no character read there are an equals sign."""
    strokes = [i for i in items if i.bar]
    signs = [i for i in items if i.char in _WITH_BARS]

    def overlap(a: Item, b: Item) -> float:
        return (min(a.x1, b.x1) - max(a.x0, b.x0)) / max(min(a.x1 - a.x0, b.x1 - b.x0), 1.0)

    drop = [
        b for b in strokes
        if any(overlap(b, g) >= 0.5 and g.y0 - 0.3 * body <= b.cy <= g.y1 + 0.3 * body for g in signs)
    ]  # fmt: skip
    items = [i for i in items if i not in drop]
    strokes = sorted((b for b in strokes if b not in drop), key=lambda b: b.y0)
    for k, a in enumerate(strokes):
        for b in strokes[k + 1 :]:
            if a in items and b in items and overlap(a, b) >= 0.8 and 0 < b.y0 - a.y1 <= 0.35 * body:
                between = [
                    i for i in items if i not in (a, b) and i.y0 < b.y0 and i.y1 > a.y1 and overlap(a, i) > 0
                ]
                if not between:
                    items = [i for i in items if i not in (a, b)]
                    items.append(Item("=", min(a.x0, b.x0), a.y0, max(a.x1, b.x1), b.y1, char="="))
    return items


def _accent_shape(ink: np.ndarray) -> str:
    """bar, dot, hat, vec or tilde, from the accent's ink (a box of the mask)."""
    h, w = ink.shape
    if w <= 1.6 * h:
        return "dot"
    if w >= 2.5 * h and ink.mean() >= 0.7:
        return "bar"
    cols = ink.any(axis=0)
    top = np.where(cols, ink.argmax(axis=0), h)
    height = np.where(cols, h - ink[::-1].argmax(axis=0) - top, 0)
    if height.max() <= max(2, 0.34 * h) and ink.mean() >= 0.7:
        return "bar"
    third = max(w // 5, 1)
    mid, edges = (
        top[w // 2 - third // 2 : w // 2 + third // 2 + 1].min(),
        min(top[:third].min(), top[-third:].min()),
    )
    if edges - mid >= 0.4 * h:
        return "hat"
    head = max(int(0.4 * w), 1)  # an arrow: a thin shaft, the head tall at the right
    if height[-head:].max() >= 0.6 * h and np.median(height[third:-third]) <= 0.35 * h:
        return "vec"
    return "tilde"


def _accents(
    items: list[Item], ink: np.ndarray, pieces: np.ndarray, used: set[int], body: float
) -> list[Item]:
    """Small marks right over a glyph are its accent (a bar, dot, hat, arrow or tilde); a bar over several
    glyphs of a row, with nothing over it, is an overline. Marks are pieces outside `used` (no character
    took them, and they are no bar), or bars that made no fraction."""
    glyph = [i for i in items if i.placed and i.char and not i.bar and not i.composed and not i.script]
    marks: list[tuple[Item | None, np.ndarray]] = [
        (b, np.array([b.x0, b.y0, b.x1, b.y1])) for b in items if b.bar
    ]
    marks += [
        (None, pieces[k, :4]) for k in range(len(pieces))
        if k not in used and pieces[k, 3] - pieces[k, 1] <= 0.3 * body and pieces[k, 2] - pieces[k, 0] <= 1.5 * body
    ]  # fmt: skip
    for bar, (x0, y0, x1, y1) in marks:
        cx = (x0 + x1) / 2
        under = [
            g
            for g in glyph
            if g.y0 >= y1 - 0.1 * body and g.y0 - y1 <= 0.45 * body and g.x0 < x1 and g.x1 > x0
        ]
        if not under:
            continue
        if bar is not None:
            over = [i for i in items if i is not bar and i.y1 <= y0 + 1 and y0 - i.y1 <= 0.7 * body
                    and i.x0 < x1 and i.x1 > x0]  # fmt: skip
            if over:
                continue  # a fraction's bar (its numerator was not read) or a minus, not an accent
        if bar is not None and len(under) > 1:
            row = sorted(under, key=lambda g: g.x0)
            line = _union(f"\\overline{{{compose(row, body)}}}", row)
            line.y0 = min(g.y0 for g in row)
            items = [i for i in items if i is not bar and i not in row] + [line]
            glyph = [g for g in glyph if g not in row]
            continue
        target = min(under, key=lambda g: abs(g.cx - cx) + abs(g.y0 - y1))
        if not target.x0 - 0.2 * body <= cx <= target.x1 + 0.2 * body:
            continue
        shape = "bar" if bar is not None else _accent_shape(ink[int(y0) : int(y1), int(x0) : int(x1)])
        target.latex = f"\\{shape}{{{target.latex}}}"
        target.char = ""  # no longer one plain character (a script test would misjudge it)
        glyph.remove(target)
        if bar is not None:
            items = [i for i in items if i is not bar]
    return items


def _read_boxes(
    grey: np.ndarray,
    boxes: list[tuple[int, ...]],
    body: float,
    recognize: Recognize,
) -> list[OcrLine]:
    """Read each box of ink as a line of text (with a margin, as the detector's boxes have)."""
    m = int(0.3 * body) + 2
    h, w = grey.shape[:2]
    crops: list[np.ndarray] = []
    frames: list[Box] = []
    for x0, y0, x1, y1 in boxes:
        bx0, by0, bx1, by1 = max(x0 - m, 0), max(y0 - m, 0), min(x1 + m, w), min(y1 + m, h)
        crops.append(_rgb(grey[by0:by1, bx0:bx1]))
        frames.append((float(bx0), float(by0), float(bx1), float(by1)))
    return _read_lines(crops, frames, recognize)


def _rgb(image: np.ndarray) -> np.ndarray:
    """A crop as the text recognizer takes it: three channels, contiguous."""
    return np.ascontiguousarray(np.stack([image] * 3, axis=-1) if image.ndim == 2 else image)


def _read_lines(crops: list[np.ndarray], boxes: list[Box], recognize: Recognize) -> list[OcrLine]:
    """Each crop read as one line, placed at its box; lines with no text left out."""
    return [
        OcrLine(box, r.text, list(r.char_spans), list(r.char_confidences))
        for box, r in zip(boxes, recognize(crops))
        if r.text.strip()
    ]


def read_crop(
    image: np.ndarray,
    quads: list[np.ndarray],
    recognize: Recognize,
    exclude: Sequence[Box] = (),
    known: Sequence[str | None] = (),
    charset: str | None = None,
) -> FormulaText | None:
    """`read_formula` on an image of the formula and its text lines' quads (in its pixels), each line read
    again by `recognize` (a text recognizer's batch call: images -> results with text, char_spans and
    char_confidences) for its characters' positions. Where a text layer says what a quad holds (`known`, one
    text or None per quad), its characters replace the ones read, placed where the reading put them;
    `charset`: all the characters the formula holds (a letter read in a case it does not have is put in the
    case it has)."""
    h, w = image.shape[:2]
    crops: list[np.ndarray] = []
    boxes: list[Box] = []
    truth: dict[Box, str] = {}
    for k, quad in enumerate(quads):
        q = np.asarray(quad, dtype=np.float64)
        x0, y0 = max(int(q[:, 0].min()), 0), max(int(q[:, 1].min()), 0)
        x1, y1 = min(int(np.ceil(q[:, 0].max())), w), min(int(np.ceil(q[:, 1].max())), h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        # Formula lines are upright: the box itself, left to right, whatever corner the quad starts at.
        crops.append(_rgb(image[y0:y1, x0:x1]))
        boxes.append((float(x0), float(y0), float(x1), float(y1)))
        if k < len(known) and known[k]:
            truth[boxes[-1]] = str(known[k])
    if not crops:
        return None
    lines = [aligned_to(line, truth[line.box]) if line.box in truth else line
             for line in _read_lines(crops, boxes, recognize)]  # fmt: skip
    if charset:
        lines = [replace(line, text=in_known_case(line.text, charset)) for line in lines]
    # Where the text layer gave every line, all the ink is read: none is left to read again on its own.
    again = None if truth and all(line.box in truth for line in lines) else recognize
    return read_formula(image, lines, again, exclude) if lines else None


def aligned_to(line: OcrLine, truth: str) -> OcrLine:
    """`line` with the characters of `truth` (what a text layer says it holds): the characters both have keep
    their reading's spans and confidences, a character read wrongly takes the true one's place, one read in
    excess is dropped, one missed is placed between its neighbours. Unchanged when the two differ too much to
    be the same line (a piece of three characters or fewer, a limit or an index, takes the layer's text)."""
    read = [(c, line.spans[k], line.confidences[k]) for k, c in enumerate(line.text)
            if not c.isspace() and k < len(line.spans) and k < len(line.confidences)]  # fmt: skip
    true = [c for c in truth if not c.isspace()]
    # A script character read as such ("₀" where the text layer has "0") matches, and is kept: it says where
    # the glyph sits.
    plain = [unicodedata.normalize("NFKC", c) for c, _, _ in read]
    matcher = difflib.SequenceMatcher(a=plain, b=true, autojunk=False)
    if not read or (matcher.ratio() < 0.5 and max(len(read), len(true)) > 3):  # a short piece: the layer's
        return line
    chars: list[str] = []
    spans: list[tuple[float, float]] = []
    confs: list[float] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for (c, span, conf), t in zip(read[i1:i2], true[j1:j2]):
                chars.append(c if unicodedata.decomposition(c).startswith(("<super>", "<sub>")) else t)
                spans.append(span)
                confs.append(conf)
        elif tag in ("replace", "insert"):
            start = read[i1 - 1][1][1] if tag == "insert" and i1 > 0 else read[min(i1, len(read) - 1)][1][0]
            end = read[i2 - 1][1][1] if tag == "replace" else read[i1][1][0] if i1 < len(read) else start
            step = (end - start) / (j2 - j1)
            conf = min((c for _, _, c in read[i1:i2]), default=0.5)
            for n, c in enumerate(true[j1:j2]):
                chars.append(c)
                spans.append((start + n * step, start + (n + 1) * step))
                confs.append(conf)
    return OcrLine(line.box, "".join(chars), spans, confs)


def in_known_case(text: str, known: str) -> str:
    """`text` with each letter missing from `known` whose other case is in it put in that case (OCR reads a
    small "c", "o", "s", "x" set alone as a capital: it cannot see the x-height)."""
    have = set(known)
    return "".join(
        c.swapcase()
        if c.isalpha() and c not in have and c.swapcase() in have and len(c.swapcase()) == 1
        else c
        for c in text
    )
