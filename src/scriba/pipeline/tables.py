"""Table structure from pixels and words: ruled tables from line detection, borderless ones from alignment.

Ruled: morphological opening keeps long horizontal and vertical strokes; their positions give a grid; a grid
edge without a drawn line between two cells merges them (row and column spans). Borderless (or rules only
between row groups, as in most papers): words are grouped into rows by baseline and into columns by the
vertical white corridors shared by the rows; a phrase that crosses a corridor spans those columns.
Coordinates are page pixels throughout; `image` is the page (or table) image those words were read from.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field

import cv2
import numpy as np

Box = tuple[float, float, float, float]


@dataclass
class TableWord:
    text: str
    box: Box


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CURRENCY_SIGNS = "$€£¥₹"


def is_currency_sign(text: str) -> bool:
    """A currency sign alone ('$', set apart from its amount in a statement's column)."""
    t = text.strip()
    return bool(t) and all(ch in CURRENCY_SIGNS for ch in t)


def count_words(text: str) -> float:
    """Words of a line; CJK text has no spaces, so two CJK characters count as a word."""
    return len(_CJK.sub(" ", text).split()) + len(_CJK.findall(text)) / 2


def looks_like_prose(lines: list[tuple[str, Box]]) -> bool:
    """Whether the lines inside a table region are running text set in columns rather than a table: most words
    sit in long lines (five words or more; or, in narrow columns of four or five words a line, nearly all words
    and most lines hold four or more, where a table of descriptions has a column of short names beside them),
    few words hold digits, and lines run on into the line below them (it starts lower-case, or they end in a
    hyphen or comma), as wrapped sentences do."""
    counts = [count_words(t) for t, _ in lines]
    total = sum(counts)
    if len(lines) < 6 or total < 40:
        return False
    long_words = sum(c for c in counts if c >= 5) / total >= 0.7
    narrow = sum(c for c in counts if c >= 4) / total >= 0.85 and sum(c >= 4 for c in counts) >= 0.7 * len(counts)
    tokens = [w for t, _ in lines for w in t.split()]
    digit_share = sum(any(ch.isdigit() for ch in w) for w in tokens) / max(len(tokens), 1)
    pairs = runs_on = 0
    for text, b in lines:
        h = b[3] - b[1]
        below = [
            (t, o)
            for t, o in lines
            if abs(o[0] - b[0]) < 1.5 * h and b[3] - 0.3 * h <= o[1] <= b[3] + 1.2 * h and o is not b
        ]
        if not below or not text.strip():
            continue
        nxt = min(below, key=lambda x: x[1][1])[0].strip()
        pairs += 1
        runs_on += bool(nxt) and (nxt[0].islower() or text.rstrip()[-1] in "-,") or bool(_CJK.match(nxt[:1]))
    return (long_words or narrow) and digit_share <= 0.15 and pairs >= 4 and runs_on >= 0.4 * pairs


def looks_like_grid(words: list[TableWord], region: Box) -> bool:
    """Whether the words inside a region are set as a table (the check behind a table the layout model is
    unsure of, or also scores as a figure): at least three rows hold phrases in two or more columns, shared
    white corridors separate those columns, the phrases are short (cells, not sentences: at most three quarters of
    the words in phrases of five words or more; the PubTabNet tables have up to two thirds, a questionnaire's
    list of answers 0.85), few of them are labels
    ending in a colon (a form's fields), the rows follow each other closely (a diagram's labels sit in rows far
    apart, between shapes: on the 40 PubTabNet tables the median gap is at most 0.6 of a line's height, on a
    diagram in the docling fixtures 1.9), and the grid fills most of the region (a chart's legend or axis
    labels fill a corner or an edge of it)."""
    text_rows = _rows_of(words)
    rows = [_segments(r) for r in text_rows]
    if len(rows) < 3:
        return False
    spans = [(min(w.box[1] for w in r), max(w.box[3] for w in r)) for r in text_rows]
    height = float(np.median([w.box[3] - w.box[1] for w in words]))
    gaps = [max(0.0, b[0] - a[1]) for a, b in itertools.pairwise(spans)]
    if float(np.median(gaps)) > 1.2 * height:
        return False
    edges = _column_edges(rows)
    if not edges:
        return False
    bounds = [-np.inf, *edges, np.inf]

    def columns(row: list[list[TableWord]]) -> set[int]:
        out = set()
        for seg in row:
            cx = (_extent(seg)[0] + _extent(seg)[2]) / 2
            out.add(next(k for k in range(len(bounds) - 1) if bounds[k] <= cx < bounds[k + 1]))
        return out

    multi = [r for r in rows if len(columns(r)) >= 2]
    if len(multi) < 3 or len(multi) < 0.5 * len(rows):
        return False
    segs = [" ".join(w.text for w in seg) for r in rows for seg in r]
    counts = [count_words(t) for t in segs]
    if float(np.median(counts)) > 3 or sum(c for c in counts if c >= 5) > 0.75 * sum(counts):
        return False
    if sum(t.rstrip().endswith((":", "：")) for t in segs) >= 0.25 * len(segs):  # a form's "Label:" fields
        return False
    grid = _extent([w for r in multi for s in r for w in s])
    rw, rh = max(region[2] - region[0], 1e-6), max(region[3] - region[1], 1e-6)
    return (grid[2] - grid[0]) >= 0.5 * rw and (grid[3] - grid[1]) >= 0.5 * rh


@dataclass
class Cell:
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    text: str = ""
    box: Box = (0.0, 0.0, 0.0, 0.0)

    def to_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "col": self.col,
            "rowspan": self.rowspan,
            "colspan": self.colspan,
            "text": self.text,
            "bbox": [round(v, 1) for v in self.box],
        }


