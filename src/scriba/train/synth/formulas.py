"""Synthetic formula images with LaTeX labels: `scriba synth formulas -o DIR -n N --seed S`.

Formulas come from two sources, both offline: a random grammar of the constructs papers use most (fractions,
sub/superscripts, Greek, big operators with limits, roots, functions, accents, delimiters, relations), and
random SymPy expressions printed by `sympy.latex`. Every label is the canonical token form
(`scriba.formula.latex.normalize`), passes `check` and uses only the model's vocabulary. Images are rendered
by Matplotlib's TeX-math engine (no TeX installation needed) in five math font sets (Computer Modern, STIX,
STIX sans, DejaVu serif and sans) at several sizes, then degraded: grey levels, margins, blur, noise, slight
rotation, low resolution, JPEG. Sample i depends only on (seed, i), so a set is reproducible and can be grown.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from scriba.formula.latex import check, normalize, vocabulary

FONTSETS = ("cm", "stix", "stixsans", "dejavuserif", "dejavusans")
LATIN = "abcdefghijklmnopqrstuvwxyz"
GREEK_COMMON = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "theta",
    "lambda",
    "mu",
    "nu",
    "pi",
    "rho",
    "sigma",
    "tau",
    "phi",
    "psi",
    "omega",
    "xi",
    "eta",
    "kappa",
    "chi",
    "zeta",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Sigma",
    "Phi",
    "Psi",
    "Omega",
    "Pi",
]
REL = [
    "=",
    "=",
    "=",
    "\\leq",
    "\\geq",
    "<",
    ">",
    "\\neq",
    "\\approx",
    "\\equiv",
    "\\sim",
    "\\in",
    "\\subset",
    "\\rightarrow",
    "\\propto",
]
BIN = ["+", "+", "-", "-", "\\cdot", "\\times", "\\pm", "/"]
FUNCS = [
    "\\sin",
    "\\cos",
    "\\tan",
    "\\log",
    "\\ln",
    "\\exp",
    "\\det",
    "\\max",
    "\\min",
    "\\sinh",
    "\\cosh",
    "\\arctan",
]
ACCENTS = [
    "\\hat",
    "\\bar",
    "\\vec",
    "\\tilde",
    "\\dot",
    "\\mathbf",
    "\\mathrm",
    "\\overline",
    "\\mathcal",
    "\\mathbb",
]
BIGOPS = ["\\sum", "\\sum", "\\prod", "\\int", "\\int", "\\oint", "\\bigcup", "\\lim"]
SYMS = ["\\infty", "\\partial", "\\nabla", "\\hbar", "\\ell", "\\ldots", "\\cdots", "\\prime"]


class _Grammar:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def letter(self) -> str:
        r = self.r.random()
        if r < 0.55:
            return self.r.choice(LATIN)
        if r < 0.7:
            return self.r.choice(LATIN.upper())
        return "\\" + self.r.choice(GREEK_COMMON)

    def number(self) -> str:
        r = self.r.random()
        if r < 0.6:
            return str(self.r.randint(0, 9))
        if r < 0.85:
            return str(self.r.randint(10, 99))
        if r < 0.95:
            return f"{self.r.randint(0, 9)}.{self.r.randint(0, 99)}"
        return str(self.r.randint(100, 2024))

    def small(self) -> str:
        """A short script or limit: i, n+1, 2, k-1, ij, \\alpha."""
        r = self.r.random()
        if r < 0.35:
            return self.r.choice("ijknmtx")
        if r < 0.6:
            return self.number()
        if r < 0.8:
            return f"{self.r.choice('ijknm')} {self.r.choice(['+', '-'])} {self.r.randint(1, 3)}"
        if r < 0.9:
            return self.letter() + " " + self.letter()
        return self.letter()

    def atom(self, depth: int) -> str:
        r = self.r.random()
        if depth <= 0:
            r *= 0.55
        if r < 0.3:
            base = self.letter()
        elif r < 0.42:
            base = self.number()
        elif r < 0.47:
            base = self.r.choice(SYMS)
        elif r < 0.55:
            base = f"{self.r.choice(ACCENTS)} {{ {self.letter() if self.r.random() < 0.8 else self.letter() + ' ' + self.letter()} }}"
        elif r < 0.68:
            return f"\\frac {{ {self.expr(depth - 1, 1, 3)} }} {{ {self.expr(depth - 1, 1, 3)} }}"
        elif r < 0.74:
            idx = f" [ {self.r.choice(['3', 'n', '4'])} ]" if self.r.random() < 0.2 else ""
            return f"\\sqrt{idx} {{ {self.expr(depth - 1, 1, 3)} }}"
        elif r < 0.82:
            f = self.r.choice(FUNCS)
            if self.r.random() < 0.5:
                return f"{f} {self.letter()}"
            return f"{f} ( {self.expr(depth - 1, 1, 3)} )"
        elif r < 0.9:
            inner = self.expr(depth - 1, 2, 4)
            o, c = self.r.choice([("(", ")"), ("(", ")"), ("[", "]"), ("\\{", "\\}"), ("|", "|")])
            if self.r.random() < 0.4:
                base = f"\\left {o} {inner} \\right {c}"
            else:
                base = f"{o} {inner} {c}"
        else:
            return self.bigop(depth)
        return self.scripts(base)

    def scripts(self, base: str) -> str:
        r = self.r.random()
        if r < 0.55:
            return base
        if r < 0.72:
            return f"{base} ^ {{ {self.small()} }}"
        if r < 0.88:
            return f"{base} _ {{ {self.small()} }}"
        return f"{base} _ {{ {self.small()} }} ^ {{ {self.small()} }}"

    def bigop(self, depth: int) -> str:
        op = self.r.choice(BIGOPS)
        v = self.r.choice("ijknx")
        if op == "\\lim":
            to = self.r.choice(["0", "\\infty", "a"])
            lim = f"\\lim _ {{ {v} \\rightarrow {to} }}"
            return f"{lim} {self.expr(depth - 1, 1, 3)}"
        if op in ("\\int", "\\oint"):
            body = self.expr(depth - 1, 1, 3)
            lims = self.r.random()
            top = self.r.choice(["1", "\\infty", "b", "T", "x"])
            head = op if lims < 0.3 else f"{op} _ {{ {self.small()} }} ^ {{ {top} }}"
            return f"{head} {body} d {self.r.choice('xtsuy')}"
        if self.r.random() < 0.8:
            lo, hi = self.r.choice(["0", "1"]), self.r.choice(["n", "N", "\\infty", "k"])
            head = f"{op} _ {{ {v} = {lo} }} ^ {{ {hi} }}"
        else:
            head = f"{op} _ {{ {v} }}"
        return f"{head} {self.expr(depth - 1, 1, 3)}"

    def expr(self, depth: int, lo: int = 1, hi: int = 4) -> str:
        n = self.r.randint(lo, hi)
        parts = [self.atom(depth)]
        for _ in range(n - 1):
            if self.r.random() < 0.35:  # juxtaposition (products like 2 x, a b)
                parts.append(self.atom(depth))
            else:
                parts += [self.r.choice(BIN), self.atom(depth)]
        return " ".join(parts)

    def formula(self) -> str:
        depth = self.r.choice([1, 1, 2, 2, 3])
        lhs = self.expr(depth, 1, 3)
        if self.r.random() < 0.6:
            return f"{lhs} {self.r.choice(REL)} {self.expr(depth, 1, 4)}"
        return lhs


def sympy_formula(rng: random.Random) -> str:
    """A random SymPy expression (polynomials, rationals, powers, roots, functions) printed by sympy.latex."""
    import sympy as sp

    names = rng.sample(["x", "y", "z", "t", "a", "b", "n", "alpha", "theta", "omega", "lambda", "mu"], 3)
    syms = [sp.Symbol(n) for n in names]

    def term(d: int) -> sp.Expr:
        r = rng.random()
        s = rng.choice(syms)
        if d <= 0 or r < 0.3:
            return s ** rng.randint(1, 3) * rng.randint(1, 9) if rng.random() < 0.5 else s + rng.randint(1, 9)
        if r < 0.45:
            return term(d - 1) / term(d - 1)
        if r < 0.55:
            return sp.sqrt(term(d - 1))
        if r < 0.7:
            return rng.choice([sp.sin, sp.cos, sp.exp, sp.log, sp.tan])(term(d - 1))
        if r < 0.85:
            return term(d - 1) * term(d - 1)
        return term(d - 1) ** rng.randint(2, 4)

    e = term(rng.randint(1, 3)) + (term(1) if rng.random() < 0.5 else 0)
    out = sp.latex(e)
    if rng.random() < 0.4:
        out = f"{rng.choice(['f', 'g', 'y', 'F'])}({sp.latex(syms[0])}) = " + out
    return out


_VOCAB = set(vocabulary())


def random_formula(rng: random.Random, max_tokens: int = 64) -> str:
    """One canonical formula (retries until it is well formed, in the vocabulary and not too long)."""
    while True:
        raw = sympy_formula(rng) if rng.random() < 0.25 else _Grammar(rng).formula()
        canon = normalize(raw)
        toks = canon.split()
        if 1 <= len(toks) <= max_tokens and not check(canon) and all(t in _VOCAB for t in toks):
            return canon


_PARSER = None


def render(canonical: str, fontset: str = "cm", size: float = 14.0, dpi: int = 100) -> np.ndarray:
    """Ink coverage (H x W uint8, 255 = ink) of a formula rendered by Matplotlib's TeX-math engine."""
    global _PARSER
    if _PARSER is None:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import mathtext

        _PARSER = mathtext.MathTextParser("agg")
    from matplotlib.font_manager import FontProperties

    out = _PARSER.parse(f"${canonical}$", dpi=dpi, prop=FontProperties(size=size, math_fontfamily=fontset))
    return np.asarray(out.image, dtype=np.uint8)


