"""Scriba: practical, fast, offline OCR and document parsing.

    from scriba import OCR
    doc = OCR(model="ppocrv5")(["a.png", "b.pdf"])
    print(doc.text())
"""

from scriba.block_types import BlockKind, FigureData, FormulaData, HeadingData, TableData
from scriba.document import Block, Document, Line, Page, Word
from scriba.errors import InputError, ModelError, ScribaError
from scriba.models.registry import get_model, list_models, register_model
from scriba.pipeline.ocr import OCR, OCROptions, ocr

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The document parser (layout model, PDF text layer) loads on first use: plain OCR starts faster without it.
    if name in ("Parser", "ParseOptions"):
        from scriba.pipeline import parse

        return getattr(parse, name)
    raise AttributeError(f"module 'scriba' has no attribute {name!r}")

__all__ = [
    "OCR",
    "Block",
    "BlockKind",
    "Document",
    "FigureData",
    "FormulaData",
    "HeadingData",
    "InputError",
    "Line",
    "ModelError",
    "OCROptions",
    "Page",
    "ParseOptions",
    "Parser",
    "ScribaError",
    "TableData",
    "Word",
    "get_model",
    "list_models",
    "ocr",
    "register_model",
]