@dataclass
class TableStructure:
    n_rows: int
    n_cols: int
    cells: list[Cell] = field(default_factory=list)
    header_rows: int = 1
    method: str = "borderless"

    def grid(self) -> list[list[str]]:
        """Cell texts on the full grid (a spanning cell's text sits at its top-left position)."""
        g = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for c in self.cells:
            g[c.row][c.col] = c.text
        return g

    def to_html(self) -> str:
        rows: dict[int, list[Cell]] = {}
        for c in sorted(self.cells, key=lambda c: (c.row, c.col)):
            rows.setdefault(c.row, []).append(c)
        parts = ["<table>"]
        head = min(self.header_rows, self.n_rows - 1) if self.n_rows > 1 else 0
        for r in range(self.n_rows):
            if r == 0 and head:
                parts.append("<thead>")
            if r == head:
                parts.append("<tbody>")
            parts.append("<tr>")
            for c in rows.get(r, []):
                span = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (
                    f' colspan="{c.colspan}"' if c.colspan > 1 else ""
                )
                parts.append(f"<td{span}>{html.escape(c.text, quote=False)}</td>")
            parts.append("</tr>")
            if r == head - 1:
                parts.append("</thead>")
        parts.append("</tbody></table>" if self.n_rows > head else "</table>")
        return "".join(parts)


# ---------------------------------------------------------------------------------------------------------
# Ruling lines


@dataclass
class Rule:
    pos: float  # y of a horizontal rule, x of a vertical one
    lo: float  # extent along the rule
    hi: float


