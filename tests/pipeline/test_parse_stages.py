"""The parser's stages: each selects the blocks of its kinds and fills their typed payloads; custom stages
plug in; options nest and turn stages on and off; a cancel stops the work between stages."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from scriba import BlockKind, Parser, TableData
from scriba.document import Block
from scriba.errors import Cancelled
from scriba.models.runtime import RuntimeOptions
from scriba.pipeline.parse import LayoutOptions, ParseOptions, TableOptions
from scriba.pipeline.stages import (
    CropStage,
    FormulaStage,
    PageContext,
    Stage,
    TableStage,
    default_stages,
)
from tests.pipeline.parse_fixtures import TABLE, article_pdf


@pytest.fixture(scope="module")
def article(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return article_pdf(tmp_path_factory.mktemp("stages") / "article.pdf")


class WordCount(Stage):
    """A custom stage: counts the words of every paragraph, as a user's own enrichment would."""

    name = "word_count"
    kinds = (BlockKind.TEXT,)

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, ctx: PageContext, blocks: list[Block]) -> None:
        self.calls.append(len(blocks))  # one batched call per page with paragraphs
        for b in blocks:
            b.attributes["words"] = len(b.text.split())


def test_default_stages_follow_the_options() -> None:
    runtime = RuntimeOptions()
    names = [type(s) for s in default_stages(ParseOptions(), runtime, lambda: None)]
    assert names == [TableStage, FormulaStage, CropStage]
    off = ParseOptions(table=TableOptions(enabled=False))
    assert TableStage not in [type(s) for s in default_stages(off, runtime, lambda: None)]


def test_custom_stage_runs_batched_and_writes_json(article: Path) -> None:
    counter = WordCount()
    parser = Parser(ParseOptions(dpi=144))
    parser.stages.append(counter)
    doc = parser(article, pages="1")
    paragraphs = [b for b in doc.pages[0].blocks if b.kind == BlockKind.TEXT]
    assert counter.calls == [len(paragraphs)] and len(paragraphs) >= 4
    for b in paragraphs:
        assert b.to_dict()["words"] == len(b.text.split()) > 3
    assert doc.pages[0].metadata["timings"]["word_count"] >= 0


def test_table_stage_fills_typed_payload_and_can_be_turned_off(article: Path) -> None:
    page = Parser(ParseOptions(dpi=144))(article, pages="2").pages[0]
    table = next(b for b in page.blocks if b.kind is BlockKind.TABLE)
    assert isinstance(table.data, TableData)
    assert (table.data.rows, table.data.cols) == (len(TABLE), 3) and table.data.html
    off = Parser(ParseOptions(dpi=144, table=TableOptions(enabled=False)))(article, pages="2").pages[0]
    plain = next(b for b in off.blocks if b.kind is BlockKind.TABLE)
    assert plain.data is None or not getattr(plain.data, "html", None)  # no structure, the text is kept
    assert "Region" in plain.text or TABLE[0][0] in plain.text


def test_no_layout_gives_text_blocks_only(article: Path) -> None:
    page = Parser(ParseOptions(dpi=144, layout=LayoutOptions(enabled=False)))(article, pages="2").pages[0]
    assert page.blocks and {b.kind for b in page.blocks} <= {
        BlockKind.TEXT,
        BlockKind.HEADER,
        BlockKind.FOOTER,
        BlockKind.PAGE_NUMBER,
    }


class SetsCancel(Stage):
    """Asks the work to stop, as a timed-out request does, then lets the next stage's check act."""

    name = "cancel"
    kinds = ()

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, ctx: PageContext, blocks: list[Block]) -> None:
        self.event.set()


class MustNotRun(Stage):
    name = "never"
    kinds = ()

    def __call__(self, ctx: PageContext, blocks: list[Block]) -> None:
        raise AssertionError("a stage ran after the work was cancelled")


def test_cancel_stops_between_stages(article: Path) -> None:
    from scriba.io.sources import Source

    event = threading.Event()
    parser = Parser(ParseOptions(dpi=144), stages=[SetsCancel(event), MustNotRun()])
    pages = parser.iter_source(Source(name="article.pdf", path=str(article)), cancel=event)
    with pytest.raises(Cancelled):
        next(pages)
