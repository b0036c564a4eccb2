"""Text-layer characters: UTF-16 surrogate pairs from PDFium are one character, lone halves are dropped; a
symbol-font glyph with no text opening a line is a bullet."""

from __future__ import annotations

import json

import numpy as np

from scriba.document import Block, Document, Line, Page
from scriba.io.textlayer import _char_texts


def test_surrogate_pairs_are_one_character_and_lone_halves_dropped() -> None:
    codes = [0xD835, 0xDC65, 0x3D, 0xD835, 0x32]  # MATHEMATICAL ITALIC SMALL X, '=', a lone high half, '2'
    boxes = np.tile(np.array([0.0, 0.0, 5.0, 10.0]), (len(codes), 1))
    texts = _char_texts(codes, boxes)
    assert texts == ["\U0001d465", "", "=", "", "2"]
    line = Line("".join(texts), 1.0, [[0, 0], [5, 0], [5, 10], [0, 10]])
    doc = Document([Page(10, 10, blocks=[Block([line], line.polygon)])])
    assert json.loads(doc.to_json().encode("utf-8"))["pages"][0]["text"] == "\U0001d465=2"


def _layer_lines(chars: list[tuple[int, float]]) -> list[str]:
    """Characters (code, left x) set 10 px wide on one baseline -> the text layer's lines."""
    from scriba.io.textlayer import TextLayer, _bullets_from_marks, _words, _words_to_lines

    codes = [c for c, _ in chars]
    boxes = np.array([[x, 100.0, x + 10.0 if c != 0x20 else x, 120.0] for c, x in chars])
    words, breaks, _ = _words(codes, boxes, TextLayer(), 0, [False] * len(codes))
    return [x.text for x in _bullets_from_marks(_words_to_lines(words, breaks))]


def _text(s: str, x0: float) -> list[tuple[int, float]]:
    return [(ord(ch), x0 + 10 * k) for k, ch in enumerate(s)]


def test_a_symbol_font_glyph_opening_a_line_is_a_bullet() -> None:
    # Word's symbol-font box (no Unicode: code 0x84 or a private-use one) a tab stop before its item's text.
    for mark in (0x84, 0xF0B7):
        assert _layer_lines([(mark, 50.0), *_text("First item", 100.0)]) == ["• First item"]
        assert _layer_lines([(mark, 50.0), (0x20, 60.0), *_text("Item", 70.0)]) == ["• Item"]
    # Inside a word it is dropped, as is a mark with no text beside it.
    assert _layer_lines([*_text("ab", 0.0), (0x84, 20.0), *_text("cd", 30.0)]) == ["abcd"]
    assert _layer_lines([(0x84, 50.0)]) == []