def _rules(mask: np.ndarray, horizontal: bool, min_len: int) -> list[Rule]:
    _n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out: list[Rule] = []
    for x, y, w, h, _area in stats[1:]:
        if horizontal and w >= min_len and h <= max(6, w // 8):
            out.append(Rule(y + h / 2, x, x + w))
        elif not horizontal and h >= min_len and w <= max(6, h // 8):
            out.append(Rule(x + w / 2, y, y + h))
    out.sort(key=lambda r: r.pos)
    merged: list[Rule] = []
    for r in out:  # a thick or double rule is one rule
        if merged and r.pos - merged[-1].pos < 5 and r.lo < merged[-1].hi and merged[-1].lo < r.hi:
            m = merged[-1]
            merged[-1] = Rule((m.pos + r.pos) / 2, min(m.lo, r.lo), max(m.hi, r.hi))
        else:
            merged.append(r)
    return merged


def detect_rules(gray: np.ndarray) -> tuple[list[Rule], list[Rule], np.ndarray, np.ndarray]:
    """Horizontal and vertical rules of a table image, with their masks (in that image's pixels)."""
    h, w = gray.shape
    binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 10)
    hk = max(15, w // 20)
    vk = max(10, h // 20)
    hmask = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hk, 1)))
    vmask = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vk)))
    # Close small breaks in a rule (anti-aliasing, crossing text) before measuring it.
    hmask = cv2.dilate(hmask, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    vmask = cv2.dilate(vmask, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5)))
    return _rules(hmask, True, hk), _rules(vmask, False, vk), hmask, vmask


# ---------------------------------------------------------------------------------------------------------
# Rows and columns from words


def _rows_of(words: list[TableWord]) -> list[list[TableWord]]:
    """Group words into rows: a word joins a row when it overlaps the row's vertical band by half its height."""
    rows: list[tuple[float, float, list[TableWord]]] = []
    for w in sorted(words, key=lambda w: (w.box[1] + w.box[3]) / 2):
        y0, y1 = w.box[1], w.box[3]
        if rows:
            ry0, ry1, members = rows[-1]
            overlap = min(ry1, y1) - max(ry0, y0)
            if overlap > 0.5 * min(y1 - y0, ry1 - ry0):
                rows[-1] = (min(ry0, y0), max(ry1, y1), members + [w])
                continue
        rows.append((y0, y1, [w]))
    return [sorted(m, key=lambda w: w.box[0]) for _, _, m in rows]


def _segments(row: list[TableWord]) -> list[list[TableWord]]:
    """Words of a row that read as one phrase (gaps under about half a character height)."""
    segs: list[list[TableWord]] = []
    for w in row:
        if segs:
            prev = segs[-1][-1]
            h = min(prev.box[3] - prev.box[1], w.box[3] - w.box[1])
            if w.box[0] - prev.box[2] < 0.6 * h:
                segs[-1].append(w)
                continue
        segs.append([w])
    return segs


def _extent(words: list[TableWord]) -> Box:
    return (
        min(w.box[0] for w in words),
        min(w.box[1] for w in words),
        max(w.box[2] for w in words),
        max(w.box[3] for w in words),
    )


def _column_edges(rows: list[list[list[TableWord]]]) -> list[float]:
    """Column boundaries: x positions inside white corridors that (nearly) every row leaves empty."""
    counts = [len(r) for r in rows if len(r) >= 2]
    # Rows with the usual number of phrases (the mode) or more define the columns; spanning headers (fewer,
    # wider phrases) would close the corridors.
    typical = max(set(counts), key=lambda k: (counts.count(k), k)) if counts else 1
    defining = [r for r in rows if len(r) >= typical] or rows
    spans = sorted((_extent(s)[0], _extent(s)[2]) for r in defining for s in r)
    if not spans:
        return []
    edges: list[float] = []
    end = spans[0][1]
    for lo, hi in spans[1:]:
        if lo > end:
            edges.append((lo + end) / 2)
        end = max(end, hi)
    return edges


def _currency_joined(rows: list[list[list[TableWord]]], edges: list[float]) -> list[float]:
    """A column holding only currency signs ('$' set apart at the left of the amounts) joins the column of
    amounts to its right."""
    bounds = [-np.inf, *edges, np.inf]
    keep = []
    for k, edge in enumerate(edges):
        texts = [
            "".join(w.text for w in seg)
            for r in rows
            for seg in r
            if bounds[k] <= (_extent(seg)[0] + _extent(seg)[2]) / 2 < bounds[k + 1]
        ]
        if not texts or not all(is_currency_sign(t) for t in texts):
            keep.append(edge)
    return keep


def _join(words: list[TableWord]) -> str:
    rows = _rows_of(words)
    return " ".join(" ".join(w.text for w in row) for row in rows).strip()


