"""Where does Scriba's OCR time go? Per-stage timings (and optionally a pyinstrument profile) on dense pages.

    python benchmarks/profile_ocr.py [--pages N] [--pyinstrument] [--model ppocrv5] [--baseline]

--baseline profiles the foundation's settings (PaddleOCR's batching, no graph folding, one ORT run at a time).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pagesets import docling_pages

from scriba.pipeline.ocr import OCR, OCROptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--model", default="ppocrv5")
    ap.add_argument("--pyinstrument", action="store_true")
    ap.add_argument("--baseline", action="store_true")
    args = ap.parse_args()
    pages = [p for p in docling_pages(dpi=150)][: args.pages]
    opts = OCROptions(model=args.model)
    if args.baseline:
        opts = OCROptions(model=args.model, rec_batching="paddle", rec_workers=1, pipeline_pages=False,
                          fold_affine=False)
    ocr = OCR(options=opts)
    ocr.ocr_image(pages[0].image)  # warm-up: sessions, arenas
    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    stages: dict[str, list[float]] = {}
    lines = 0
    t0 = time.perf_counter()
    for p in pages:
        page = ocr.ocr_image(p.image)
        lines += len(page.lines)
        for k, v in page.metadata["timings"].items():
            stages.setdefault(k, []).append(v)
    total = time.perf_counter() - t0
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"{len(pages)} pages, {lines} lines, {total:.2f} s total, {total / len(pages):.3f} s/page")
    for k, v in stages.items():
        print(f"  {k:10s} sum {sum(v):7.2f} s  median/page {statistics.median(v):.3f} s  ({sum(v) / total:.0%})")


if __name__ == "__main__":
    main()
