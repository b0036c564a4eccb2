"""Paragraphs set with no space between them split at their indented first lines, and only there."""

from __future__ import annotations

from scriba.pipeline.indents import indent_cuts

H = 20.0


def _rows(spec: list[tuple[float, float, str]]) -> tuple[list[tuple[float, float, float, float]], list[str]]:
    """(left indent in line heights, right end in px, text) per line, one line height apart."""
    boxes = [(100 + k * H, 100 + 1.25 * H * n, r, 100 + 1.25 * H * n + H) for n, (k, r, _) in enumerate(spec)]
    return boxes, [t for *_, t in spec]


def test_indented_first_lines_start_paragraphs() -> None:
    boxes, texts = _rows(
        [
            (1.5, 900, "The first paragraph opens with an indent and runs on"),
            (0, 900, "across the whole measure of the column until it"),
            (0, 520, "ends here."),
            (1.5, 900, "The second one opens the same way and goes on for"),
            (0, 900, "a line or two more, justified to the right edge, and"),
            (0, 900, "its last line fills the measure too, ending in a stop."),
            (1.5, 900, "The third starts after a full line that ended a sentence"),
            (0, 700, "and closes the group."),
        ]
    )
    assert indent_cuts(boxes, texts) == [3, 6]


def test_hanging_indents_and_quotations_are_not_cut() -> None:
    items, texts = _rows(
        [
            (0, 900, "1. The first item of the list is long enough that it"),
            (1.2, 600, "wraps onto a second line."),
            (0, 900, "2. The second item also wraps onto the next line."),
            (1.2, 600, "like the first one does."),
            (0, 900, "3. The third item is the last one in the list here"),
        ]
    )
    assert indent_cuts(items, texts) == []
    quote, texts = _rows(
        [
            (0, 900, "The author quotes a passage from the report, set apart:"),
            (2.0, 800, "the lines of a quotation are all indented from the"),
            (2.0, 800, "left edge, so none of them starts a paragraph of its"),
            (2.0, 700, "own inside the quotation."),
            (0, 900, "and the text goes on after it as before, to the end."),
            (0, 600, "of the paragraph."),
        ]
    )
    assert indent_cuts(quote, texts) == []