def _merge_wrapped(rows: list[list[list[TableWord]]], edges: list[float]) -> list[list[list[TableWord]]]:
    """A row that fills fewer columns than the row above, only columns that row fills, and sits close under
    it continues that row's cells (text wrapped inside a cell)."""
    bounds = [-np.inf, *edges, np.inf]

    def cols(row: list[list[TableWord]]) -> set[int]:
        out = set()
        for seg in row:
            cx = (_extent(seg)[0] + _extent(seg)[2]) / 2
            out.add(next(k for k in range(len(bounds) - 1) if bounds[k] <= cx < bounds[k + 1]))
        return out

    merged: list[list[list[TableWord]]] = []
    for row in rows:
        if merged:
            prev = merged[-1]
            pe, re_ = _extent([w for s in prev for w in s]), _extent([w for s in row for w in s])
            h = min(pe[3] - pe[1], re_[3] - re_[1], min(w.box[3] - w.box[1] for s in row for w in s))
            pc, rc = cols(prev), cols(row)
            numeric = any(any(ch.isdigit() for ch in w.text) for s in row for w in s)
            if rc < pc and re_[1] - pe[3] < 0.6 * h and not numeric and len(edges) >= 1:
                merged[-1] = prev + row
                continue
        merged.append(row)
    return merged


def borderless_table(words: list[TableWord], h_rules: list[Rule] | None = None) -> TableStructure:
    rows = [_segments(r) for r in _rows_of(words)]
    if not rows:
        return TableStructure(0, 0, method="borderless")
    edges = _currency_joined(rows, _column_edges(rows))
    rows = _merge_wrapped(rows, edges)
    bounds = [-np.inf, *edges, np.inf]
    n_cols = len(bounds) - 1
    content = _column_content(rows, bounds)
    cells: list[Cell] = []
    for r, segs in enumerate(rows):
        slots: dict[int, tuple[int, list[TableWord]]] = {}
        for seg in segs:
            x0, _, x1, _ = _extent(seg)
            cols = [c for c in range(n_cols) if bounds[c] < x1 and x0 < bounds[c + 1]]
            if len(cols) > 1:
                # A header wider than the figures under it reaches over the corridor beside them; set flush
                # with one column's cells (right-aligned like the figures, or left-aligned) it is in that column.
                tol = 0.5 * min(w.box[3] - w.box[1] for w in seg)
                own = [
                    c
                    for c in cols
                    if any(abs(x0 - lo) <= tol for lo, _ in content[c])
                    or any(abs(x1 - hi) <= tol for _, hi in content[c])
                ]
                if len(own) == 1:
                    cols = own
            c0, c1 = cols[0], cols[-1]
            if c0 in slots:  # two phrases in one column of one row: one cell
                span, ws = slots[c0]
                slots[c0] = (max(span, c1 - c0 + 1), ws + seg)
            else:
                slots[c0] = (c1 - c0 + 1, list(seg))
        cell, held = None, []
        for c0 in sorted(slots):
            span, ws = slots[c0]
            if cell is not None and c0 < cell.col + cell.colspan:  # under a spanning phrase: its cell
                held += ws
                cell.colspan = max(cell.colspan, min(c0 + span, n_cols) - cell.col)
                cell.text, cell.box = _join(held), _extent(held)
                continue
            cell, held = Cell(r, c0, 1, max(1, min(span, n_cols - c0)), _join(ws), _extent(ws)), list(ws)
            cells.append(cell)
    header = 1
    if h_rules and len(h_rules) >= 3:
        # Paper-style tables: the first inner rule closes the header.
        inner = h_rules[1].pos
        header = max(1, sum(1 for segs in rows if _extent([w for s in segs for w in s])[3] <= inner + 2))
    return TableStructure(len(rows), n_cols, _fill(cells, len(rows), n_cols), header, "borderless")


