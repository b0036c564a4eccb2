"""Character sets and the CTC label codec shared by training, evaluation and export."""

from __future__ import annotations

import string
from pathlib import Path

# Letters, digits and ASCII punctuation; the space is the model's last class (PaddleOCR's `use_space_char`).
ENGLISH_KEYS: list[str] = list(string.digits + string.ascii_letters + string.punctuation)


class CTCCodec:
    """Maps text to class ids: 0 is the CTC blank, then the keys, then the space."""

    def __init__(self, keys: list[str], use_space_char: bool = True) -> None:
        self.keys = list(keys)
        self.characters = ["<blank>"] + self.keys + ([" "] if use_space_char else [])
        self.index = {c: i for i, c in enumerate(self.characters) if i > 0}

    @property
    def num_classes(self) -> int:
        return len(self.characters)

    def encode(self, text: str) -> list[int]:
        """Ids of the characters the model knows; unknown characters are dropped."""
        return [self.index[c] for c in text if c in self.index]

    def normalize(self, text: str) -> str:
        """The text as far as this model can write it (unknown characters dropped, spaces collapsed)."""
        return " ".join("".join(c for c in text if c in self.index).split())

    def decode_greedy(self, ids: list[int]) -> str:
        out, prev = [], 0
        for i in ids:
            if i != prev and i != 0 and i < len(self.characters):
                out.append(self.characters[i])
            prev = i
        return "".join(out)

    @classmethod
    def from_file(cls, path: str | Path, use_space_char: bool = True) -> CTCCodec:
        keys = Path(path).read_text(encoding="utf-8").split("\n")
        if keys and keys[-1] == "":
            keys.pop()
        return cls(keys, use_space_char)
