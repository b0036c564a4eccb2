"""Text-layer characters: UTF-16 surrogate pairs from PDFium are one character, lone halves are dropped."""

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