def _column_content(
    rows: list[list[list[TableWord]]], bounds: list[float]
) -> list[list[tuple[float, float]]]:
    """Per column, the x extents of the phrases lying wholly inside it."""
    spans = [(_extent(s)[0], _extent(s)[2]) for r in rows for s in r]
    return [
        [(lo, hi) for lo, hi in spans if bounds[c] <= lo and hi <= bounds[c + 1]]
        for c in range(len(bounds) - 1)
    ]


def _fill(cells: list[Cell], n_rows: int, n_cols: int) -> list[Cell]:
    """Add empty cells where no word fell, so every grid position is covered exactly once."""
    covered = np.zeros((n_rows, n_cols), dtype=bool)
    for c in cells:
        covered[c.row : c.row + c.rowspan, c.col : c.col + c.colspan] = True
    out = list(cells)
    for r in range(n_rows):
        for c in range(n_cols):
            if not covered[r, c]:
                out.append(Cell(r, c))
    return sorted(out, key=lambda c: (c.row, c.col))


# ---------------------------------------------------------------------------------------------------------
# Ruled grid


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def ruled_table(
    words: list[TableWord],
    h_rules: list[Rule],
    v_rules: list[Rule],
    hmask: np.ndarray,
    vmask: np.ndarray,
    origin: tuple[float, float],
) -> TableStructure:
    """Grid from rules spanning most of the table; cells merge across grid edges that have no drawn line."""
    ox, oy = origin
    ys = [r.pos for r in h_rules]
    xs = [r.pos for r in v_rules]
    if words:  # text outside the outermost rules (open borders) gets its own row or column
        ex = _extent(words)
        if ex[0] - ox < xs[0] - 2:
            xs.insert(0, ex[0] - ox - 1)
        if ex[2] - ox > xs[-1] + 2:
            xs.append(ex[2] - ox + 1)
        if ex[1] - oy < ys[0] - 2:
            ys.insert(0, ex[1] - oy - 1)
        if ex[3] - oy > ys[-1] + 2:
            ys.append(ex[3] - oy + 1)
    ys, virtual = _split_bands(words, xs, ys, ox, oy)
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    hh, ww = hmask.shape

    def separated_by_text(y: float, c: int) -> bool:
        """A row split without a drawn rule holds in a column only if that column has text on both sides."""
        col = [w for w in words if xs[c] <= (w.box[0] + w.box[2]) / 2 - ox < xs[c + 1]]
        above = any(lo <= (w.box[1] + w.box[3]) / 2 - oy < y for w in col for lo in [virtual[y][0]])
        below = any(y <= (w.box[1] + w.box[3]) / 2 - oy < hi for w in col for hi in [virtual[y][1]])
        return above and below

    def drawn(mask: np.ndarray, fixed: float, lo: float, hi: float, vertical: bool) -> bool:
        a, b = int(lo + 0.2 * (hi - lo)), int(hi - 0.2 * (hi - lo))
        f = round(fixed)
        if vertical:
            band = mask[max(0, a) : min(hh, b), max(0, f - 3) : min(ww, f + 4)]
        else:
            band = mask[max(0, f - 3) : min(hh, f + 4), max(0, a) : min(ww, b)]
        if band.size == 0:
            return True  # outside the image: an outer border we added
        return float((band.max(axis=1 if vertical else 0) > 0).mean()) > 0.5

    parent = list(range(n_rows * n_cols))
    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols and not drawn(vmask, xs[c + 1], ys[r], ys[r + 1], True):
                parent[_find(parent, r * n_cols + c + 1)] = _find(parent, r * n_cols + c)
            if r + 1 < n_rows and ys[r + 1] in virtual:
                if not separated_by_text(ys[r + 1], c):
                    parent[_find(parent, (r + 1) * n_cols + c)] = _find(parent, r * n_cols + c)
            elif r + 1 < n_rows and not drawn(hmask, ys[r + 1], xs[c], xs[c + 1], False):
                parent[_find(parent, (r + 1) * n_cols + c)] = _find(parent, r * n_cols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            groups.setdefault(_find(parent, r * n_cols + c), []).append((r, c))
    cells: list[Cell] = []
    claimed = np.zeros((n_rows, n_cols), dtype=bool)
    for members in sorted(groups.values(), key=lambda m: min(m)):
        r0, r1 = min(m[0] for m in members), max(m[0] for m in members)
        c0, c1 = min(m[1] for m in members), max(m[1] for m in members)
        if claimed[r0 : r1 + 1, c0 : c1 + 1].any():  # non-rectangular merge: fall back to single cells
            for r, c in members:
                if not claimed[r, c]:
                    claimed[r, c] = True
                    cells.append(Cell(r, c, box=(xs[c] + ox, ys[r] + oy, xs[c + 1] + ox, ys[r + 1] + oy)))
            continue
        claimed[r0 : r1 + 1, c0 : c1 + 1] = True
        box = (xs[c0] + ox, ys[r0] + oy, xs[c1 + 1] + ox, ys[r1 + 1] + oy)
        cells.append(Cell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, box=box))
    for cell in cells:
        inside = [w for w in words if _centre_in(w.box, cell.box)]
        cell.text = _join(inside)
    # Drop grid rows and columns that hold no text at all (gaps between double rules, open borders).
    header = max((c.rowspan for c in cells if c.row == 0), default=1)
    return _drop_empty(
        TableStructure(n_rows, n_cols, sorted(cells, key=lambda c: (c.row, c.col)), header, "ruled")
    )


