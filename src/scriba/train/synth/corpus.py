"""Text to render: words and sentences from real English text on this machine (licence texts, package
documentation, Python docstrings) plus generated numbers, dates, prices and codes."""

from __future__ import annotations

import gzip
import random
import re
import string
from collections.abc import Iterable
from pathlib import Path

DEFAULT_SOURCES = ("/usr/share/dict", "/usr/share/doc", "/usr/share/common-licenses")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _read_text(path: Path, limit: int) -> str:
    try:
        if path.suffix == ".gz":
            with gzip.open(path) as fh:
                raw = fh.read(limit)
        else:
            raw = path.read_bytes()[:limit]
        return raw.decode("utf-8", errors="ignore")
    except (OSError, EOFError):
        return ""


def _text_files(roots: Iterable[str], max_files: int) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        base = Path(root)
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            name = p.name.lower()
            if p.is_file() and (
                name.startswith(("copyright", "readme", "changelog", "news"))
                or name.endswith((".txt", ".md", ".rst"))
                or base.name in ("dict", "common-licenses")
            ):
                files.append(p)
            if len(files) >= max_files:
                return files
    return files


class Corpus:
    """Sentences (lines of real prose) and a word vocabulary, both ASCII-only."""

    def __init__(self, lines: list[str], words: list[str]) -> None:
        if not words:
            raise ValueError("empty corpus: no readable English text found")
        self.lines = lines or [" ".join(words[i : i + 8]) for i in range(0, len(words), 8)]
        self.words = words

    @classmethod
    def from_system(
        cls, roots: Iterable[str] = DEFAULT_SOURCES, max_files: int = 4000, max_chars: int = 40_000_000
    ) -> Corpus:
        lines: list[str] = []
        vocab: dict[str, int] = {}
        total = 0
        for path in _text_files(roots, max_files):
            text = _read_text(path, 400_000)
            total += len(text)
            for raw in text.splitlines():
                line = " ".join(raw.split())
                if not line or not line.isascii() or len(line) < 4:
                    continue
                letters = sum(c.isalpha() for c in line)
                if letters < 0.5 * len(line):  # skip rules, tables, hashes
                    continue
                lines.append(line)
                for w in _WORD.findall(line):
                    vocab[w] = vocab.get(w, 0) + 1
            if total > max_chars:
                break
        words = sorted(vocab)
        return cls(lines, words)


class TextSampler:
    """Random strings in the mix an English document reader meets: single words in every case, runs of prose,
    numbers, prices, dates, times, codes, e-mail-like and URL-like tokens."""

    def __init__(self, corpus: Corpus, rng: random.Random, charset: set[str] | None = None) -> None:
        self.corpus = corpus
        self.rng = rng
        self.charset = charset

    def _case(self, w: str) -> str:
        r = self.rng.random()
        if r < 0.3:
            return w.upper()
        if r < 0.55:
            return w.capitalize()
        if r < 0.6:
            return w.lower().swapcase() if self.rng.random() < 0.1 else w.lower()
        return w

    def word(self) -> str:
        return self._case(self.rng.choice(self.corpus.words))

    def prose(self, max_chars: int) -> str:
        line = self.rng.choice(self.corpus.lines)
        if len(line) > max_chars:
            start = self.rng.randrange(0, len(line) - max_chars + 1)
            line = line[start : start + max_chars].strip()
        if self.rng.random() < 0.15:
            line = line.upper()
        return line

    def number(self) -> str:
        r, rng = self.rng.random(), self.rng
        if r < 0.2:
            return f"{rng.choice(['$', '', 'USD ', 'RM', '€'.encode('ascii', 'ignore').decode()])}{rng.randint(0, 9999)}.{rng.randint(0, 99):02d}"
        if r < 0.35:
            return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2035)}"
        if r < 0.45:
            return (
                f"{rng.choice(_MONTHS)[: rng.choice([3, 9])]} {rng.randint(1, 31)}, {rng.randint(1900, 2035)}"
            )
        if r < 0.55:
            return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}" + (
                f":{rng.randint(0, 59):02d}" if rng.random() < 0.4 else ""
            )
        if r < 0.7:
            return f"{rng.randint(0, 10 ** rng.randint(1, 7)):,}"
        if r < 0.8:
            return f"{rng.uniform(0, 100):.{rng.randint(1, 3)}f}%"
        if r < 0.9:
            n = rng.randint(4, 12)
            pool = string.ascii_uppercase + string.digits + ("-" if rng.random() < 0.5 else "")
            return "".join(rng.choice(pool) for _ in range(n)).strip("-") or "A1"
        return f"({rng.randint(100, 999)}) {rng.randint(100, 999)}-{rng.randint(1000, 9999)}"

    def token(self) -> str:
        r = self.rng.random()
        if r < 0.75:
            return self.word()
        if r < 0.9:
            return self.number()
        w = self.word().lower()
        return self.rng.choice(
            [
                f"{w}@{self.word().lower()}.com",
                f"www.{w}.org",
                f"{w}.py",
                f"#{w}",
                f'"{w}"',
                f"({w})",
                f"{w},",
                f"{w}.",
                f"{w};",
                f"{w}:",
                f"{w}!",
                f"{w}?",
                f"{w}'s",
            ]
        )

    def sample(self, max_chars: int = 40) -> str:
        r = self.rng.random()
        if r < 0.4:
            text = self.token()
        elif r < 0.75:
            text = self.prose(max_chars)
        else:
            n = self.rng.randint(2, 6)
            text = " ".join(self.token() for _ in range(n))
        text = text[:max_chars].strip()
        if self.charset is not None:
            text = "".join(c for c in text if c in self.charset or c == " ")
            text = " ".join(text.split())
        return text or self.word()
