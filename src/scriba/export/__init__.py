"""Exports, each derived from the result tree only."""

from scriba.export.hocr import to_hocr
from scriba.export.markdown import to_markdown
from scriba.export.text import to_text

__all__ = ["to_hocr", "to_markdown", "to_text"]
