"""LaTeX for formulas: tokenization, one canonical form per formula, the token vocabulary, and a check that a
string is well formed (balanced braces, known commands, arguments where commands need them).

Tokens are split as UniMERNet / OmniDocBench do: a command (`\\alpha`, `\\,`), or one character; the canonical
form joins them with single spaces (`\\frac { a } { b } + x _ { i } ^ { 2 }`), which is valid LaTeX. Canonical
rules (so that one rendered formula has one target):

- `$`, `\\displaystyle`, `\\label{..}`, `\\nonumber` and spacing (`\\,`, `\\;`, `\\quad`, `~`, ...) are dropped;
- synonyms become one command (`\\le` -> `\\leq`, `\\dfrac` -> `\\frac`, `\\to` -> `\\rightarrow`, ...);
  old font switches become commands (`{\\rm d}` -> `\\mathrm { d }`);
- command arguments and scripts are always braced (`x^2` -> `x ^ { 2 }`, `\\frac12` -> `\\frac { 1 } { 2 }`),
  a subscript comes before a superscript (`x^2_i` -> `x _ { i } ^ { 2 }`);
- braces that group nothing visible are dropped (`{x}+{y}` -> `x + y`, `{a}^{2}` -> `a ^ { 2 }`), kept where a
  script applies to a group (`{a+b}^{2}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\S", re.DOTALL)

DROP = {
    "\\displaystyle",
    "\\textstyle",
    "\\scriptstyle",
    "\\nonumber",
    "\\notag",
    "\\limits",
    "\\nolimits",
    "\\,",
    "\\;",
    "\\:",
    "\\!",
    "\\ ",
    "\\quad",
    "\\qquad",
    "~",
    "\\enspace",
    "\\thinspace",
    "\\medskip",
    "\\hfill",
    "\\big",
    "\\Big",
    "\\bigg",
    "\\Bigg",
    "\\bigl",
    "\\bigr",
    "\\Bigl",
    "\\Bigr",
    "\\biggl",
    "\\biggr",
    "$",
    "\\protect",
    "\\hspace",
    "\\vspace",
    "\\>",
    "\\small",
    "\\large",
    "\\scriptsize",
}
SYNONYMS = {
    "\\le": "\\leq",
    "\\ge": "\\geq",
    "\\ne": "\\neq",
    "\\to": "\\rightarrow",
    "\\gets": "\\leftarrow",
    "\\dfrac": "\\frac",
    "\\tfrac": "\\frac",
    "\\lbrace": "\\{",
    "\\rbrace": "\\}",
    "\\vert": "|",
    "\\lvert": "|",
    "\\rvert": "|",
    "\\Vert": "\\|",
    "\\lVert": "\\|",
    "\\rVert": "\\|",
    "\\dots": "\\ldots",
    "\\dotsc": "\\ldots",
    "\\dotsb": "\\cdots",
    "\\land": "\\wedge",
    "\\lor": "\\vee",
    "\\lnot": "\\neg",
    "\\bm": "\\mathbf",
    "\\boldsymbol": "\\mathbf",
    "\\textbf": "\\mathbf",
    "\\textit": "\\mathit",
    "\\textrm": "\\mathrm",
    "\\rm": "\\mathrm",
    "\\bf": "\\mathbf",
    "\\it": "\\mathit",
    "\\cal": "\\mathcal",
    "\\mit": "\\mathit",
    "\\sf": "\\mathsf",
    "\\tt": "\\mathtt",
    "\\Bbb": "\\mathbb",
    "\\emptyset": "\\varnothing",
    "\\implies": "\\Rightarrow",
    "\\mbox": "\\mathrm",
    "\\hbox": "\\mathrm",
    "\\textnormal": "\\mathrm",
    "\\iff": "\\Leftrightarrow",
    "\\owns": "\\ni",
    "\\bmod": "\\mod",
}
OLD_FONT_SWITCHES = {"\\rm", "\\bf", "\\it", "\\cal", "\\mit", "\\sf", "\\tt"}
# commands with a number of required arguments (`\\sqrt` also takes an optional [n])
ARITY = {
    "\\frac": 2,
    "\\binom": 2,
    "\\sqrt": 1,
    "\\mathrm": 1,
    "\\mathbf": 1,
    "\\mathit": 1,
    "\\mathcal": 1,
    "\\mathbb": 1,
    "\\mathsf": 1,
    "\\mathtt": 1,
    "\\mathfrak": 1,
    "\\operatorname": 1,
    "\\text": 1,
    "\\hat": 1,
    "\\bar": 1,
    "\\vec": 1,
    "\\tilde": 1,
    "\\dot": 1,
    "\\ddot": 1,
    "\\overline": 1,
    "\\underline": 1,
    "\\widehat": 1,
    "\\widetilde": 1,
    "\\overrightarrow": 1,
    "\\check": 1,
    "\\breve": 1,
    "\\acute": 1,
    "\\grave": 1,
    "\\mathring": 1,
    "\\begin": 1,
    "\\end": 1,
    "\\label": 1,
}
GREEK = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "varpi",
    "rho",
    "varrho",
    "sigma",
    "varsigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
]
FUNCTIONS = [
    "sin",
    "cos",
    "tan",
    "cot",
    "sec",
    "csc",
    "sinh",
    "cosh",
    "tanh",
    "coth",
    "arcsin",
    "arccos",
    "arctan",
    "log",
    "ln",
    "exp",
    "lim",
    "max",
    "min",
    "sup",
    "inf",
    "det",
    "dim",
    "ker",
    "deg",
    "gcd",
    "arg",
    "mod",
    "Pr",
]
SYMBOLS = [
    "sum",
    "prod",
    "int",
    "oint",
    "iint",
    "coprod",
    "bigcup",
    "bigcap",
    "bigoplus",
    "bigotimes",
    "infty",
    "partial",
    "nabla",
    "pm",
    "mp",
    "times",
    "div",
    "cdot",
    "circ",
    "ast",
    "star",
    "bullet",
    "oplus",
    "otimes",
    "leq",
    "geq",
    "neq",
    "approx",
    "equiv",
    "sim",
    "simeq",
    "cong",
    "propto",
    "ll",
    "gg",
    "subset",
    "supset",
    "subseteq",
    "supseteq",
    "in",
    "notin",
    "ni",
    "cup",
    "cap",
    "setminus",
    "wedge",
    "vee",
    "neg",
    "forall",
    "exists",
    "varnothing",
    "rightarrow",
    "leftarrow",
    "Rightarrow",
    "Leftarrow",
    "leftrightarrow",
    "Leftrightarrow",
    "mapsto",
    "longrightarrow",
    "uparrow",
    "downarrow",
    "ldots",
    "cdots",
    "vdots",
    "ddots",
    "prime",
    "hbar",
    "ell",
    "Re",
    "Im",
    "aleph",
    "angle",
    "perp",
    "parallel",
    "mid",
    "langle",
    "rangle",
    "lfloor",
    "rfloor",
    "lceil",
    "rceil",
    "left",
    "right",
    "dagger",
    "triangle",
    "Box",
    "models",
    "vdash",
    "top",
    "bot",
]
KNOWN_COMMANDS = (
    {f"\\{c}" for c in GREEK + FUNCTIONS + SYMBOLS}
    | set(ARITY)
    | {"\\{", "\\}", "\\|", "\\#", "\\%", "\\&", "\\_"}
) - {"\\label"}
# delimiters that may follow \left / \right
DELIMITERS = {
    "(",
    ")",
    "[",
    "]",
    "|",
    ".",
    "/",
    "\\{",
    "\\}",
    "\\|",
    "\\langle",
    "\\rangle",
    "\\lfloor",
    "\\rfloor",
    "\\lceil",
    "\\rceil",
    "<",
    ">",
}
PLAIN_CHARS = (
    [chr(c) for c in range(ord("a"), ord("z") + 1)]
    + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    + list("0123456789")
    + list("+-=()[]<>|/.,;:!'*?&@\"")
    + ["{", "}", "_", "^"]
)

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"


def vocabulary() -> list[str]:
    """The model's output tokens: 4 specials, then every plain character and known command (fixed order)."""
    return [PAD, BOS, EOS, UNK] + PLAIN_CHARS + sorted(KNOWN_COMMANDS)


