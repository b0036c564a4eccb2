"""Paragraphs set apart by extra space are split from the lines alone, where no layout region says so; and
running text in narrow columns is not taken for a table."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from scriba import ParseOptions, Parser
from scriba.pipeline.parse_options import LayoutOptions
from scriba.pipeline.spacing import spacing_cuts
from scriba.pipeline.tables import looks_like_prose
from tests.conftest import font

H = 20.0


def _column(steps: list[float], jitter: list[float]) -> list[tuple[float, float, float, float]]:
    """Line boxes one under the other: `steps[k]` from line k's centre to line k+1's, each box's top and
    bottom moved by its `jitter` (ascenders and descenders change OCR boxes) without moving its centre."""
    centres = np.cumsum([100.0, *steps])
    return [(50, c - H / 2 - j, 600, c + H / 2 + j) for c, j in zip(centres, jitter)]


def test_a_longer_step_between_lines_starts_a_paragraph() -> None:
    jitter = [0, 3, -2, 4, 0, -3, 2, 0, 3]
    steps = [24, 24, 24, 33, 24, 24, 24, 34]  # the paragraph breaks add a little under half a line
    assert spacing_cuts(_column(steps, jitter)) == [4, 8]


def test_evenly_spaced_lines_and_pieces_of_one_row_are_not_cut() -> None:
    jitter = [0, 4, -3, 4, -3, 0, 2]
    assert spacing_cuts(_column([24, 25, 23, 26, 24, 24], jitter)) == []
    # Two pieces of one row (a step of no height) neither count as a line step nor cut.
    boxes = _column([24, 24, 0, 24, 24, 24], [0] * 7)
    assert spacing_cuts(boxes) == []
    assert spacing_cuts(_column([24, 34], [0, 0, 0])) == []  # too few steps to know the pitch


PARAGRAPHS = [
    ["Rainfall in the eastern valleys was well", "below the long-term average this year."],
    [
        "Volunteers recorded the number of birds",
        "seen at each site during the spring, and",
        "they sent in their notes.",
    ],
    ["The bridge was closed for repairs while", "engineers inspected the main cables."],
]


def _page() -> np.ndarray:
    """Three paragraphs, a third of a line of space between them, no indents: only the spacing tells them apart."""
    f, pitch = font("serif", 30), 40
    img = Image.new("RGB", (900, 520), "white")
    draw, y = ImageDraw.Draw(img), 50
    for para in PARAGRAPHS:
        for line in para:
            draw.text((60, y), line, font=f, fill=(0, 0, 0))
            y += pitch
        y += pitch // 3
    return np.asarray(img)


def test_paragraphs_without_layout_regions_split_at_their_spacing() -> None:
    parser = Parser(ParseOptions(layout=LayoutOptions(enabled=False)))
    md = parser(_page()).to_markdown()
    assert md.strip().split("\n\n") == [" ".join(p) for p in PARAGRAPHS]


def test_prose_in_narrow_columns_is_not_a_table() -> None:
    words = [
        "of",
        "birds",
        "seen",
        "at",
        "each",
        "site",
        "during",
        "the",
        "spring.",
        "The",
        "committee",
        "reviewed",
        "the",
        "proposal",
        "in",
        "detail",
        "before",
        "the",
        "annual",
        "meeting.",
        "Data",
        "from",
        "the",
        "older",
        "instruments",
        "were",
        "corrected",
        "using",
        "a",
        "simple",
        "linear",
        "model.",
        "Measurements",
        "were",
        "taken",
        "every",
        "morning",
        "at",
        "the",
        "same",
        "station",
        "near",
        "the",
        "river.",
        "A",
        "second",
        "survey",
        "confirmed",
        "the",
        "trend",
        "across",
        "all",
        "of",
        "the",
        "northern",
        "districts.",
    ]
    lines, k = [], 0
    while k < len(words):  # four or five words a line, as a newspaper column sets them
        n = 4 + (k // 4) % 2
        lines.append(" ".join(words[k : k + n]))
        k += n
    # Three such columns side by side, as a layout model's page-wide 'table' holds them.
    boxes = [
        (50 + 320 * c, 100 + 24 * r, 330 + 320 * c, 120 + 24 * r) for c in range(3) for r in range(len(lines))
    ]
    texts = [lines[r] for _ in range(3) for r in range(len(lines))]
    assert looks_like_prose(list(zip(texts, boxes)))


def test_larger_short_lines_no_region_holds_are_headings() -> None:
    from scriba.document import Block, Line, polygon_of_bbox, union_polygon
    from scriba.pipeline.layout_order import headings_by_size

    def block(texts: list[str], h: float, top: float) -> Block:
        """Lines of height h, one under the other (a line's height apart) from `top` down."""
        lines = [
            Line(t, 1.0, polygon_of_bbox(0, top + 2 * h * k, 400, top + 2 * h * k + h))
            for k, t in enumerate(texts)
        ]
        return Block(lines=lines, polygon=union_polygon([x.polygon for x in lines]))

    title = block(["Annual Review", "of Public Services"], 30, 0)
    section = block(["1 Introduction"], 21, 150)
    sentence = block(["The results are clear."], 30, 250)
    number = block(["2024"], 30, 350)
    body = block(["The results suggest that the new method", "reduces the cost of each test."], 18, 450)
    # A first line set taller by its drop cap, cut from the rest of its paragraph just under it: not a heading.
    first = block(["The bridge was closed for repairs while"], 34, 600)
    rest = block(["engineers inspected the main cables."], 18, 640)
    blocks = [title, section, sentence, number, body, first, rest]
    headings_by_size(blocks, 18.0)
    assert [b.kind for b in blocks] == ["title", "title", "text", "text", "text", "text", "text"]


def test_a_table_of_names_and_wrapped_descriptions_is_not_prose() -> None:
    descriptions = [
        "allows the user to read the rows and columns of any table in the database schema",
        "lets a security officer change the function usage settings for other users on the system",
        "grants access to the performance data that the monitor collects for each query it runs",
    ]
    lines: list[tuple[str, tuple[float, float, float, float]]] = []
    row = 0
    for k, text in enumerate(descriptions):
        words = text.split()
        name = ("QIBM_DB_READER", "QIBM_DB_SECADM", "QIBM_DB_SYSMON")[k]
        lines.append((name, (50, 100 + 24 * row, 250, 120 + 24 * row)))  # the name, on the first line
        for j in range(0, len(words), 6):  # the description wrapped in its cell, six words a line
            lines.append((" ".join(words[j : j + 6]), (300, 100 + 24 * row, 700, 120 + 24 * row)))
            row += 1
        lines.extend(
            (word, (50, 100 + 24 * r, 120, 120 + 24 * r))
            for word, r in zip(("default", "granted"), range(row - 2, row))
        )
    assert not looks_like_prose(lines)
