"""Inputs: paths, globs, folders, bytes, arrays and PIL images -> page images."""

from scriba.io.sources import PageImage, Source, expand_inputs, iter_pages

__all__ = ["PageImage", "Source", "expand_inputs", "iter_pages"]