def tokenize(latex: str) -> list[str]:
    """Raw tokens: commands (`\\frac`, `\\,`) and single characters; whitespace is dropped."""
    return _TOKEN.findall(latex)


@dataclass
class _Node:
    kind: str  # tok | group | cmd | script
    tok: str = ""
    children: list[_Node] | None = None  # group contents
    args: list[_Node] | None = None  # cmd arguments (groups); cmd optional argument in `opt`
    opt: _Node | None = None
    base: _Node | None = None
    sub: _Node | None = None
    sup: _Node | None = None


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.t = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def next(self) -> str:
        tok = self.t[self.i]
        self.i += 1
        return tok

    def seq(self, closing: str | None) -> list[_Node]:
        """A sequence up to `closing`; `{A \\over B}` becomes `\\frac { A } { B }`."""
        nodes = self._seq(closing)
        for i, n in enumerate(nodes):
            if n.kind == "tok" and n.tok in ("\\over", "\\atop"):
                cmd = "\\frac" if n.tok == "\\over" else "\\binom"
                num, den = _Node("group", children=nodes[:i]), _Node("group", children=nodes[i + 1 :])
                return [_Node("cmd", tok=cmd, args=[num, den])]
        return nodes

    def _seq(self, closing: str | None) -> list[_Node]:
        nodes: list[_Node] = []
        while True:
            tok = self.peek()
            if tok is None:
                return nodes
            if tok == closing:
                return nodes
            if tok == "}":
                if closing is None:  # a stray closing brace: dropped
                    self.next()
                    continue
                return nodes
            if tok in OLD_FONT_SWITCHES:  # `\rm xyz` applies to the rest of the group
                self.next()
                rest = self.seq(closing)
                nodes.append(_Node("cmd", SYNONYMS[tok], args=[_Node("group", children=rest)]))
                return nodes
            if tok in ("_", "^"):
                base = nodes.pop() if nodes and nodes[-1].kind != "script" else _Node("group", children=[])
                nodes.append(self.scripts(base))
                continue
            atom = self.atom()
            if atom is not None:
                nodes.append(atom)

    def scripts(self, base: _Node) -> _Node:
        node = _Node("script", base=base)
        while self.peek() in ("_", "^"):
            which = self.next()
            arg = self.arg()
            if which == "_" and node.sub is None:
                node.sub = arg
            elif which == "^" and node.sup is None:
                node.sup = arg
            else:  # a double script: TeX refuses it; keep it as a new empty-based script
                node = _Node(
                    "script", base=node, sub=arg if which == "_" else None, sup=arg if which == "^" else None
                )
        return node

    def arg(self) -> _Node:
        """One argument: a braced group, or a single token (a command with its own arguments)."""
        while self.peek() in DROP:
            self.next()
        tok = self.peek()
        if tok is None:
            return _Node("group", children=[])
        if tok == "{":
            self.next()
            children = self.seq("}")
            if self.peek() == "}":
                self.next()
            return _Node("group", children=children)
        atom = self.atom()
        return _Node("group", children=[atom] if atom is not None else [])

    def atom(self) -> _Node | None:
        tok = self.next()
        if tok in DROP:
            if tok in ("\\hspace", "\\vspace"):
                self.arg()
            return None
        tok = SYNONYMS.get(tok, tok)
        if tok == "{":
            children = self.seq("}")
            if self.peek() == "}":
                self.next()
            return _Node("group", children=children)
        if tok == "\\label":
            self.arg()
            return None
        if tok in ("\\left", "\\right"):
            while self.peek() in DROP:
                self.next()
            delim = self.next() if self.peek() is not None else "."
            return _Node("tok", tok=f"{tok} {SYNONYMS.get(delim, delim)}")
        if tok in ARITY:
            opt = None
            if tok == "\\sqrt" and self.peek() == "[":
                self.next()
                opt_children = self.seq("]")
                if self.peek() == "]":
                    self.next()
                opt = _Node("group", children=opt_children)
            args = [self.arg() for _ in range(ARITY[tok])]
            if tok == "\\operatorname":  # `\operatorname{sin}` -> `\sin` where that command exists
                name = "".join(_serialize_seq(args[0].children or []).split())
                if f"\\{name}" in KNOWN_COMMANDS:
                    return _Node("tok", tok=f"\\{name}")
            return _Node("cmd", tok=tok, args=args, opt=opt)
        return _Node("tok", tok=tok)


