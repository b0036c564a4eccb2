"""A checker for the JSON schema of docs/json-schema.md, written out by hand so a failure names the field."""

from __future__ import annotations

from typing import Any


def _polygon(value: Any, where: str, min_points: int = 3) -> None:
    assert isinstance(value, list) and len(value) >= min_points, f"{where}.polygon: {value!r}"
    for pt in value:
        assert isinstance(pt, list) and len(pt) == 2, f"{where}.polygon point {pt!r}"
        assert all(isinstance(c, (int, float)) for c in pt), f"{where}.polygon point {pt!r}"


def _node(d: dict[str, Any], where: str) -> None:
    assert isinstance(d.get("text"), str), f"{where}.text"
    conf = d.get("confidence")
    assert isinstance(conf, (int, float)) and 0.0 <= conf <= 1.0, f"{where}.confidence = {conf!r}"
    _polygon(d.get("polygon"), where)


def check_document(doc: dict[str, Any]) -> None:
    """Raise AssertionError unless `doc` has the documented shape (extra fields are allowed)."""
    assert isinstance(doc.get("schema"), str)
    assert isinstance(doc.get("metadata"), dict)
    assert isinstance(doc.get("pages"), list)
    for p, page in enumerate(doc["pages"]):
        where = f"pages[{p}]"
        for key, kind in (("index", int), ("width", int), ("height", int), ("source", str), ("blocks", list)):
            assert isinstance(page.get(key), kind), f"{where}.{key} = {page.get(key)!r}"
        assert isinstance(page.get("metadata"), dict)
        for b, block in enumerate(page["blocks"]):
            bw = f"{where}.blocks[{b}]"
            assert isinstance(block.get("type"), str), f"{bw}.type"
            assert isinstance(block.get("lines"), list), f"{bw}.lines"
            if block["lines"]:
                _node(block, bw)
            for n, line in enumerate(block["lines"]):
                lw = f"{bw}.lines[{n}]"
                _node(line, lw)
                assert isinstance(line.get("words"), list), f"{lw}.words"
                for k, word in enumerate(line["words"]):
                    _node(word, f"{lw}.words[{k}]")
                assert " ".join(w["text"] for w in line["words"]) == " ".join(line["text"].split()), lw
