"""Fonts on this machine that can write plain English text (Debian font packages; see docs/models.md)."""

from __future__ import annotations

import functools
import string
from pathlib import Path

import numpy as np
from PIL import ImageFont

FONT_ROOTS = ("/usr/share/fonts", "/usr/local/share/fonts")
_PROBE = string.ascii_letters + string.digits + "$%&@#?!.,:;()/-'\""
# Noto's per-script fonts repeat the Noto Sans/Serif Latin design; keep only the Latin families.
_NOTO_LATIN = ("NotoSans", "NotoSerif", "NotoSansMono", "NotoSansDisplay", "NotoSerifDisplay", "NotoMono")
_SKIP = ("emoji", "math", "symbol", "dingbat", "wingding", "music", "braille", "d050000l", "z003")


def _mask(font: ImageFont.FreeTypeFont, ch: str) -> bytes:
    return bytes(np.asarray(font.getmask(ch)))


def covers_ascii(path: str) -> bool:
    """True when every probe character has its own glyph (not the font's `.notdef` box, not empty)."""
    try:
        font = ImageFont.truetype(path, 24)
        missing = _mask(font, "\U000e0001")
        for ch in _PROBE:
            m = _mask(font, ch)
            if not m or m == missing or not any(m):
                return False
    except (OSError, ValueError):
        return False
    return True


def _latin_family(path: str) -> bool:
    stem = Path(path).stem
    return not stem.startswith("Noto") or stem.split("-")[0] in _NOTO_LATIN


@functools.lru_cache(maxsize=4)
def find_fonts(roots: tuple[str, ...] = FONT_ROOTS) -> tuple[str, ...]:
    paths = []
    for root in roots:
        base = Path(root)
        if base.is_dir():
            paths += [str(p) for p in sorted(base.rglob("*")) if p.suffix.lower() in (".ttf", ".otf")]
    usable = [
        p for p in paths if not any(s in p.lower() for s in _SKIP) and _latin_family(p) and covers_ascii(p)
    ]
    return tuple(usable)