def _serialize_seq(nodes: list[_Node]) -> str:
    return " ".join(s for s in (_serialize(n, top=True) for n in nodes) if s)


def _is_single(node: _Node) -> bool:
    return (
        node.kind == "group"
        and node.children is not None
        and len(node.children) == 1
        and node.children[0].kind in ("tok", "cmd")
    )


def _serialize(node: _Node, top: bool = False) -> str:
    if node.kind == "tok":
        return node.tok
    if node.kind == "group":
        inner = _serialize_seq(node.children or [])
        if top:  # a free-standing group: its braces show nothing
            return inner
        return f"{{ {inner} }}" if inner else "{ }"
    if node.kind == "cmd":
        out = node.tok
        if node.opt is not None:
            out += f" [ {_serialize_seq(node.opt.children or [])} ]"
        for a in node.args or []:
            out += " " + _serialize(a)
        return out
    # script
    base = node.base
    assert base is not None
    if base.kind == "group" and not base.children:
        b = "{ }"
    elif base.kind == "group" and not _is_single(base):
        b = _serialize(base)
    elif base.kind == "group":
        b = _serialize(base.children[0])  # type: ignore[index]
    else:
        b = _serialize(base)
    out = b
    if node.sub is not None:
        out += " _ " + _serialize(node.sub)
    if node.sup is not None:
        out += " ^ " + _serialize(node.sup)
    return out