def degrade(ink: np.ndarray, rng: random.Random, clean: bool = False) -> Image.Image:
    """A grey page image of the ink: margins, grey levels, then (unless clean) blur, rotation, low
    resolution, noise and JPEG."""
    h, w = ink.shape
    m = [rng.randint(2, 14) for _ in range(4)] if not clean else [6, 6, 6, 6]
    canvas = np.zeros((h + m[0] + m[1], w + m[2] + m[3]), np.float32)
    canvas[m[0] : m[0] + h, m[2] : m[2] + w] = ink / 255.0
    bg = rng.uniform(200, 255) if not clean else 255.0
    fg = rng.uniform(0, 80) if not clean else 0.0
    img = bg + (fg - bg) * canvas
    if not clean and rng.random() < 0.3:  # illumination gradient
        ramp = np.linspace(0, rng.uniform(-30, 30), img.shape[1], dtype=np.float32)
        img = img + ramp[None, :]
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "L")
    if clean:
        return pil
    if rng.random() < 0.3:
        pil = pil.rotate(rng.uniform(-1.5, 1.5), resample=Image.BILINEAR, expand=True, fillcolor=int(bg))
    if rng.random() < 0.3:
        s = rng.uniform(0.45, 0.8)
        small = pil.resize((max(8, int(pil.width * s)), max(8, int(pil.height * s))), Image.BILINEAR)
        pil = small.resize(pil.size, Image.BILINEAR)
    if rng.random() < 0.35:
        pil = pil.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.1)))
    if rng.random() < 0.4:
        arr = np.asarray(pil, np.float32)
        arr = arr + np.random.default_rng(rng.randint(0, 1 << 30)).normal(0, rng.uniform(2, 12), arr.shape)
        pil = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    if rng.random() < 0.4:
        buf = io.BytesIO()
        pil.save(buf, "JPEG", quality=rng.randint(30, 90))
        buf.seek(0)
        pil = Image.open(buf).convert("L")
    return pil