def _split_bands(
    words: list[TableWord], xs: list[float], ys: list[float], ox: float, oy: float
) -> tuple[list[float], dict[float, tuple[float, float]]]:
    """Rows between two rules that hold several aligned text rows (several records drawn without rules
    between them) are split; returns the new row edges and, per added edge, its band (lo, hi)."""
    out = [ys[0]]
    virtual: dict[float, tuple[float, float]] = {}
    for lo, hi in itertools.pairwise(ys):
        band = [w for w in words if lo <= (w.box[1] + w.box[3]) / 2 - oy < hi]
        text_rows = _rows_of(band)
        for upper, lower in itertools.pairwise(text_rows):
            y = ((max(w.box[3] for w in upper) + min(w.box[1] for w in lower)) / 2) - oy

            def cols_of(row: list[TableWord]) -> set[int]:
                return {
                    c
                    for w in row
                    for c in range(len(xs) - 1)
                    if xs[c] <= (w.box[0] + w.box[2]) / 2 - ox < xs[c + 1]
                }

            # Wrapped text in one cell is not a new record: at least two columns must continue below.
            if len(cols_of(upper) & cols_of(lower)) >= 2 and lo < y < hi:
                virtual[y] = (lo, hi)
                out.append(y)
        out.append(hi)
    return out, virtual


