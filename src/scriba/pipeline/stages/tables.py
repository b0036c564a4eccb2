"""Table blocks -> rows, columns and spans as HTML (ruling lines, word alignment or SLANet-plus)."""

from __future__ import annotations

from scriba.block_types import BlockKind, TableData
from scriba.document import Block, bbox_of
from scriba.models.runtime import RuntimeOptions
from scriba.pipeline.parse_options import TableOptions
from scriba.pipeline.stages.base import PageContext, Stage
from scriba.pipeline.table_engines import TableRecognizer
from scriba.pipeline.tables import TableWord


class TableStage(Stage):
    name = "tables"
    kinds = (BlockKind.TABLE,)

    def __init__(self, options: TableOptions, runtime: RuntimeOptions) -> None:
        self.options = options
        self.recognizer = TableRecognizer(options.engine, runtime)  # loads its model on first use

    def __call__(self, ctx: PageContext, blocks: list[Block]) -> None:
        for block in blocks:
            ctx.check_cancel()
            box = bbox_of(block.polygon)
            words = [TableWord(w.text, bbox_of(w.polygon)) for line in block.lines for w in line.words]
            image = ctx.crop(box)
            table = self.recognizer(image if image.size else None, box, words)
            data = block.payload(TableData)
            data.html = table.to_html() if table.n_rows else None
            data.rows, data.cols, data.header_rows = table.n_rows, table.n_cols, table.header_rows
            data.table_method = table.method
            data.cells = [c.to_dict() for c in table.cells]