def sample(seed: int, index: int, clean: bool = False, max_tokens: int = 64) -> tuple[Image.Image, str, dict]:
    """Sample `index` of the set with this seed: (image, canonical LaTeX, rendering settings)."""
    rng = random.Random(seed * 1_000_003 + index)
    while True:
        latex = random_formula(rng, max_tokens)
        fontset = rng.choice(FONTSETS)
        size = rng.uniform(10, 18)
        dpi = rng.choice([72, 100, 100, 120, 150])
        try:
            ink = render(latex, fontset, size, dpi)
        except (ValueError, RuntimeError):  # a construct mathtext cannot draw: draw another formula
            continue
        if ink.size == 0 or ink.max() == 0:
            continue
        return degrade(ink, rng, clean), latex, {"fontset": fontset, "size": round(size, 2), "dpi": dpi}


def write_set(
    out: str | Path, n: int, seed: int = 0, start: int = 0, clean: bool = False, max_tokens: int = 64
) -> Path:
    """Writes images/NNNNNN.png and labels.tsv (`images/NNNNNN.png<TAB>canonical LaTeX`) under `out`; with
    start > 0 appends samples start..n-1 to an existing set."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "meta.json").write_text(
        json.dumps(
            {
                "seed": seed,
                "n": n,
                "clean": clean,
                "max_tokens": max_tokens,
                "renderer": "matplotlib.mathtext",
                "fontsets": FONTSETS,
            }
        )
    )
    with open(out / "labels.tsv", "a" if start else "w", encoding="utf-8") as fh:
        for i in range(start, n):
            img, latex, _ = sample(seed, i, clean, max_tokens)
            name = f"images/{i:06d}.png"
            img.save(out / name)
            fh.write(f"{name}\t{latex}\n")
            fh.flush()
    return out / "labels.tsv"
