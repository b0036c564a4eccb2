"""Tables the layout model reads as text: unruled grids of numbers (financial statements, data sheets).

The layout model often sees such a table as a few text regions (the labels, one per column of figures) or as
nothing at all, and the figures come out as paragraphs of numbers. Here the words decide. Phrases (words close
together on a line) that are numbers, amounts or percentages are stacked into columns when they align (right
edges, left edges or centres) row after row; columns that share at least three rows make the body of a table.
The table then takes in the text columns beside the figures (row labels, units), the column headers above
them and every phrase in between, and becomes a 'table' region; text regions it covers go.

Guards against false tables: at least three rows with two or more figures each, and three column alignments
(two columns of figures at least, with the row labels or units beside them as the third); an even row pitch,
close rows; cells, not sentences; not a form's "Label:" fields; not page numbers with titles between them (a
table of contents or an index is text, as PP-StructureV3 and OmniDocBench count it; dot leaders alone do not
decide, since financial statements use them too). Running text in columns has its numbers inside sentences,
so it gives no columns of figures to begin with.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

from scriba.document import Line, bbox_of
from scriba.pipeline.reading_order import Box
from scriba.pipeline.tables import CURRENCY_SIGNS, count_words, is_currency_sign

# Kinds of region whose lines may form a table; lines of figures, formulas, headers and footers may not.
TEXT_REGION_KINDS = ("text", "reference", "title")
_UNITS = {
    "%", "x", "pp", "bps", "bp", "bn", "m", "k", "v", "mv", "a", "ma", "µa", "ua", "w", "mw", "hz", "khz", "mhz",
    "ghz", "ms", "µs", "us", "ns", "s", "°c", "°f", "kg", "g", "mm", "cm", "km", "ω", "kω", "mb", "gb", "kb",
}  # fmt: skip
_NUMBER = re.compile(r"^[-−–+±]?[(\[]?[-−–+]?\d[\d,.'’\u2009\u202f]*[)\]]?%?[*†‡]?$")
_DASHES = {"-", "–", "—", "−", "n/a", "N/A", "na", "NA", "nm", "NM", "*", "**", "…", "--", "---"}
_LEADER = re.compile(r"^([.·…_]\s?){3,}$")

NUM, DASH, CURRENCY, LEADER, TEXT = "num", "dash", "currency", "leader", "text"


@dataclass
class Phrase:
    text: str
    box: Box
    kind: str = TEXT
    h: float = field(init=False)  # height
    yc: float = field(init=False)  # centre
    xc: float = field(init=False)

    def __post_init__(self) -> None:
        self.h = max(self.box[3] - self.box[1], 1.0)
        self.yc = (self.box[1] + self.box[3]) / 2
        self.xc = (self.box[0] + self.box[2]) / 2


def cell_kind(text: str) -> str:
    """NUM for a figure (1,136; (23.5); $ 4,737; 12.5%; 3.3 V), DASH for an empty cell's mark, CURRENCY for a
    lone currency sign (set apart from its amount), LEADER for dot leaders, TEXT otherwise."""
    t = text.strip()
    if not t:
        return TEXT
    if t in _DASHES:
        return DASH
    if _LEADER.match(t):
        return LEADER
    if is_currency_sign(t):
        return CURRENCY
    tokens = t.split()
    if len(tokens) > 3:
        return TEXT
    core = [x for x in tokens if not is_currency_sign(x)]
    if not core:
        return CURRENCY
    if len(core) == 2 and core[1].lower() in _UNITS:  # "3.3 V", "12 %"
        core = core[:1]
    if len(core) != 1:
        return TEXT
    num = "".join(c for c in core[0] if c not in CURRENCY_SIGNS)
    unit = re.match(r"^(.*?\d)([a-zA-Zµ°ω%]{1,3})$", num)
    if unit and unit.group(2).lower() in _UNITS:
        num = unit.group(1)
    return NUM if _NUMBER.match(num) and len(num) <= 16 else TEXT


def phrases_of(lines: list[Line]) -> list[Phrase]:
    """The phrases of the lines: words split where the gap exceeds about a character height (table columns; a
    line of the text layer is already cut at such gaps, an OCR line may not be)."""
    out: list[Phrase] = []
    for line in lines:
        words = [(w.text, bbox_of(w.polygon)) for w in line.words if w.text.strip()] or [
            (line.text, bbox_of(line.polygon))
        ]
        words.sort(key=lambda w: w[1][0])
        group: list[tuple[str, Box]] = []
        for text, b in words:
            if group:
                prev = group[-1][1]
                if b[0] - prev[2] > 0.8 * min(prev[3] - prev[1], b[3] - b[1]):
                    out.append(_phrase(group))
                    group = []
            group.append((text, b))
        if group:
            out.append(_phrase(group))
    return out


def _phrase(words: list[tuple[str, Box]]) -> Phrase:
    text = " ".join(t for t, _ in words)
    box = (
        min(b[0] for _, b in words),
        min(b[1] for _, b in words),
        max(b[2] for _, b in words),
        max(b[3] for _, b in words),
    )
    return Phrase(text, box, cell_kind(text))


def _aligned(a: Phrase, b: Phrase) -> bool:
    tol = 0.6 * min(a.h, b.h)
    return min(abs(a.box[2] - b.box[2]), abs(a.box[0] - b.box[0]), abs(a.xc - b.xc)) <= tol


def figure_columns(phrases: list[Phrase]) -> list[list[Phrase]]:
    """Figures stacked into columns: each joins the column whose last figure sits one to six line heights
    above it (a blank line and a row of labels may come between) and aligns with it (the nearest such);
    columns of three figures or more."""
    cols: list[list[Phrase]] = []
    for p in sorted((q for q in phrases if q.kind in (NUM, DASH)), key=lambda q: (q.yc, q.box[0])):
        best, best_key = None, (np.inf, np.inf)
        for col in cols:
            last = col[-1]
            dy = p.yc - last.yc
            h = max(p.h, last.h)
            if 0.6 * h < dy <= 6 * h and _aligned(p, last):
                key = (dy, abs(p.box[2] - last.box[2]))
                if key < best_key:
                    best, best_key = col, key
        if best is None:
            cols.append([p])
        else:
            best.append(p)
    return [c for c in cols if len(c) >= 3 and sum(p.kind == NUM for p in c) >= 2]


def _ordinal(text: str) -> tuple[int, ...] | None:
    """A page number (12) or a section number (3.1.2) as a tuple that sorts in reading order, else None."""
    t = text.strip().rstrip(".")
    if not re.fullmatch(r"\d{1,4}(\.\d{1,3})*", t):
        return None
    return tuple(int(x) for x in t.split("."))


def _page_numbers(cols: list[list[Phrase]]) -> bool:
    """Columns of page and section numbers that never go down (a table of contents, an index)."""
    for col in cols:
        values = [_ordinal(p.text) for p in col]
        if None in values or any(b < a for a, b in itertools.pairwise(values)):  # type: ignore[operator]
            return False
    return True


def _shared_rows(a: list[Phrase], b: list[Phrase]) -> int:
    """How many phrases of `a` have one of `b` on their row."""
    ya, ha = np.array([p.yc for p in a]), np.array([p.h for p in a])
    yb, hb = np.array([p.yc for p in b]), np.array([p.h for p in b])
    near = np.abs(ya[:, None] - yb[None, :]) <= 0.5 * np.minimum(ha[:, None], hb[None, :])
    return int(near.any(axis=1).sum())


def _x_overlap(a: Box, b: Box) -> float:
    return min(a[2], b[2]) - max(a[0], b[0])


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@dataclass
class TextTable:
    box: Box
    phrases: list[Phrase]
    rows: int  # rows with figures
    columns: int  # column alignments (figures and text)


def find_grids(phrases: list[Phrase]) -> list[TextTable]:
    """Tables among the phrases of a page (see the module's docstring)."""
    cols = figure_columns(phrases)
    if len(cols) < 2:
        return []
    extents = [(min(p.box[0] for p in c), max(p.box[2] for p in c)) for c in cols]
    parent = list(range(len(cols)))
    for i, j in itertools.combinations(range(len(cols)), 2):
        separate = min(extents[i][1], extents[j][1]) <= max(extents[i][0], extents[j][0])
        if separate and _shared_rows(cols[i], cols[j]) >= 3:
            parent[_find(parent, j)] = _find(parent, i)
    groups: dict[int, list[int]] = {}
    for i in range(len(cols)):
        groups.setdefault(_find(parent, i), []).append(i)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        for run in _row_runs([cols[i] for i in members]):
            table = _grow(run, phrases)
            if table is not None:
                out.append(table)
    return out


def _row_runs(cols: list[list[Phrase]]) -> list[list[list[Phrase]]]:
    """Rows holding figures of two columns or more, cut into runs at wide gaps; each run as its rows (the
    figures of each row), runs of three rows or more."""
    figures = sorted((p for c in cols for p in c), key=lambda p: p.yc)
    col_of = {id(p): k for k, c in enumerate(cols) for p in c}
    rows: list[list[Phrase]] = []
    for p in figures:
        if rows and abs(p.yc - np.mean([q.yc for q in rows[-1]])) <= 0.5 * p.h:
            rows[-1].append(p)
        else:
            rows.append([p])
    core = [r for r in rows if len({col_of[id(p)] for p in r}) >= 2 and any(p.kind == NUM for p in r)]
    if len(core) < 3:
        return []
    ys = [float(np.mean([p.yc for p in r])) for r in core]
    pitch = _pitch(ys)
    runs: list[list[list[Phrase]]] = [[core[0]]]
    for prev_y, y, row in zip(ys, ys[1:], core[1:]):
        if y - prev_y > 4 * pitch:
            runs.append([])
        runs[-1].append(row)
    return [r for r in runs if len(r) >= 3]


def _pitch(ys: list[float]) -> float:
    """The row pitch of rows at `ys`: the lower quartile of their gaps (some rows hold one figure or none)."""
    return float(np.percentile(np.diff(ys), 25))


def _row_of(p: Phrase, ys: list[float], h: float) -> int | None:
    k = int(np.argmin([abs(p.yc - y) for y in ys]))
    return k if abs(p.yc - ys[k]) <= 0.5 * max(h, p.h) else None


def _grow(run: list[list[Phrase]], phrases: list[Phrase]) -> TextTable | None:
    """The table around a run of rows of figures: text columns beside them, headers above, checks."""
    ys = [float(np.mean([p.yc for p in r])) for r in run]
    h = float(np.median([p.h for r in run for p in r]))
    pitches = np.diff(ys)
    pitch = _pitch(ys)
    # An even row pitch: close rows (not a diagram's labels), the gaps whole multiples of one pitch (a blank
    # line, a row of labels or a row with one figure between two rows of figures make two or three).
    steps = pitches / pitch
    regular = (np.abs(steps - np.round(steps)) <= 0.25) & (np.round(steps) <= 4)
    if pitch > 3.5 * h or float(np.mean(regular)) < 0.7:
        return None
    figures = [p for r in run for p in r]
    left, right = min(p.box[0] for p in figures), max(p.box[2] for p in figures)
    num_left, num_right = left, right
    top, bottom = ys[0] - 0.6 * h, ys[-1] + 0.6 * h
    body = [p for p in phrases if top <= p.yc <= bottom]
    fig_cols = [c for c in _figure_columns_of(run) if len(c) >= 0.4 * len(run)]
    columns = len(fig_cols)
    # Page numbers with titles between them (a table of contents, an index): text, not a table.
    between = [
        p for p in body if p.kind == TEXT and num_left < p.xc < num_right and _row_of(p, ys, h) is not None
    ]
    if _page_numbers(fig_cols) and len({_row_of(p, ys, h) for p in between}) >= 0.5 * len(ys):
        return None
    # Text columns beside the figures: per row the nearest phrase outside the table so far; a column when most
    # rows have one, short, aligned on one side.
    rows = [
        [p for p in body if abs(p.yc - y) <= 0.5 * max(h, p.h) and p.kind not in (CURRENCY, LEADER)]
        for y in ys
    ]
    for side in ("left", "right") * 3:
        cand = []
        for row in rows:
            if side == "left":
                out = [p for p in row if p.box[2] <= left]
                if out:
                    cand.append(max(out, key=lambda p: p.box[2]))
            else:
                out = [p for p in row if p.box[0] >= right]
                if out:
                    cand.append(min(out, key=lambda p: p.box[0]))
        cand = _text_column(cand, h)
        if len(cand) < 0.5 * len(ys):
            continue
        columns += 1
        if side == "left":
            left = min(p.box[0] for p in cand)
        else:
            right = max(p.box[2] for p in cand)
    if columns < 3:
        return None
    inside = [p for p in body if left - 0.5 * h <= p.xc <= right + 0.5 * h]
    # A phrase running far out of the table is a sentence over it: not a table.
    if any(p.box[0] < left - 2 * h or p.box[2] > right + 2 * h for p in inside):
        return None
    inside += _headers(phrases, inside, left, right, num_left, num_right, h)
    if not _cells_not_text(inside, run):
        return None
    box = (
        min(p.box[0] for p in inside),
        min(p.box[1] for p in inside),
        max(p.box[2] for p in inside),
        max(p.box[3] for p in inside),
    )
    return TextTable(box, inside, len(run), columns)


def _figure_columns_of(run: list[list[Phrase]]) -> list[list[Phrase]]:
    """The figures of a run by column (figures whose x extents overlap), left to right."""
    figures = sorted((p for r in run for p in r), key=lambda p: p.box[0])
    cols: list[list[Phrase]] = []
    end = -np.inf
    for p in figures:
        if cols and p.box[0] <= end:
            cols[-1].append(p)
        else:
            cols.append([p])
        end = max(end, p.box[2]) if len(cols[-1]) > 1 else p.box[2]
    return [sorted(c, key=lambda p: p.yc) for c in cols]


def _text_column(cand: list[Phrase], h: float) -> list[Phrase]:
    """Row labels (or units) beside the figures, among the nearest phrases of each row: the most phrases whose
    left edges lie within a few characters (labels are left-aligned, sub-items indented), when they are short
    (a few words: not the lines of a paragraph beside the table). Empty when there is no such column."""
    cand = sorted(cand, key=lambda p: p.box[0])
    best: list[Phrase] = []
    for i, p in enumerate(cand):
        group = [q for q in cand[i:] if q.box[0] - p.box[0] <= 6 * h]
        if len(group) > len(best):
            best = group
    counts = [count_words(p.text) for p in best]
    if not best or float(np.median(counts)) > 5 or max(counts) > 10:
        return []
    return best


def _headers(
    phrases: list[Phrase],
    inside: list[Phrase],
    left: float,
    right: float,
    num_left: float,
    num_right: float,
    h: float,
) -> list[Phrase]:
    """Column headers above the first row: rows of short phrases close above it, within the table's width,
    several to a row or one over the figures (up to four rows: "Year Ended", the dates, "(In millions)")."""
    top = min(p.box[1] for p in inside)
    above = sorted(
        (p for p in phrases if p.box[3] <= top + 0.3 * h and _x_overlap(p.box, (left, 0, right, 0)) > 0),
        key=lambda p: -p.yc,
    )
    out: list[Phrase] = []
    rows: list[list[Phrase]] = []
    for p in above:
        if rows and abs(p.yc - rows[-1][0].yc) <= 0.5 * min(p.h, rows[-1][0].h):
            rows[-1].append(p)
        else:
            rows.append([p])
    for row in rows[:4]:
        if top - max(p.box[3] for p in row) > 1.6 * h:
            break
        width = right - left
        ok = all(
            count_words(p.text) <= 6
            and ":" not in p.text  # "Tel: 555 0123" over a receipt's items is no column header
            and left - h <= p.xc <= right + h
            and p.box[2] - p.box[0] <= 0.6 * width
            for p in row
        ) and (len(row) >= 2 or _x_overlap(row[0].box, (num_left, 0, num_right, 0)) > 0)
        if not ok:
            break
        out.extend(row)
        top = min(p.box[1] for p in row)
    return out


def _cells_not_text(inside: list[Phrase], run: list[list[Phrase]]) -> bool:
    """Cells, not running text or a form."""
    texts = [p for p in inside if p.kind == TEXT]
    if sum(count_words(p.text) >= 8 for p in texts) > 0.2 * len(run):
        return False
    if texts and sum(p.text.rstrip().endswith((":", "：")) for p in texts) > 0.3 * len(run):
        return False
    figures = sum(p.kind != TEXT for p in inside)
    return figures >= 0.4 * len(inside)
