"""OmniDocBench-style end-to-end metrics on Markdown: text edit distance with block matching, table TEDS,
display-formula edit distance, reading-order edit distance, and the leaderboard's overall score.

Both sides (ground truth and prediction) are Markdown split into blocks. Normalization follows OmniDocBench's
evaluation code: text blocks keep only word characters (letters, digits, CJK: spaces and punctuation do not
count), formulas drop font and spacing commands, and tables are compared as HTML trees. Matching: text blocks by
the assignment of least total normalized edit distance, then unmatched blocks merged into an adjacent match
where that lowers its distance (OmniDocBench's quick match also joins split and merged paragraphs). Headers,
footers, page numbers, captions and footnotes are not in our Markdown and are not scored (OmniDocBench ignores
them too).
"""

from __future__ import annotations

import html as htmlmod
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL | re.IGNORECASE)
_FORMULA = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.DOTALL)


@dataclass
class Blocks:
    texts: list[str] = field(default_factory=list)  # text blocks in reading order (titles and lists included)
    tables: list[str] = field(default_factory=list)  # HTML
    formulas: list[str] = field(default_factory=list)  # LaTeX of display formulas


def _pipe_table_html(rows: list[str]) -> str:
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    cells = [r for r in cells if not all(re.fullmatch(r":?-{1,}:?", c) for c in r if c) or not any(r)]
    out = "".join("<tr>" + "".join(f"<td>{htmlmod.escape(c)}</td>" for c in r) + "</tr>" for r in cells)
    return f"<table>{out}</table>"


def split_markdown(md: str) -> Blocks:
    """Markdown -> text, table and formula blocks, in document order."""
    md = _IMAGE.sub(" ", _COMMENT.sub(" ", md))
    blocks = Blocks()
    # Tables and display formulas first (they may hold blank lines); leave a marker in their place.
    md = _TABLE.sub(lambda m: blocks.tables.append(m.group(0)) or "\n\n", md)
    md = _FORMULA.sub(lambda m: blocks.formulas.append((m.group(1) or m.group(2)).strip()) or "\n\n", md)
    for chunk in re.split(r"\n\s*\n", md):
        lines = [ln for ln in chunk.splitlines() if ln.strip()]
        pipe = [ln for ln in lines if ln.strip().startswith("|")]
        if pipe and len(pipe) >= 2 and len(pipe) == len(lines):
            blocks.tables.append(_pipe_table_html(pipe))
            continue
        text = " ".join(ln.strip() for ln in lines if not ln.strip().startswith("```"))
        if text.strip():
            blocks.texts.append(text)
    return blocks


def clean_text(text: str) -> str:
    """OmniDocBench's text normalization: markup and inline-math delimiters off, then word characters only."""
    text = unicodedata.normalize("NFKC", htmlmod.unescape(text))
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"^#{1,6}\s+", "", text)
    text = text.replace("$", "").replace("\\(", "").replace("\\)", "")
    return re.sub(r"[^\w\u4e00-\u9fff]", "", text.replace("_", ""))


_FORMULA_NOISE = (
    r"\mathbf", r"\mathrm", r"\mathnormal", r"\mathit", r"\mathbb", r"\mathcal", r"\mathscr", r"\mathfrak",
    r"\mathsf", r"\mathtt", r"\textbf", r"\text", r"\boldsymbol", r"\operatorname", r"\bm", r"\displaystyle",
    r"\left", r"\right", r"\quad", r"\qquad", r"\notag", " ",
)  # fmt: skip


def clean_formula(latex: str) -> str:
    latex = latex.strip().strip("$").strip()
    for pattern in (r"\\tag\{.*?\}", r"\\hspace\{.*?\}", r"\\begin\{.*?\}", r"\\end\{.*?\}"):
        latex = re.sub(pattern, "", latex)
    for noise in _FORMULA_NOISE:
        latex = latex.replace(noise, "")
    return latex.strip(".").lower()


def ned(a: str, b: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b) / max(len(a), len(b), 1)


def _lev(a: str, b: str) -> int:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b)


@dataclass
class TextMatch:
    edit: float  # sum of edit distances / sum of lengths, over every block of both sides
    order: float  # reading-order edit distance of the matched blocks
    matched: int
    gt_blocks: int


