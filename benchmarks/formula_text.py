"""Display formulas to LaTeX on real TeX renders (the shared im2latex_sample: 200 arXiv formulas set by
pdflatex), scored as OmniDocBench scores display formulas: normalized character edit distance after its
cleaning (benchmarks/omnidoc_metrics.clean_formula). Each formula is cropped to its ink and set on a white
page (as a formula sits on a page), then read four ways:

- none: no LaTeX (what a parser without formula reading scores: 1.0);
- ocr-text: the text recognizer's lines, top to bottom, characters mapped to LaTeX (no structure);
- from-text: Scriba's default, `scriba.formula.from_ocr` (the same reading plus the glyphs' positions:
  fractions, limits, scripts, roots, rows);
- scriba-formula: Scriba's own image-to-LaTeX network, greedy, whatever its confidence.

    python benchmarks/formula_text.py [--limit N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from omnidoc_metrics import clean_formula, ned


def on_page(grey: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(grey < 128)
    crop = grey[max(ys.min() - 12, 0) : ys.max() + 12, max(xs.min() - 12, 0) : xs.max() + 12]
    h, w = crop.shape
    page = np.full((h + 200, max(1240, w + 200)), 255, np.uint8)
    page[100 : 100 + h, 100 : 100 + w] = crop
    return np.ascontiguousarray(np.stack([page] * 3, axis=-1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=0, help="First N formulas only (0: all).")
    args = ap.parse_args()
    from scriba import OCR
    from scriba.formula.from_ocr import _char_latex, read_crop
    from scriba.formula.katex import katex_errors, katex_root
    from scriba.formula.preprocess import prepare
    from scriba.formula.recognizer import FormulaRecognizer
    from scriba.train.formula_eval import im2latex_set

    items = im2latex_set()
    items = items[: args.limit] if args.limit else items
    ocr = OCR()
    rec = FormulaRecognizer.named("scriba-formula", threads=1)
    scores: dict[str, list[float]] = {k: [] for k in ("none", "ocr-text", "from-text", "scriba-formula")}
    ms: dict[str, list[float]] = {"from-text": [], "scriba-formula": []}
    written = 0
    outputs: list[str] = []
    for grey, label in items:
        page = on_page(grey)
        gt = clean_formula(label)
        lines = sorted(ocr.ocr_image(page).lines, key=lambda ln: min(p[1] for p in ln.polygon))
        flat = "".join(_char_latex(c)[0] for c in " ".join(ln.text for ln in lines))
        t0 = time.perf_counter()
        result = read_crop(page, [np.array(ln.polygon) for ln in lines], ocr.recognizer)
        ms["from-text"].append((time.perf_counter() - t0) * 1000)
        written += result is not None
        if result is not None:
            outputs.append(result.latex)
        t0 = time.perf_counter()
        net = rec.read_prepared(prepare(grey))
        ms["scriba-formula"].append((time.perf_counter() - t0) * 1000)
        scores["none"].append(1.0)
        scores["ocr-text"].append(ned(clean_formula(flat), gt))
        scores["from-text"].append(ned(clean_formula(result.latex if result else ""), gt))
        scores["scriba-formula"].append(ned(clean_formula(net.latex_tokens), gt))
    print(f"im2latex_sample: {len(items)} formulas; from-text wrote LaTeX for {written}")
    if katex_root() is not None:
        errors = katex_errors(outputs)
        bad = [(x, e) for x, e in zip(outputs, errors) if e]
        print(f"KaTeX renders {len(outputs) - len(bad)} of the {len(outputs)} written")
        for x, e in bad[:5]:
            print("  ", x[:80], "->", e[:100])
    print("| method | formula edit (lower is better) | ms per formula (median) |")
    print("|---|---|---|")
    for name, values in scores.items():
        t = f"{statistics.median(ms[name]):.0f}" if name in ms else "-"
        print(f"| {name} | {np.mean(values):.3f} | {t} |")


if __name__ == "__main__":
    main()
