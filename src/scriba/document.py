"""The result tree: Document > Page > Block > Line > Word.

Every export (text, JSON, Markdown, hOCR, overlay) is derived from this tree, and JSON loads back into it.
Polygons are absolute pixel coordinates of the page image, as lists of [x, y].
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from scriba.block_types import PAYLOAD_OF, BlockData, BlockKind, block_kind

D = TypeVar("D", bound=BlockData)

Polygon = list[list[float]]

SCHEMA_VERSION = "1.0"


def _round_polygon(polygon: Any) -> Polygon:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in polygon]


def bbox_of(polygon: Polygon) -> tuple[float, float, float, float]:
    """Axis-aligned (x0, y0, x1, y1) of a polygon."""
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    return (min(xs), min(ys), max(xs), max(ys))


def polygon_of_bbox(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def union_polygon(polygons: list[Polygon]) -> Polygon:
    """The axis-aligned rectangle that covers all polygons."""
    if not polygons:
        return []
    boxes = [bbox_of(p) for p in polygons if p]
    return polygon_of_bbox(
        min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)
    )


def _serialized_mean_confidence(lines: list[Line]) -> float:
    """Mean of the line confidences as serialized (4 decimals), so a tree loaded from JSON writes the same
    block and page confidences again."""
    if not lines:
        return 1.0
    return round(sum(round(x.confidence, 4) for x in lines) / len(lines), 4)


@dataclass
class Word:
    text: str
    confidence: float
    polygon: Polygon

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "confidence": round(self.confidence, 4), "polygon": _round_polygon(self.polygon)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(text=d["text"], confidence=float(d["confidence"]), polygon=d["polygon"])


@dataclass
class Line:
    text: str
    confidence: float
    polygon: Polygon
    words: list[Word] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "polygon": _round_polygon(self.polygon),
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Line:
        return cls(
            text=d["text"],
            confidence=float(d["confidence"]),
            polygon=d["polygon"],
            words=[Word.from_dict(w) for w in d.get("words", [])],
        )


def move_lines(lines: list[Line], to: Callable[[Polygon], Polygon]) -> None:
    """Each line's and each of its words' polygon mapped by `to` (onto another frame of the same page)."""
    for line in lines:
        line.polygon = to(line.polygon)
        for word in line.words:
            word.polygon = to(word.polygon)


@dataclass
class Block:
    """A group of lines read together (a paragraph, a title, a table, ...).

    `kind` is the block type (`BlockKind.TEXT` for plain OCR; layout analysis adds title, table, figure,
    formula, ...; a plain string is turned into its BlockKind). `data` is the kind's typed payload
    (`TableData`, `FigureData`, `FormulaData`, `HeadingData`: see scriba.block_types), None until a stage
    fills it; `attributes` holds any further JSON values a custom stage adds. Both are written flat into the
    block's JSON object.
    """

    lines: list[Line] = field(default_factory=list)
    polygon: Polygon = field(default_factory=list)
    kind: BlockKind = BlockKind.TEXT
    attributes: dict[str, Any] = field(default_factory=dict)
    data: BlockData | None = None
    # The block goes on with the paragraph of the body block before it (cut by a column or a page break); set
    # by the parser (scriba.export.markdown.link_paragraphs), written to JSON only when true.
    continues: bool = False

    def __post_init__(self) -> None:
        self.kind = block_kind(self.kind)

    def __setattr__(self, name: str, value: Any) -> None:
        # Stages retype blocks (a header that reads as body text becomes text): keep `kind` a BlockKind.
        object.__setattr__(self, name, block_kind(value) if name == "kind" else value)

    def payload(self, cls: type[D]) -> D:
        """The block's payload of type `cls`, created (empty) when it has none or one of another type; a
        caption already attached moves over."""
        if not isinstance(self.data, cls):
            new = cls()
            caption = getattr(self.data, "caption", None)
            if caption is not None and hasattr(new, "caption"):
                new.caption = caption  # type: ignore[attr-defined]
            self.data = new
        return self.data

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float:
        if not self.lines:
            return 1.0
        return sum(line.confidence for line in self.lines) / len(self.lines)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.kind.value,
            "text": self.text,
            "confidence": _serialized_mean_confidence(self.lines),
            "polygon": _round_polygon(self.polygon),
            "lines": [line.to_dict() for line in self.lines],
        }
        if self.data is not None:
            d.update(self.data.to_dict())
        if self.continues:
            d["continues"] = True
        d.update(self.attributes)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Block:
        reserved = {"type", "text", "confidence", "polygon", "lines", "continues"}
        kind = block_kind(d.get("type", "text"))
        payload_type = PAYLOAD_OF.get(kind)
        data = None
        if payload_type is not None and payload_type.field_names() & d.keys():
            data = payload_type.from_dict(d)
            reserved |= payload_type.field_names()
        return cls(
            lines=[Line.from_dict(x) for x in d.get("lines", [])],
            polygon=d.get("polygon", []),
            kind=kind,
            attributes={k: v for k, v in d.items() if k not in reserved},
            data=data,
            continues=bool(d.get("continues", False)),
        )


@dataclass
class Page:
    width: int
    height: int
    index: int = 0
    source: str = ""
    blocks: list[Block] = field(default_factory=list)
    # How the page was read ("ocr", "text-layer", ...), timings, rotation: free-form but JSON-serializable.
    metadata: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def lines(self) -> list[Line]:
        return [line for block in self.blocks for line in block.lines]

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    @property
    def polygon(self) -> Polygon:
        return polygon_of_bbox(0, 0, self.width, self.height)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float:
        lines = self.lines
        return sum(x.confidence for x in lines) / len(lines) if lines else 1.0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index,
            "source": self.source,
            "width": self.width,
            "height": self.height,
            "text": self.text,
            "confidence": _serialized_mean_confidence(self.lines),
            "polygon": self.polygon,
            "metadata": self.metadata,
            "blocks": [b.to_dict() for b in self.blocks],
        }
        if self.error:
            d["error"] = self.error
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Page:
        return cls(
            width=int(d["width"]),
            height=int(d["height"]),
            index=int(d.get("index", 0)),
            source=d.get("source", ""),
            blocks=[Block.from_dict(b) for b in d.get("blocks", [])],
            metadata=d.get("metadata", {}),
            error=d.get("error"),
        )


@dataclass
class Document:
    pages: list[Page] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def text_content(self) -> str:
        return self.text()

    def text(self) -> str:
        from scriba.export.text import to_text

        return to_text(self)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA_VERSION, "metadata": self.metadata, "pages": [p.to_dict() for p in self.pages]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_markdown(self) -> str:
        from scriba.export.markdown import to_markdown

        return to_markdown(self)

    def to_hocr(self) -> str:
        from scriba.export.hocr import to_hocr

        return to_hocr(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        return cls(pages=[Page.from_dict(p) for p in d.get("pages", [])], metadata=d.get("metadata", {}))

    @classmethod
    def from_json(cls, text: str) -> Document:
        return cls.from_dict(json.loads(text))

    def __add__(self, other: Document) -> Document:
        return Document(pages=self.pages + other.pages, metadata={**self.metadata, **other.metadata})
