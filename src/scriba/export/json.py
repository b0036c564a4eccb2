"""JSON export and import of the result tree (schema: docs/json-schema.md)."""

from __future__ import annotations

from scriba.document import Document


def to_json(doc: Document, indent: int | None = 2) -> str:
    return doc.to_json(indent=indent)


def from_json(text: str) -> Document:
    return Document.from_json(text)
