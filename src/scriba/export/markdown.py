"""Markdown: one paragraph per block, with structure when layout analysis typed the blocks.

Blocks typed by the parser render as headings, tables (HTML), figures and formulas (image links); plain OCR
blocks are paragraphs. Header/footer blocks stay in JSON only.
"""

from __future__ import annotations

import re

from scriba.document import Block, Document

SKIPPED_KINDS = {"header", "footer", "page_number"}


def _join_lines(block: Block) -> str:
    """Join a block's lines into one paragraph, mending words hyphenated across line breaks."""
    out = ""
    for line in block.lines:
        text = line.text.strip()
        if not text:
            continue
        if not out:
            out = text
        elif re.search(r"[A-Za-z]-$", out) and text[:1].islower():
            out = out[:-1] + text
        else:
            out += " " + text
    return out


def escape_md(text: str) -> str:
    """Escape what would turn a paragraph into a heading or a quote. Bullets and numbered items ("- a",
    "1. Scope") stay as they are: in documents they are real lists, and Markdown renders them as such."""
    text = re.sub(r"^([#>])", r"\\\1", text)
    return text.replace("<", "&lt;") if "<" in text and ">" in text else text


def block_markdown(block: Block) -> str:
    kind = block.kind
    attrs = block.attributes
    if kind in SKIPPED_KINDS:
        return ""
    if kind == "title":
        level = int(attrs.get("level", 2))
        return "#" * max(1, min(level, 6)) + " " + _join_lines(block)
    if kind == "table" and attrs.get("html"):
        return str(attrs["html"])
    if kind == "formula" and attrs.get("latex") and not attrs.get("image"):
        return f"$$\n{attrs['latex']}\n$$"
    if kind in ("figure", "formula") and attrs.get("image"):
        alt = "formula" if kind == "formula" else "figure"
        link = f"![{alt}]({attrs['image']})"
        text = attrs.get("latex") and f"$$\n{attrs['latex']}\n$$"
        return "\n\n".join(x for x in (link, text or _join_lines(block) if kind == "formula" else "") if x)
    if kind in ("figure_caption", "table_caption"):
        return "*" + _join_lines(block) + "*"
    return escape_md(_join_lines(block))


def to_markdown(doc: Document) -> str:
    parts: list[str] = []
    for page in doc.pages:
        for block in page.blocks:
            md = block_markdown(block)
            if md:
                parts.append(md)
    return "\n\n".join(parts) + ("\n" if parts else "")
