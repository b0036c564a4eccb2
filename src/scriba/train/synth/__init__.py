"""Synthetic training data: text from offline corpora rendered with many fonts, then degraded."""
