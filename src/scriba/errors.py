"""Errors users can act on. The CLI prints them as one line naming the input, never as a traceback."""

from __future__ import annotations


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
