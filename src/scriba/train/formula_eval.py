"""`scriba train eval-formula`: exact match and normalized token edit distance of formula recognizers, and
their time per formula, on a held-out synthetic set and on im2latex_sample (evaluation only).

Both the prediction (what the decoder wrote, whether or not the parser would emit it) and the label are put
in canonical form (`scriba.formula.latex.normalize`) before they are compared, token by token."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from scriba.formula.latex import normalize
from scriba.formula.preprocess import prepare
from scriba.formula.recognizer import FormulaRecognizer
from scriba.train.evalsets import shared_data_dir
from scriba.train.metrics import edit_distance


def synthetic_set(folder: str | Path, max_tokens: int | None = None) -> list[tuple[np.ndarray, str]]:
    folder = Path(folder)
    out = []
    for line in (folder / "labels.tsv").read_text(encoding="utf-8").splitlines():
        name, latex = line.split("\t", 1)
        if max_tokens is None or len(latex.split()) <= max_tokens:
            with Image.open(folder / name) as im:
                out.append((np.asarray(im.convert("L")), latex))
    return out


def im2latex_set() -> list[tuple[np.ndarray, str]]:
    """im2latex_sample: 200 arXiv formulas rendered by pdflatex on A4 pages (the formula is cropped to its ink
    by the recognizer's own preprocessing)."""
    root = shared_data_dir()
    if root is None or not (root / "im2latex_sample" / "labels.tsv").is_file():
        raise FileNotFoundError("im2latex_sample is not in the shared data folder")
    folder = root / "im2latex_sample"
    out = []
    for line in (folder / "labels.tsv").read_text(encoding="utf-8").splitlines():
        name, _, latex = line.split("\t", 2)
        with Image.open(folder / "images" / name) as im:
            out.append((np.asarray(im.convert("L")), latex))
    return out


def evaluate(rec: FormulaRecognizer, items: list[tuple[np.ndarray, str]]) -> dict[str, Any]:
    """exact / ned over what the decoder wrote; emitted: the share the parser would write as LaTeX (confident
    and well formed); emitted_exact: how many of those are exact; median ms per formula."""
    exact, neds, emitted, emitted_exact, times = 0, [], 0, 0, []
    for image, label in items:
        x = prepare(image)
        t0 = time.perf_counter()
        r = rec.read_prepared(x)
        times.append(time.perf_counter() - t0)
        pred, ref = r.latex_tokens.split(), normalize(label).split()
        exact += pred == ref
        neds.append(edit_distance(pred, ref) / max(len(pred), len(ref), 1))
        emitted += r.latex is not None
        emitted_exact += r.latex is not None and pred == ref
    n = max(len(items), 1)
    return {
        "count": len(items),
        "exact": round(exact / n, 4),
        "ned": round(float(np.mean(neds)) if neds else 0.0, 4),
        "emitted": round(emitted / n, 4),
        "emitted_exact": round(emitted_exact / max(emitted, 1), 4),  # of the emitted ones, how many are exact
        "ms_per_formula": round(1000 * float(np.median(times)) if times else 0.0, 1),
    }
