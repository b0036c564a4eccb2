"""Markdown: one paragraph per block, with structure when layout analysis typed the blocks.

Blocks typed by the parser render as headings, tables (HTML), figures and formulas (image links, followed by
the text read inside them); plain OCR blocks are paragraphs, and a paragraph cut by a column or page break is
written whole. Header/footer blocks stay in JSON only: no other recognized text is left out.
"""

from __future__ import annotations

import re
from itertools import groupby

from scriba.block_types import BlockKind, FigureData, FormulaData, HeadingData, TableData
from scriba.document import Block, Document
from scriba.export.prose import (
    PROSE_KINDS,
    continues,
    is_bullet,
    join_lines,
    join_pair,
    list_markdown,
    numbered_items,
)

SKIPPED_KINDS = {"header", "footer", "page_number", "watermark"}
FLOAT_KINDS = {"figure", "figure_caption", "table", "table_caption"}
MAX_HELD = 4  # floats held back at most between a paragraph and its rest


def _join_lines(block: Block) -> str:
    """A block's lines as one paragraph: CJK lines joined without spaces, hyphenated words mended."""
    return join_lines([line.text for line in block.lines])


def escape_md(text: str) -> str:
    """Escape what would turn a paragraph into a heading or a quote, or a stretch of it into math. Bullets and
    numbered items ("- a", "1. Scope") stay as they are: in documents they are real lists, and Markdown renders
    them as such."""
    text = re.sub(r"^([#>])", r"\\\1", text)
    # Two dollar signs in read text ("$5 and $7", or TeX source a PDF carries as its text) would open and close
    # a math span; the text was read, not typeset as LaTeX, so the dollars stay literal.
    if text.count("$") >= 2:
        text = re.sub(r"(?<!\\)\$", r"\\$", text)
    return text.replace("<", "&lt;") if "<" in text and ">" in text else text


def block_markdown(block: Block) -> str:
    kind, data = block.kind, block.data
    if kind in SKIPPED_KINDS:
        return ""
    if kind == BlockKind.TITLE:
        level = data.level if isinstance(data, HeadingData) else 2
        return "#" * max(1, min(level, 6)) + " " + escape_md(_join_lines(block))
    if isinstance(data, TableData) and data.html:
        return data.html
    if kind in (BlockKind.FIGURE, BlockKind.FORMULA):
        # The crop, then what was read inside it (a figure's labels, a formula's text): never dropped.
        image = data.image if isinstance(data, (FigureData, FormulaData)) else None
        link = f"![{kind}]({image})" if image else ""
        latex = data.latex if isinstance(data, FormulaData) else None
        text = f"$$\n{latex}\n$$" if latex else escape_md(_join_lines(block))
        return "\n\n".join(x for x in (link, text) if x)
    if kind in (BlockKind.FIGURE_CAPTION, BlockKind.TABLE_CAPTION):
        return "*" + escape_md(_join_lines(block)) + "*"
    return "\n\n".join(_items(block))


def _items(block: Block) -> list[str]:
    """A prose block as Markdown parts: a list (bulleted or numbered) as one part, one line per item; the
    entries of a reference list one paragraph each; else the block as one paragraph."""
    items = numbered_items([line.text for line in block.lines]) if block.kind in PROSE_KINDS else None
    if not items:
        return [escape_md(_join_lines(block))]
    texts = [escape_md(join_lines(item)) for item in items]
    as_list = list_markdown(texts)
    if as_list is not None:
        return [as_list]
    # A lead or numbered entries with bulleted options: each run of bullets is a list right under its entry
    # (a bullet list may interrupt a paragraph: the entry and its options stay one part).
    parts: list[str] = []
    for bullets, group in groupby(texts, key=is_bullet):
        entries = list(group)
        if not bullets:
            parts.extend(entries)
            continue
        options = list_markdown(entries) or ""  # bullets only: always a list
        if parts:
            parts[-1] += "\n" + options
        else:
            parts.append(options)
    return parts


def _is_list(part: str) -> bool:
    return part.startswith("- ") or re.match(r"\d{1,3}[.)] ", part) is not None


def _same_list(before: str, part: str) -> bool:
    """Whether `part` is more entries of the list that ends `before`: every line of it an entry of the kind
    (bulleted or numbered) of the last line before (a question with its options is not)."""
    kinds = {line.startswith("- ") for line in part.splitlines()}
    last = before.splitlines()[-1] if before else ""
    return _is_list(part) and _is_list(last) and kinds == {last.startswith("- ")}


def to_markdown(doc: Document) -> str:
    return _render(doc)[0]


def link_paragraphs(doc: Document) -> None:
    """Mark each block that goes on with the paragraph before it (cut by a column or a page break) with
    `continues = True`, as the Markdown joins them: JSON readers can join the same blocks."""
    linked = _render(doc)[1]
    for page in doc.pages:
        for block in page.blocks:
            block.continues = id(block) in linked


def _render(doc: Document) -> tuple[str, set[int]]:
    """The Markdown, and the ids of the blocks it joined to the paragraph before them."""
    parts: list[str] = []
    linked: set[int] = set()
    paragraph = ""  # the text of the open paragraph while it is a plain paragraph (escaped when written)
    at = -1  # its index in parts
    last: Block | None = None  # the block that ended it
    listed = False  # the last part is a Markdown list
    # Figures, tables and their captions set between a paragraph and its rest (the paragraph breaks at the
    # bottom of a column and goes on at the top of the next; the float sits between): held back, and written
    # after the paragraph when its rest comes, else where they stand.
    held: list[str] = []
    for page in doc.pages:
        for block in page.blocks:
            if block.kind in SKIPPED_KINDS:
                continue  # running heads and page numbers do not interrupt a paragraph
            md = block_markdown(block)
            if not md:
                continue
            if last is not None and block.kind in FLOAT_KINDS and len(held) < MAX_HELD:
                held.append(md)
                continue
            text = _join_lines(block)
            if last is not None and continues(last, paragraph, block, text):
                paragraph = join_pair(paragraph, text)
                parts[at] = escape_md(paragraph)
                linked.add(id(block))
                parts.extend(held)
                held = []
                last = block
                listed = False
                continue
            parts.extend(held)
            held = []
            if block.kind in PROSE_KINDS and numbered_items([x.text for x in block.lines]):
                items = _items(block)  # a list, or reference entries each its own paragraph
                if len(items) == 1 and listed and parts and _same_list(parts[-1], items[0]):
                    parts[-1] += "\n" + items[0]  # items set apart by a little space: still one list
                else:
                    parts.extend(items)
                paragraph = ""  # not continued by the next block
            else:
                parts.append(md)
                paragraph = text
                at = len(parts) - 1
            last = block if block.kind in PROSE_KINDS and paragraph else None
            listed = bool(parts) and _is_list(parts[-1]) and paragraph == ""
    parts.extend(held)
    return "\n\n".join(parts) + ("\n" if parts else ""), linked
