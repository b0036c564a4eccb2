"""Lines + layout regions -> typed blocks in reading order.

Each line goes to the smallest layout region that holds most of it (tables win, so cell text stays in the
table); lines no region claims become paragraphs. Blocks are ordered by recursive XY-cut with a gap measured
in text lines (so column gutters cut and paragraph spacing does not); headers go first and footers last,
captions sit next to the figure or table they describe, and titles get a heading level from their size.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

from scriba.block_types import FigureData, HeadingData, TableData
from scriba.document import Block, Line, Word, bbox_of, polygon_of_bbox, union_polygon
from scriba.pipeline.display_math import TAG, display_formula_groups, reads_as_prose
from scriba.pipeline.indents import indent_cuts
from scriba.pipeline.line_joins import BULLETS, CHOICE_ROW, attach_bullets, join_choice_rows, reads_as_exam
from scriba.pipeline.reading_order import Box, box_area, box_overlap, box_union, group_paragraphs, sort_lines
from scriba.pipeline.row_pieces import join_row_pieces
from scriba.pipeline.spacing import spacing_cuts
from scriba.pipeline.tables import TableWord, count_words, looks_like_grid, looks_like_prose
from scriba.pipeline.text_tables import TEXT_REGION_KINDS, find_grids, phrases_of
from scriba.pipeline.watermarks import covered_by_watermark, split_watermarks

# CDLA class -> block kind in the result tree.
KIND_OF_CLASS = {
    "text": "text",
    "title": "title",
    "figure": "figure",
    "figure_caption": "figure_caption",
    "table": "table",
    "table_caption": "table_caption",
    "header": "header",
    "footer": "footer",
    "reference": "reference",
    "equation": "formula",
}
MARGIN_KINDS = {"header", "footer", "page_number"}
# A 'table' region scored under this (the detector reports tables from 0.25) is a table only where the words
# under it are set as one (`confirm_tables`).
TABLE_SCORE = 0.4
CAPTION = re.compile(r"^\s*(?P<kind>table|tab\.|figure|fig\.?)\s*[0-9IVX]+[.:]?(\s|$)", re.IGNORECASE)
SECTION = re.compile(r"^\s*(\d{1,2}(\.\d{1,2})*\.?|[IVX]{1,5}\.)\s+[A-Z][A-Za-z]+(\s+\S+){0,8}\s*$")
SENTENCE_END = re.compile(r"[.!?。！？]$")
PAGE_NUMBER = re.compile(r"^\s*(page\s*)?[-–]?\s*\d{1,4}\s*[-–]?(\s*(/|of)\s*\d{1,4})?\s*$", re.IGNORECASE)


@dataclass
class Region:
    kind: str  # block kind (see KIND_OF_CLASS)
    box: Box
    score: float = 1.0
    lines: list[Line] = field(default_factory=list)
    found_by: str = "layout"  # "text": a display formula found from the text read (see add_display_formulas)

    @property
    def area(self) -> float:
        return max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1])


def median_line_height(lines: list[Line]) -> float:
    hs = [bbox_of(x.polygon)[3] - bbox_of(x.polygon)[1] for x in lines]
    return float(np.median(hs)) if hs else 10.0


def lines_in(box: Box, lines: list[Line]) -> list[Line]:
    """The lines with more than half their area inside `box`."""
    return [x for x in lines if box_overlap(bbox_of(x.polygon), box) > 0.5 * box_area(bbox_of(x.polygon))]


def drop_text_figures(regions: list[Region], lines: list[Line]) -> list[Region]:
    """A 'figure' covered by many lines of running text is text the detector mislabelled (dense multi-column
    pages, newspapers, handwritten notes, text over a photo); dropping it lets those lines form paragraphs."""
    kept = []
    for r in regions:
        if r.kind == "figure":
            held = lines_in(r.box, lines)
            counts = [count_words(x.text) for x in held]
            n_words = sum(counts)
            # Charts and diagrams carry short labels; prose has most of its words in lines of several words
            # (counted per line, not by width: a newspaper's columns are narrow against the whole figure).
            prose_words = sum(c for c in counts if c >= 4)
            if len(held) >= 6 and n_words >= 40 and prose_words >= 0.5 * n_words:
                continue
        kept.append(r)
    return kept


def drop_prose_formulas(regions: list[Region], lines: list[Line]) -> list[Region]:
    """A 'formula' over lines of prose (the detector marks a whole page of equations and their explanations as
    one) is not a formula: dropping it lets the text regions hold the prose and each display formula be found
    on its own (add_display_formulas). A formula with a line of text in it ("where x is ...") stays."""
    return [
        r
        for r in regions
        if r.kind != "formula" or sum(reads_as_prose(x.text) for x in lines_in(r.box, lines)) < 2
    ]


def drop_prose_tables(regions: list[Region], lines: list[Line]) -> list[Region]:
    """A 'table' over running text in columns (the detector's mistake on multi-column pages and on a report's
    body beside a chart) or over an exam's questions and answer choices is not a table: dropping it lets the
    text regions under it hold the lines."""
    kept = []
    for r in regions:
        inside = lines_in(r.box, lines) if r.kind == "table" else []
        if inside and (
            looks_like_prose([(x.text, bbox_of(x.polygon)) for x in inside])
            or reads_as_exam([x.text for x in inside])
        ):
            continue
        kept.append(r)
    return kept


def _words_in(box: Box, lines: list[Line]) -> list[TableWord]:
    return [
        TableWord(text, bbox_of(polygon))
        for x in lines_in(box, lines)
        for text, polygon in ([(w.text, w.polygon) for w in x.words] or [(x.text, x.polygon)])
    ]


def confirm_tables(regions: list[Region], lines: list[Line]) -> list[Region]:
    """Tables the layout model is unsure of, checked against the words. A 'table' scored under TABLE_SCORE
    stays only where its words are set as a table (`looks_like_grid`: rows of short phrases in shared columns,
    close together, filling the region); and a 'figure' over the same area as a table whose words are so set
    goes, so the table holds them (the model often scores a table as a figure too, most of all a table alone
    in an image, and the more confident class would win)."""
    grids: list[Region] = []
    kept: list[Region] = []
    for r in regions:
        if r.kind == "table":
            grid = looks_like_grid(_words_in(r.box, lines), r.box)
            if not grid and r.score < TABLE_SCORE:
                continue
            if grid:
                grids.append(r)
        kept.append(r)
    return [
        r
        for r in kept
        if not (
            r.kind == "figure" and any(box_overlap(r.box, t.box) > 0.8 * min(r.area, t.area) for t in grids)
        )
    ]


def find_text_tables(regions: list[Region], lines: list[Line]) -> list[Region]:
    """Tables laid out as text (text_tables.find_grids): lines of text regions, of figures and those no region
    holds that form a grid of figures become a 'table' region. A table the layout model found over part of the
    grid grows to hold all of it; text regions whose lines all fall in the grid go, and so does a figure the
    grid fills (the model calls some unruled tables figures; a chart's labels make no grid that fills it)."""
    boxes = [bbox_of(x.polygon) for x in lines]
    held_by: list[Region | None] = []
    for b in boxes:
        area = max(box_area(b), 1e-6)
        owners = [r for r in regions if box_overlap(b, r.box) >= 0.5 * area]
        held_by.append(min(owners, key=lambda r: (r.kind != "table", r.area)) if owners else None)
    kinds = (*TEXT_REGION_KINDS, "table", "figure")
    grids = find_grids(phrases_of([x for x, r in zip(lines, held_by) if r is None or r.kind in kinds]))
    out = list(regions)
    for grid in grids:
        box = (grid.box[0] - 2, grid.box[1] - 2, grid.box[2] + 2, grid.box[3] + 2)
        area = box_area(box)
        tables = [r for r in out if r.kind == "table" and box_overlap(r.box, box) > 0]
        if any(box_overlap(r.box, box) >= 0.8 * area for r in tables):
            continue  # the layout model found it already
        if any(r.kind == "formula" and box_overlap(r.box, box) > 0.3 * area for r in out):
            continue
        figures = [r for r in out if r.kind == "figure" and box_overlap(r.box, box) > 0.3 * min(r.area, area)]
        if not all(_filled_by(r, box, boxes) for r in figures):
            continue
        grown = [r for r in tables if box_overlap(r.box, box) >= 0.3 * min(r.area, area)]
        for r in grown:
            box = (min(box[0], r.box[0]), min(box[1], r.box[1]), max(box[2], r.box[2]), max(box[3], r.box[3]))
        score = max([r.score for r in grown], default=TABLE_SCORE)
        gone = {id(r) for r in [*figures, *grown]}
        gone |= {id(r) for r in out if r.kind in TEXT_REGION_KINDS and box_overlap(r.box, box) > 0}
        for b, r in zip(boxes, held_by):
            if (
                r is not None
                and r.kind in TEXT_REGION_KINDS
                and box_overlap(b, box) < 0.5 * max(box_area(b), 1e-6)
            ):
                gone.discard(id(r))  # the region holds text outside the table too: it stays
        out = [r for r in out if id(r) not in gone]
        out.append(Region("table", box, score))
    return out


def add_display_formulas(regions: list[Region], lines: list[Line]) -> list[Region]:
    """`regions` and a formula region for each display formula the layout model missed, found from the text of
    the lines no formula, table or figure region holds (scriba.pipeline.display_math)."""
    held = [r for r in regions if r.kind in ("formula", "table", "figure")]
    free = [
        x
        for x in lines
        if not any(
            box_overlap(bbox_of(x.polygon), r.box) >= 0.5 * max(box_area(bbox_of(x.polygon)), 1e-6)
            for r in held
        )
    ]
    found = []
    for group in display_formula_groups(free, median_line_height(lines)):
        box = bbox_of(union_polygon([free[i].polygon for i in group]))
        found.append(Region("formula", box, 1.0, found_by="text"))
    return regions + found


def attach_equation_numbers(regions: list[Region], lines: list[Line]) -> list[Region]:
    """A formula region grows over its equation number ("(1)") set off in its row at the right margin, which the
    layout model leaves outside (or boxes as a text region of its own): the number then reads as the formula's
    tag, not as a paragraph."""
    formulas = [r for r in regions if r.kind == "formula"]
    if not formulas:
        return regions
    line_h = median_line_height(lines)
    tags: list[Box] = []
    for x in lines:
        if not TAG.match(x.text.strip()):
            continue
        b = bbox_of(x.polygon)
        cy = (b[1] + b[3]) / 2
        beside = [r for r in formulas if r.box[1] <= cy <= r.box[3] and 0 <= b[0] - r.box[2] <= 12 * line_h]
        if beside:
            r = min(beside, key=lambda r: b[0] - r.box[2])
            r.box = box_union(r.box, b)
            tags.append(b)
    return [
        r
        for r in regions
        if r.kind != "text" or not any(box_overlap(r.box, t) >= 0.5 * max(r.area, 1e-6) for t in tags)
    ]


def _filled_by(figure: Region, box: Box, line_boxes: list[Box]) -> bool:
    """Whether a table's box fills a figure: covers a third of it or more and holds most of its lines (the
    rest: a caption or headers the model took in)."""
    held = [b for b in line_boxes if box_overlap(b, figure.box) >= 0.5 * max(box_area(b), 1e-6)]
    inside = [
        b for b in held if box[0] <= (b[0] + b[2]) / 2 <= box[2] and box[1] <= (b[1] + b[3]) / 2 <= box[3]
    ]
    return box_overlap(figure.box, box) >= 0.35 * figure.area and len(inside) >= 0.75 * len(held)


def drop_duplicates(regions: list[Region]) -> list[Region]:
    """NMS runs per class; the same area found as two classes keeps the more confident one, and a text
    region lying inside a bigger text region (a fragment of its paragraph) goes."""
    regions = [
        r
        for r in regions
        if not (
            r.kind in ("text", "reference")
            and any(
                o is not r
                and o.kind in ("text", "reference")
                and o.area > 1.5 * r.area
                and box_overlap(r.box, o.box) > 0.8 * r.area
                for o in regions
            )
        )
    ]
    kept: list[Region] = []
    for r in sorted(regions, key=lambda r: -r.score):
        if any(
            box_overlap(r.box, k.box) > 0.8 * min(r.area, k.area)
            and r.area < 1.5 * k.area
            and k.area < 1.5 * r.area
            for k in kept
        ):
            continue
        kept.append(r)
    return kept


def split_across_regions(line: Line, regions: list[Region]) -> list[Line]:
    """An OCR line that runs across a column gutter (the detector joins close lines) is cut where its words
    change region."""
    if len(line.words) < 2:
        return [line]
    owners: list[int | None] = []
    for w in line.words:
        b = bbox_of(w.polygon)
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        inside = [
            k for k, r in enumerate(regions) if r.box[0] <= cx <= r.box[2] and r.box[1] <= cy <= r.box[3]
        ]
        owners.append(min(inside, key=lambda k: regions[k].area) if inside else None)
    if len({o for o in owners if o is not None}) < 2:
        return [line]
    parts: list[list[Word]] = []
    last: int | None = None
    for w, o in zip(line.words, owners):
        if not parts or (o is not None and last is not None and o != last):
            parts.append([])
        parts[-1].append(w)
        last = o if o is not None else last
    return [
        Line(
            text=" ".join(w.text for w in ws),
            confidence=line.confidence,
            polygon=union_polygon([w.polygon for w in ws]),
            words=ws,
        )
        for ws in parts
    ]


def assign_lines(regions: list[Region], lines: list[Line]) -> list[Line]:
    """Put each line in its region; returns the lines no region holds."""
    free: list[Line] = []
    lines = [part for line in lines for part in split_across_regions(line, regions)]
    for line in lines:
        lb = bbox_of(line.polygon)
        la = max(box_area(lb), 1e-6)
        cands = [r for r in regions if box_overlap(lb, r.box) >= 0.5 * la]
        if not cands:
            free.append(line)
            continue
        # Tables win, then formulas found from their text (the text region the layout model drew around one
        # may be the smaller box).
        first = [r for r in cands if r.kind == "table"] or [r for r in cands if r.found_by == "text"]
        best = first[0] if first else min(cands, key=lambda r: r.area)
        best.lines.append(line)
    return free


def _text_block(lines: list[Line], kind: str = "text") -> Block:
    boxes = [bbox_of(x.polygon) for x in lines]
    ordered = [lines[k] for k in sort_lines(boxes)]
    return Block(lines=ordered, polygon=union_polygon([x.polygon for x in ordered]), kind=kind)


def paragraphs(lines: list[Line], kind: str = "text") -> list[Block]:
    if not lines:
        return []
    lines = join_row_pieces(lines)
    boxes = [bbox_of(x.polygon) for x in lines]
    groups: list[list[int]] = []
    for g in group_paragraphs(boxes):
        # A row of answer choices ends its question: the next question is a paragraph of its own.
        cut = {k + 1 for k, i in enumerate(g[:-1]) if CHOICE_ROW.match(lines[i].text)}
        cut |= set(indent_cuts([boxes[i] for i in g], [lines[i].text for i in g]))
        cut |= set(spacing_cuts([boxes[i] for i in g]))
        cut = sorted(cut)
        groups.extend(g[a:b] for a, b in zip([0, *cut], [*cut, len(g)]))
    return [_text_block([lines[i] for i in g], kind) for g in groups]


def region_blocks(region: Region) -> list[Block]:
    """Blocks of one region: running-text regions split into paragraphs; the others stay whole."""
    if region.kind in ("text", "reference") and len(region.lines) > 1:
        return paragraphs(region.lines, region.kind)
    if region.kind == "figure" and region.lines:
        block = Block(lines=_columns_first(region.lines), kind="figure")
        block.polygon = polygon_of_bbox(*region.box)
        return [block]
    if region.kind in ("figure", "table", "formula"):
        block = _text_block(region.lines, region.kind) if region.lines else Block(kind=region.kind)
        block.polygon = polygon_of_bbox(*region.box)
        if region.found_by != "layout":
            block.attributes["found_by"] = region.found_by
        return [block]
    if not region.lines:
        return []
    return [_text_block(region.lines, region.kind)]


def restore_body_text(blocks: list[Block], page_height: float, body_height: float) -> None:
    """Blocks the layout model calls header or footer that read as body text go back to the body (the
    Markdown leaves headers and footers out): one lying between the page's top and bottom fifths, a header set
    larger than the body text (a title) or a numbered section heading a little larger, a header that is a
    sentence of five words or more."""
    for b in blocks:
        if b.kind not in ("header", "footer") or not b.lines:
            continue
        y0, y1 = bbox_of(b.polygon)[1], bbox_of(b.polygon)[3]
        text = " ".join(x.text for x in b.lines).strip()
        if y0 > 0.2 * page_height and y1 < 0.8 * page_height:
            b.kind = "text"
        elif (
            b.kind == "header"
            and median_line_height(b.lines) >= (1.15 if SECTION.match(text) else 1.3) * body_height
        ):
            # Set larger than the body; a numbered section heading ('2 Method') a little larger.
            b.kind = "title"
        elif b.kind == "header" and SENTENCE_END.search(text) and count_words(text) >= 5:
            b.kind = "text"


def headings_by_size(blocks: list[Block], body_height: float) -> None:
    """Short blocks of one to three lines that no layout region holds (the layout model failed, as it does on a
    noisy scan), set larger than the body text and not ending a sentence, are headings; a numbered section
    heading ('2 Method') needs to be only a little larger."""
    for b in blocks:
        if b.kind != "text" or not 1 <= len(b.lines) <= 3:
            continue
        text = " ".join(x.text for x in b.lines).strip()
        if len(text) < 3 or SENTENCE_END.search(text) or count_words(text) > 12 or not re.search(r"[^\W\d_]", text):
            continue
        if median_line_height(b.lines) >= (1.1 if SECTION.match(text) else 1.3) * body_height and not _runs_on(
            b, blocks, body_height
        ):
            b.kind = "title"


def _runs_on(block: Block, blocks: list[Block], line_h: float) -> bool:
    """The block's sentence goes on in a block just under it (its next line starts lower-case): a paragraph's
    first line set taller (by a drop cap) or a pull quote, cut from the rest, not a heading."""
    x0, _, x1, y1 = bbox_of(block.polygon)
    for o in blocks:
        if o is block or not o.lines:
            continue
        ox0, oy0, ox1, _ = bbox_of(o.polygon)
        if min(x1, ox1) - max(x0, ox0) > 0 and -0.5 * line_h <= oy0 - y1 <= 2 * line_h:
            first = o.lines[0].text.strip()
            if first[:1].islower():
                return True
    return False


def split_bold_headings(blocks: list[Block], bold: set[int], italic: set[int] | None = None) -> list[Block]:
    """Subheadings a layout region holds together with its paragraph: the first line or two of a text block
    set entirely in bold (or in italics, with upright text after them), short and not ending like a sentence,
    become a title block of their own (a lone bold line is one already). `bold`, `italic`: ids of the lines so
    set (the PDF text layer knows the fonts)."""
    italic = italic or set()
    styled = bold | italic
    if not styled:
        return blocks
    out: list[Block] = []
    for b in blocks:
        k = 0
        while b.kind in ("text", "reference") and k < min(3, len(b.lines)) and id(b.lines[k]) in styled:
            k += 1
        heading = " ".join(x.text for x in b.lines[:k]).strip()
        # An italic line alone, or before more italics, is emphasis or a quotation, not a heading.
        emphasis = any(id(x) not in bold for x in b.lines[:k]) and (
            k == len(b.lines) or id(b.lines[k]) in italic
        )
        if 0 < k <= 2 and (k < len(b.lines) or k == 1) and not emphasis and _heading_like(heading):
            head = b.lines[:k]
            # Two lines are one heading wrapped when the second goes on in lower case; else two headings.
            groups = [head] if k == 1 or head[1].text[:1].islower() else [[x] for x in head]
            for group in groups:
                title = _text_block(group, "title")
                title.payload(HeadingData).level = 2
                out.append(title)
            if k < len(b.lines):
                out.append(_text_block(b.lines[k:], b.kind))
            continue
        out.append(b)
    return out


def _heading_like(text: str) -> bool:
    return (
        0 < count_words(text) <= 12
        and not re.search(r"[.,;:!]$", text)
        and any(c.isalpha() for c in text)
        and text[0] not in BULLETS
    )


def _columns_first(lines: list[Line]) -> list[Line]:
    """Lines in reading order, a column of text (in a poster, a photographed page) before the next."""
    groups = paragraphs(lines)
    line_h = median_line_height(lines)
    order = reading_order([bbox_of(b.polygon) for b in groups], min_gap=max(2.0, 0.4 * line_h), pad=line_h)
    return [x for i in order for x in groups[i].lines]


def mark_margins(blocks: list[Block], page_height: float) -> None:
    """Page numbers and running heads outside the text body are kept, typed, out of the Markdown body.
    A lone number is a page number in the page margins, or as the first or last thing on the page."""
    candidates = [b for b in blocks if b.kind in ("text", "title", "header", "footer") and b.lines]
    for b in candidates:  # first pass: by position in the page margins
        y0, y1 = bbox_of(b.polygon)[1], bbox_of(b.polygon)[3]
        in_top, in_bottom = y1 < 0.09 * page_height, y0 > 0.91 * page_height
        if PAGE_NUMBER.match(b.text) and (in_top or in_bottom):
            b.kind = "page_number"
        elif b.kind == "text" and len(b.lines) == 1 and (y1 < 0.05 * page_height or y0 > 0.95 * page_height):
            b.kind = "header" if in_top else "footer"
    body = [bbox_of(b.polygon) for b in blocks if b.polygon and b.kind not in MARGIN_KINDS]
    first, last = (min(x[1] for x in body), max(x[3] for x in body)) if body else (0.0, 0.0)
    for b in candidates:  # second pass: a lone number first or last in the body (pages with wide margins)
        y0, y1 = bbox_of(b.polygon)[1], bbox_of(b.polygon)[3]
        slack = 0.6 * (y1 - y0)
        lone_number = b.kind == "text" and len(b.lines) == 1 and PAGE_NUMBER.match(b.text)
        if lone_number and (y0 <= first + slack or y1 >= last - slack):
            b.kind = "page_number"
    # The single-line blocks sharing the first (or last) row with a page number are its running head (foot).
    for b in [b for b in blocks if b.kind == "page_number"]:
        ny0, ny1 = bbox_of(b.polygon)[1], bbox_of(b.polygon)[3]
        top = ny0 < 0.5 * page_height
        for o in blocks:
            if o.kind in ("text", "title") and len(o.lines) == 1:
                oy0, oy1 = bbox_of(o.polygon)[1], bbox_of(o.polygon)[3]
                if min(ny1, oy1) - max(ny0, oy0) > 0.3 * min(ny1 - ny0, oy1 - oy0):
                    o.kind = "header" if top else "footer"


def split_margin_rows(blocks: list[Block], page_height: float) -> list[Block]:
    """A running head set as one row of pieces far apart ("400 ... BRITISH HUSBANDRY. ... [Ch. XIX."), with a
    page number at one end, is split out of the paragraph the layout model put it in: the number becomes a
    page_number block and the rest a header (at the foot of the page, a footer). So is such a row without a
    page number whose short pieces hold a figure (a date, a revision) and stand apart from the page's text. OCR reads such a row as
    separate lines; the text layer, as separate runs. A heading such as "1   Introduction" keeps its number: the
    gap after a running head's number is several line heights."""
    body = [b for b in blocks if b.kind in ("text", "title") and b.lines]
    lines = [x for b in body for x in b.lines]
    if len(lines) < 3:
        return blocks
    boxes = {id(x): bbox_of(x.polygon) for x in lines}
    for top in (True, False):
        edge = min(lines, key=lambda x: boxes[id(x)][1]) if top else max(lines, key=lambda x: boxes[id(x)][3])
        ey0, ey1 = boxes[id(edge)][1], boxes[id(edge)][3]
        if (ey1 > 0.15 * page_height) if top else (ey0 < 0.85 * page_height):
            continue
        row = sorted(
            (x for x in lines if min(ey1, boxes[id(x)][3]) - max(ey0, boxes[id(x)][1]) > 0.5 * (ey1 - ey0)),
            key=lambda x: boxes[id(x)][0],
        )
        if len(row) < 2:
            continue
        height = float(np.median([boxes[id(x)][3] - boxes[id(x)][1] for x in row]))
        ends = [(row[0], row[1]), (row[-1], row[-2])]
        numbered = [
            n
            for n, nxt in ends
            if PAGE_NUMBER.match(n.text) and _gap(boxes[id(n)], boxes[id(nxt)]) >= 3 * height
        ]
        if not numbered and not _furniture_row(row, [x for x in lines if x not in row], boxes, height, top):
            continue
        moved = {id(x) for x in row}
        for b in body:
            if any(id(x) in moved for x in b.lines):
                b.lines = [x for x in b.lines if id(x) not in moved]
                if b.lines:
                    b.polygon = union_polygon([x.polygon for x in b.lines])
        rest = [x for x in row if not numbered or x is not numbered[0]]
        blocks = [b for b in blocks if b.lines or b.kind not in ("text", "title")]
        if numbered:
            blocks.append(Block(lines=[numbered[0]], polygon=numbered[0].polygon, kind="page_number"))
        blocks.append(_text_block(rest, "header" if top else "footer"))
        lines = [x for x in lines if id(x) not in moved]
    return blocks


def _furniture_row(
    row: list[Line], others: list[Line], boxes: dict[int, Box], height: float, top: bool
) -> bool:
    """A page's first (last) row set as short pieces far apart, one with a figure in it ("Revision: 2.4 ...
    P/N 119-036 ... 10 June 2019"), a line height or more away from the rest of the page: a running head or
    foot without a page number."""
    if not others or any(count_words(x.text) > 5 for x in row):
        return False
    if not any(ch.isdigit() for x in row for ch in x.text):
        return False
    if any(_gap(boxes[id(a)], boxes[id(b)]) < 3 * height for a, b in itertools.pairwise(row)):
        return False
    if top:
        away = min(boxes[id(x)][1] for x in others) - max(boxes[id(x)][3] for x in row)
    else:
        away = min(boxes[id(x)][1] for x in row) - max(boxes[id(x)][3] for x in others)
    return away >= height


def _gap(a: Box, b: Box) -> float:
    """Horizontal distance between two boxes on one row."""
    return max(a[0], b[0]) - min(a[2], b[2])


def mark_side_notes(blocks: list[Block], page_width: float) -> None:
    """Text running up or down the page's side margin (arXiv's identifier, 'Downloaded from ... on ...'
    stamps) is a running head of the page, kept in JSON and out of the Markdown body like the others."""
    for b in blocks:
        if b.kind not in ("text", "title") or len(b.lines) != 1:
            continue
        x0, y0, x1, y1 = bbox_of(b.polygon)
        tall = (y1 - y0) > 5 * max(x1 - x0, 1.0)
        if tall and (x1 < 0.1 * page_width or x0 > 0.9 * page_width):
            b.kind = "header"


def mark_captions(blocks: list[Block]) -> None:
    """Paragraphs that open with 'Table 3.' or 'Figure 2:' on a page with such an object are its caption
    (the layout model often calls them text)."""
    present = {b.kind for b in blocks}
    for b in blocks:
        m = CAPTION.match(b.text) if b.kind == "text" and b.lines else None
        if m:
            kind = "table" if m.group("kind").lower().startswith("tab") else "figure"
            if kind in present:
                b.kind = f"{kind}_caption"


def set_heading_levels(blocks: list[Block], body_height: float) -> None:
    for b in blocks:
        if b.kind == "title" and b.lines:
            ratio = median_line_height(b.lines) / max(body_height, 1e-6)
            b.payload(HeadingData).level = 1 if ratio >= 1.6 else 2


def attach_captions(order: list[Block]) -> list[Block]:
    """Link each caption to the nearest figure or table of its kind and keep the two adjacent in order."""
    targets = [b for b in order if b.kind in ("figure", "table")]
    captions = [b for b in order if b.kind in ("figure_caption", "table_caption")]
    moves: dict[int, tuple[Block, bool]] = {}  # id(target) -> (caption, caption above target)
    for cap in captions:
        want = "table" if cap.kind == "table_caption" else "figure"
        cb = bbox_of(cap.polygon)
        best, best_d = None, float("inf")
        for t in targets:
            tb = bbox_of(t.polygon)
            if min(cb[2], tb[2]) - max(cb[0], tb[0]) <= 0 or id(t) in moves:
                continue
            d = max(tb[1] - cb[3], cb[1] - tb[3], 0.0) + (0 if t.kind == want else 1e4)
            if d < best_d:
                best, best_d = t, d
        if best is None:
            continue
        best.payload(TableData if best.kind == "table" else FigureData).caption = " ".join(
            x.text for x in cap.lines
        )
        moves[id(best)] = (cap, cb[1] < bbox_of(best.polygon)[1])
    if not moves:
        return order
    moved = {id(c) for c, _ in moves.values()}
    out: list[Block] = []
    for b in order:
        if id(b) in moved:
            continue
        if id(b) in moves:
            cap, above = moves[id(b)]
            out.extend([cap, b] if above else [b, cap])
        else:
            out.append(b)
    return out


def _cuts(intervals: list[tuple[float, float]], min_gap: float) -> list[float]:
    ivs = sorted(intervals)
    cuts, end = [], ivs[0][1]
    for lo, hi in ivs[1:]:
        if lo - end >= min_gap:
            cuts.append((lo + end) / 2)
        end = max(end, hi)
    return cuts


def _split(ids: list[int], boxes: list[Box], cuts: list[float], axis: int) -> list[list[int]]:
    edges = [-np.inf, *cuts, np.inf]
    lo, hi = (0, 2) if axis == 0 else (1, 3)
    centre = {i: (boxes[i][lo] + boxes[i][hi]) / 2 for i in ids}
    return [[i for i in ids if edges[k] <= centre[i] < edges[k + 1]] for k in range(len(edges) - 1)]


def reading_order(boxes: list[Box], min_gap: float, pad: float = 0.0) -> list[int]:
    """Recursive XY-cut that reads columns before rows. Column gutters are cut first; when none crosses the
    region, it is cut into horizontal bands, and consecutive bands that are each split into columns (and hold
    no wide block, like a title or a full-width figure) are kept together, so the columns under a
    full-width title are still read one after the other rather than row by row."""
    if not boxes:
        return []
    return _order(list(range(len(boxes))), boxes, min_gap, pad)


def _order(ids: list[int], boxes: list[Box], min_gap: float, pad: float) -> list[int]:
    if len(ids) <= 1:
        return ids
    # Boxes are narrowed a little for the column test: padded OCR boxes may overlap across a narrow gutter.
    trim = [min(pad, 0.25 * (boxes[i][2] - boxes[i][0])) for i in ids]
    cols = _cuts([(boxes[i][0] + t, boxes[i][2] - t) for i, t in zip(ids, trim)], min_gap)
    if cols:
        return [i for part in _split(ids, boxes, cols, 0) for i in _order(part, boxes, min_gap, pad)]
    rows = _cuts([(boxes[i][1], boxes[i][3]) for i in ids], 1.0)
    if not rows:
        return sorted(ids, key=lambda i: (boxes[i][1], boxes[i][0]))
    bands = [b for b in _split(ids, boxes, rows, 1) if b]
    width = max(boxes[i][2] for i in ids) - min(boxes[i][0] for i in ids)
    segments: list[list[int]] = []
    spans: list[tuple[float, float]] = []  # the columns of the last segment while it is multi-column
    for band in bands:
        wide = any(boxes[i][2] - boxes[i][0] > 0.55 * width for i in band)
        cuts = [] if wide else _cuts([(boxes[i][0], boxes[i][2]) for i in band], min_gap)
        if cuts and spans:
            segments[-1].extend(band)
        elif spans and not wide and _within_one(band, boxes, spans, min_gap):
            # One column running on below the others' ends (a story that fills its column further down):
            # still part of the columns, read before the next column.
            segments[-1].extend(band)
            continue
        else:
            segments.append(list(band))
        parts = _split(band, boxes, cuts, 0) if cuts else []
        spans = [(min(boxes[i][0] for i in p), max(boxes[i][2] for i in p)) for p in parts if p]
    if len(segments) == 1:  # nothing wide to cut at: plain bands, top to bottom
        segments = bands
    return [i for seg in segments for i in _order(seg, boxes, min_gap, pad)]


def _within_one(band: list[int], boxes: list[Box], spans: list[tuple[float, float]], gap: float) -> bool:
    """Whether the band's blocks lie under one of the columns (x-extents) of the band above, reaching none of
    the others (a ragged last line makes a column's extent narrower than its text)."""
    lo, hi = min(boxes[i][0] for i in band), max(boxes[i][2] for i in band)
    under = [a < hi and lo < b for a, b in spans]
    return sum(under) == 1 and all(hi < a - gap or lo > b + gap for (a, b), u in zip(spans, under) if not u)


def assemble_page(
    regions: list[Region],
    lines: list[Line],
    page_width: float,
    page_height: float,
    laid_out: bool | None = None,
) -> list[Block]:
    """Typed blocks in reading order for one page. `laid_out`: whether the layout model ran (default: whether
    it found any region); without it the page is text blocks only."""
    lines, marks = split_watermarks(lines)
    if marks:  # a figure the model drew around the watermark alone
        regions = [r for r in regions if r.kind != "figure" or not covered_by_watermark(r.box, marks)]
    lines = join_choice_rows(attach_bullets(lines))
    # A noisy page may have no region at all: the tables and formulas set as text are still looked for.
    laid_out = bool(regions) if laid_out is None else laid_out
    regions = drop_duplicates(confirm_tables(regions, lines))
    regions = drop_prose_formulas(drop_prose_tables(drop_text_figures(regions, lines), lines), lines)
    if laid_out:
        regions = add_display_formulas(find_text_tables(regions, lines), lines)
        regions = attach_equation_numbers(regions, lines)
    free = assign_lines(regions, lines)
    blocks: list[Block] = []
    for r in regions:
        blocks.extend(region_blocks(r))
    loose = paragraphs(free)
    blocks.extend(loose)
    text_lines = [x for b in blocks if b.kind in ("text", "reference") for x in b.lines]
    body_height = median_line_height(text_lines or lines)
    headings_by_size(loose, body_height)
    restore_body_text(blocks, page_height, body_height)
    blocks = split_margin_rows(blocks, page_height)
    mark_margins(blocks, page_height)
    mark_side_notes(blocks, page_width)
    mark_captions(blocks)
    body = [b for b in blocks if b.kind not in MARGIN_KINDS]
    body_lines = [x for b in body if b.kind in ("text", "reference") for x in b.lines] or lines
    line_h = median_line_height(body_lines)
    set_heading_levels(body, line_h)
    # Column gutters of justified text can be narrow, and OCR line boxes are padded: a small gap suffices.
    order = reading_order([bbox_of(b.polygon) for b in body], min_gap=max(2.0, 0.4 * line_h), pad=line_h)
    ordered = attach_captions([body[i] for i in order])
    heads = sorted(
        (b for b in blocks if b.kind == "header" or b.kind == "page_number" and _top(b, page_height)),
        key=lambda b: (bbox_of(b.polygon)[1], bbox_of(b.polygon)[0]),
    )
    head_ids = {id(b) for b in heads}
    feet = sorted(
        (b for b in blocks if b.kind in MARGIN_KINDS and id(b) not in head_ids),
        key=lambda b: (bbox_of(b.polygon)[1], bbox_of(b.polygon)[0]),
    )
    watermarks = [Block(lines=[x], polygon=x.polygon, kind="watermark") for x in marks]
    return heads + ordered + feet + watermarks


def _top(b: Block, page_height: float) -> bool:
    return bbox_of(b.polygon)[1] < 0.5 * page_height
