"""Block kinds and their typed payloads: what a table, figure, formula or heading carries beyond its lines.

A payload's fields are written into the block's JSON object next to "type", "text" and "lines" (the JSON
schema is flat), and read back from it by kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar


class BlockKind(StrEnum):
    """What a block is. A StrEnum: it compares equal to, and serializes as, its plain name ("table")."""

    TEXT = "text"
    TITLE = "title"
    TABLE = "table"
    FIGURE = "figure"
    FORMULA = "formula"
    FIGURE_CAPTION = "figure_caption"
    TABLE_CAPTION = "table_caption"
    HEADER = "header"
    FOOTER = "footer"
    PAGE_NUMBER = "page_number"
    REFERENCE = "reference"
    SEAL = "seal"
    WATERMARK = "watermark"


def block_kind(value: str | BlockKind) -> BlockKind:
    try:
        return BlockKind(value)
    except ValueError:
        known = ", ".join(k.value for k in BlockKind)
        raise ValueError(f"unknown block kind {value!r}; known: {known}") from None


@dataclass
class BlockData:
    """Base of the typed payloads. Fields named in `omit_when_none` are left out of the JSON while None."""

    omit_when_none: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in self.omit_when_none:
                continue
            out[f.name] = value
        return out

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in fields(cls)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BlockData:
        return cls(**{k: d[k] for k in cls.field_names() if k in d})


@dataclass
class HeadingData(BlockData):
    level: int = 2  # Markdown heading level (1: set much larger than the body text)


@dataclass
class TableData(BlockData):
    """A table's structure. `cells` are `{"row", "col", "row_span", "col_span", "text", "bbox"}` dicts (the
    JSON form of `scriba.pipeline.tables.Cell`); `html` is None when no structure was found."""

    omit_when_none: ClassVar[frozenset[str]] = frozenset({"caption", "html", "table_method"})
    html: str | None = None
    rows: int = 0
    cols: int = 0
    header_rows: int = 0
    table_method: str | None = None
    cells: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None


@dataclass
class FigureData(BlockData):
    omit_when_none: ClassVar[frozenset[str]] = frozenset({"caption"})
    image: str | None = None  # the crop's path, relative to the Markdown file (None: not written)
    caption: str | None = None


@dataclass
class FormulaData(BlockData):
    """`latex` is set only when a formula recognizer was confident and its output well formed; otherwise the
    crop and the text read inside the formula are kept, and `latex_status` says why."""

    omit_when_none: ClassVar[frozenset[str]] = frozenset({"latex_confidence", "latex_status"})
    image: str | None = None
    latex: str | None = None
    latex_confidence: float | None = None
    latex_status: str | None = None


PAYLOAD_OF: dict[BlockKind, type[BlockData]] = {
    BlockKind.TITLE: HeadingData,
    BlockKind.TABLE: TableData,
    BlockKind.FIGURE: FigureData,
    BlockKind.FORMULA: FormulaData,
}

__all__ = [
    "PAYLOAD_OF",
    "BlockData",
    "BlockKind",
    "FigureData",
    "FormulaData",
    "HeadingData",
    "TableData",
    "block_kind",
]
