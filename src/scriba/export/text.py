"""Plain text in reading order: lines joined by newlines, blocks by a blank line, pages by a form feed."""

from __future__ import annotations

from scriba.document import Document, Page


def page_text(page: Page) -> str:
    return "\n\n".join(b.text for b in page.blocks if b.lines)


def to_text(doc: Document) -> str:
    return "\n\f\n".join(page_text(p) for p in doc.pages)
