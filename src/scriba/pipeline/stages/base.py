"""What a parse stage sees and does: `Stage.select(ctx)` picks the blocks it handles, `stage(ctx, blocks)`
processes them in one batch and writes their typed payloads. The parser runs its stages in order on each page
after the blocks are assembled; a new model (a table recognizer, a formula recognizer, seals) is a new stage."""

from __future__ import annotations

import contextlib
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scriba.block_types import BlockKind
from scriba.document import Block, Page
from scriba.errors import check_cancel


@dataclass
class PageContext:
    """One page as the stages see it.

    `crop(box)` gives the page pixels in a box (page coordinates; a text-layer page renders only that part).
    `image` is the whole page when it was read by OCR (None on text-layer pages). `ocr_read` says whether
    the page's text came from OCR. `stem` and `index` name the crops written for it.
    """

    page: Page
    crop: Callable[[tuple[float, float, float, float]], np.ndarray]
    stem: str = "page"
    image: np.ndarray | None = None
    ocr_read: bool = False
    cancel: threading.Event | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def index(self) -> int:
        return self.page.index

    @property
    def blocks(self) -> list[Block]:
        return self.page.blocks

    @contextlib.contextmanager
    def timer(self, name: str) -> Iterator[None]:
        """Adds the time spent inside to `timings[name]` (seconds)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - t0, 4)

    def check_cancel(self) -> None:
        """Raise scriba.errors.Cancelled once the page's work was asked to stop (a request timed out)."""
        check_cancel(self.cancel)


class Stage(ABC):
    """A step of the parser over the blocks of some kinds. `kinds` empty: a page-level stage, which selects
    nothing and may add blocks of its own (seals)."""

    name: ClassVar[str]
    kinds: ClassVar[tuple[BlockKind, ...]] = ()

    def select(self, ctx: PageContext) -> list[Block]:
        return [b for b in ctx.blocks if b.kind in self.kinds]

    @abstractmethod
    def __call__(self, ctx: PageContext, blocks: list[Block]) -> None: ...

    def run(self, ctx: PageContext) -> None:
        """Select, then process, timed under the stage's name."""
        ctx.check_cancel()
        blocks = self.select(ctx)
        if blocks or not self.kinds:
            with ctx.timer(self.name):
                self(ctx, blocks)


__all__ = ["PageContext", "Stage"]
