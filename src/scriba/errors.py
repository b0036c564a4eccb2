"""Errors users can act on. The CLI prints them as one line naming the input, never as a traceback."""

from __future__ import annotations

from typing import Protocol


class ScribaError(Exception):
    """Base class of every error Scriba raises on purpose."""


class InputError(ScribaError):
    """An input that cannot be read: missing, corrupt, encrypted, empty, too large, wrong type."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class ModelError(ScribaError):
    """A model that cannot be found, loaded or verified."""


class Cancelled(ScribaError):
    """Work stopped because its cancel event was set (a request that timed out, a server shutting down). Checked
    between pages and between the stages of a page."""


def check_cancel(cancel: CancelEvent | None) -> None:
    """Raise Cancelled when `cancel` (anything with `is_set()`, e.g. a threading.Event) is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled")


class CancelEvent(Protocol):
    def is_set(self) -> bool: ...