def match_text(gt: list[str], pred: list[str]) -> TextMatch:
    """Blocks matched one to one by least total normalized edit distance, then each unmatched predicted
    block joined to the match of its neighbour in predicted order, and each unmatched ground-truth block to the
    match of its neighbour in ground-truth order, where that lowers the distance."""
    from scipy.optimize import linear_sum_assignment

    g = [clean_text(t) for t in gt]
    p = [clean_text(t) for t in pred]
    g_ids = [i for i, t in enumerate(g) if t]
    p_ids = [j for j, t in enumerate(p) if t]
    if not g_ids or not p_ids:
        total = sum(len(g[i]) for i in g_ids) + sum(len(p[j]) for j in p_ids)
        return TextMatch(1.0 if total else 0.0, 1.0 if g_ids else 0.0, 0, len(g_ids))
    cost = np.array([[ned(g[i], p[j]) for j in p_ids] for i in g_ids])
    rows, cols = linear_sum_assignment(cost)
    # A pair whose distance is near 1 is no match at all: its blocks count as unmatched.
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for r, c in zip(rows, cols):
        if cost[r, c] < 0.7:
            groups[g_ids[r]] = ([g_ids[r]], [p_ids[c]])
    _absorb(groups, g, p, p_ids, by_pred=True)
    _absorb(groups, g, p, g_ids, by_pred=False)
    used_g = {i for gs, _ in groups.values() for i in gs}
    used_p = {j for _, ps in groups.values() for j in ps}
    dist = length = 0
    for gs, ps in groups.values():
        a, b = "".join(g[i] for i in gs), "".join(p[j] for j in ps)
        dist += _lev(a, b)
        length += max(len(a), len(b))
    for i in g_ids:
        if i not in used_g:
            dist += len(g[i])
            length += len(g[i])
    for j in p_ids:
        if j not in used_p:
            dist += len(p[j])
            length += len(p[j])
    # Reading order: the matched blocks in predicted order, named by their rank in ground-truth order.
    gt_rank = {min(gs): r for r, (gs, _) in enumerate(sorted(groups.values(), key=lambda gp: min(gp[0])))}
    in_pred_order = [gt_rank[min(gs)] for gs, ps in sorted(groups.values(), key=lambda gp: min(gp[1]))]
    order = _seq_ned(in_pred_order, sorted(in_pred_order)) if in_pred_order else 1.0
    return TextMatch(dist / max(length, 1), order, len(groups), len(g_ids))


def _seq_ned(a: list[int], b: list[int]) -> float:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b) / max(len(a), len(b), 1)


def _absorb(
    groups: dict[int, tuple[list[int], list[int]]], g: list[str], p: list[str], ids: list[int], by_pred: bool
) -> None:
    side = 1 if by_pred else 0
    for k in ids:
        if any(k in gp[side] for gp in groups.values()):
            continue
        best, gain = None, 0
        for key, (gs, ps) in groups.items():
            members = ps if by_pred else gs
            if min(abs(k - m) for m in members) != 1:
                continue  # only a neighbour's match
            a, b = "".join(g[i] for i in gs), "".join(p[j] for j in ps)
            grown = sorted(members + [k])
            a2 = a if by_pred else "".join(g[i] for i in grown)
            b2 = "".join(p[j] for j in grown) if by_pred else b
            before = _lev(a, b) + len(g[k] if not by_pred else p[k])
            after = _lev(a2, b2)
            if before - after > gain:
                best, gain = key, before - after
        if best is not None:
            gs, ps = groups[best]
            (ps if by_pred else gs).append(k)
            (ps if by_pred else gs).sort()


def match_tables(gt: list[str], pred: list[str], teds: callable) -> list[float]:  # type: ignore[valid-type]
    """TEDS of every ground-truth table against its best predicted table (one to one); 0 when none is left."""
    from scipy.optimize import linear_sum_assignment

    if not gt:
        return []
    if not pred:
        return [0.0] * len(gt)
    score = np.array([[teds(p, t) for p in pred] for t in gt])
    rows, cols = linear_sum_assignment(-score)
    out = [0.0] * len(gt)
    for r, c in zip(rows, cols):
        out[r] = float(score[r, c])
    return out


def match_formulas(gt: list[str], pred: list[str]) -> list[float]:
    """Normalized edit distance of every ground-truth display formula to its matched prediction (1 if none)."""
    from scipy.optimize import linear_sum_assignment

    if not gt:
        return []
    g, p = [clean_formula(x) for x in gt], [clean_formula(x) for x in pred]
    if not p:
        return [1.0] * len(g)
    cost = np.array([[ned(a, b) for b in p] for a in g])
    rows, cols = linear_sum_assignment(cost)
    out = [1.0] * len(g)
    for r, c in zip(rows, cols):
        out[r] = float(cost[r, c])
    return out


def overall(text_edit: float, teds_score: float, formula_edit: float) -> float:
    """OmniDocBench v1.5's overall: ((1 - text edit) x 100 + TEDS + formula score) / 3, with the formula score
    taken as (1 - formula edit) x 100 here (the leaderboard uses CDM, which needs a LaTeX renderer)."""
    return ((1 - text_edit) * 100 + teds_score * 100 + (1 - formula_edit) * 100) / 3