def _centre_in(box: Box, cell: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return cell[0] <= cx < cell[2] and cell[1] <= cy < cell[3]


def _drop_empty(t: TableStructure) -> TableStructure:
    def used(axis: str, k: int) -> bool:
        for c in t.cells:
            lo = c.row if axis == "r" else c.col
            span = c.rowspan if axis == "r" else c.colspan
            if lo <= k < lo + span and (c.text or span > 1):
                return True
        return False

    keep_r = [r for r in range(t.n_rows) if used("r", r)]
    keep_c = [c for c in range(t.n_cols) if used("c", c)]
    if len(keep_r) == t.n_rows and len(keep_c) == t.n_cols:
        return t
    rmap = {r: i for i, r in enumerate(keep_r)}
    cmap = {c: i for i, c in enumerate(keep_c)}
    cells: list[Cell] = []
    for c in t.cells:
        rows = [rmap[r] for r in range(c.row, c.row + c.rowspan) if r in rmap]
        cols = [cmap[k] for k in range(c.col, c.col + c.colspan) if k in cmap]
        if rows and cols:
            cells.append(Cell(rows[0], cols[0], len(rows), len(cols), c.text, c.box))
    return TableStructure(len(keep_r), len(keep_c), cells, min(t.header_rows, max(1, len(keep_r))), t.method)


def recognize_table(crop: np.ndarray | None, box: Box, words: list[TableWord]) -> TableStructure:
    """Structure of the table inside `box` (page pixels); `crop` is the image of exactly that box (or None
    when there are no pixels: then only the words' alignment is used). Rules make a grid when the table is
    drawn as one; otherwise the words' alignment decides."""
    x0, y0 = float(box[0]), float(box[1])
    h_rules: list[Rule] = []
    if crop is not None and crop.size and min(crop.shape[:2]) >= 10:
        gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
        # Word boxes are in page pixels; the crop may be rendered at another scale.
        sx, sy = gray.shape[1] / max(box[2] - box[0], 1e-6), gray.shape[0] / max(box[3] - box[1], 1e-6)
        local = [
            TableWord(
                w.text,
                ((w.box[0] - x0) * sx, (w.box[1] - y0) * sy, (w.box[2] - x0) * sx, (w.box[3] - y0) * sy),
            )
            for w in words
        ]
        h_rules, v_rules, hmask, vmask = detect_rules(gray)
        height, width = gray.shape
        long_v = [r for r in v_rules if r.hi - r.lo >= 0.5 * height]
        long_h = [r for r in h_rules if r.hi - r.lo >= 0.5 * width]
        if len(long_v) >= 2 and len(long_h) >= 2:
            # Strokes of letters are not rules: a header centred over two columns puts its letters exactly where
            # the missing line between them would be. Each word's ink span (rules left out) is cleared from the
            # vertical mask; a word with no ink besides rule-like strokes is left alone.
            vmask = vmask.copy()
            for w, ink in zip(local, _tighten(local, gray, hmask | vmask, (0.0, 0.0), (1.0, 1.0))):
                if ink.box != w.box:
                    x0i, y0i, x1i, y1i = ink.box
                    vmask[max(0, int(y0i)) : int(np.ceil(y1i)), max(0, int(x0i) + 1) : int(x1i)] = 0
            grid_h = [r for r in h_rules if r.hi - r.lo >= 0.25 * width]
            t = ruled_table(local, grid_h, v_rules_spanning(v_rules, height), hmask, vmask, (0.0, 0.0))
            for c in t.cells:
                c.box = (c.box[0] / sx + x0, c.box[1] / sy + y0, c.box[2] / sx + x0, c.box[3] / sy + y0)
            return t
        h_rules = [Rule(r.pos / sy + y0, r.lo / sx + x0, r.hi / sx + x0) for r in long_h]
        words = _tighten(words, gray, hmask | vmask, (x0, y0), (sx, sy))
    return borderless_table(words, h_rules)


def _tighten(
    words: list[TableWord],
    gray: np.ndarray,
    rules: np.ndarray,
    origin: tuple[float, float],
    scale: tuple[float, float],
) -> list[TableWord]:
    """Trim each word box to the ink inside it. OCR word boxes reach to the middle of the gap to the next word,
    which would hide the white corridors between columns."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = cv2.bitwise_and(ink, cv2.bitwise_not(rules))
    (x0, y0), (sx, sy) = origin, scale
    out = []
    for w in words:
        a, b = int((w.box[0] - x0) * sx), int(np.ceil((w.box[2] - x0) * sx))
        top, bottom = int((w.box[1] - y0) * sy), int(np.ceil((w.box[3] - y0) * sy))
        patch = ink[max(0, top) : max(0, bottom), max(0, a) : max(0, b)]
        cols = np.flatnonzero(patch.any(axis=0)) if patch.size else np.array([])
        if cols.size:
            left, right = max(0, a) + cols[0], max(0, a) + cols[-1] + 1
            out.append(TableWord(w.text, (left / sx + x0, w.box[1], right / sx + x0, w.box[3])))
        else:
            out.append(w)
    return out


def v_rules_spanning(v_rules: list[Rule], height: int) -> list[Rule]:
    """Vertical rules long enough to be column separators (a rule may stop at a spanning cell)."""
    return [r for r in v_rules if r.hi - r.lo >= 0.25 * height]