def normalize(latex: str) -> str:
    """The canonical, space-separated token form of a formula (see the module docstring)."""
    s = latex.strip()
    for env in ("equation", "equation*", "displaymath", "align*", "align"):
        s = s.replace(f"\\begin{{{env}}}", "").replace(f"\\end{{{env}}}", "")
    s = s.replace("\\[", " ").replace("\\]", " ")
    tokens = [t for t in tokenize(s)]
    nodes = _Parser(tokens).seq(None)
    return _serialize_seq(nodes)


def tokens_of(canonical: str) -> list[str]:
    """The tokens of a canonical string (`normalize`'s output), as the model reads and writes them."""
    return canonical.split()


def check(latex: str) -> list[str]:
    """What is wrong with a formula: unbalanced braces or \\left/\\right, unknown commands, missing arguments.
    An empty list means well formed (within the commands Scriba knows)."""
    problems: list[str] = []
    toks = tokenize(latex)
    depth = 0
    lr = 0
    for i, t in enumerate(toks):
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
            if depth < 0:
                problems.append("a closing brace without an opening one")
                depth = 0
        elif t.startswith("\\") and len(t) > 1:
            if t in ("\\left", "\\right"):
                lr += 1 if t == "\\left" else -1
                if lr < 0:
                    problems.append("\\right without \\left")
                    lr = 0
                nxt = toks[i + 1] if i + 1 < len(toks) else None
                if nxt not in DELIMITERS:
                    problems.append(f"{t} without a delimiter")
            elif t not in KNOWN_COMMANDS:
                problems.append(f"unknown command {t}")
            elif t in ARITY:
                nxt = toks[i + 1] if i + 1 < len(toks) else None
                if t == "\\sqrt" and nxt == "[":
                    continue
                if nxt is None or nxt in ("}", "_", "^", "&"):
                    problems.append(f"{t} without its argument")
        elif t in ("_", "^"):
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is None or nxt in ("}", "_", "^"):
                problems.append(f"{t} without its argument")
    if depth:
        problems.append("unbalanced braces")
    if lr:
        problems.append("unbalanced \\left / \\right")
    return problems
