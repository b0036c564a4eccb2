"""Where does Scriba's OCR time go? Per-stage timings (and optionally a pyinstrument profile) on dense pages.

    python benchmarks/profile_ocr.py [--pages N] [--set docling|funsd|sroie|debian] [--pyinstrument | --cprofile]
                                     [--model ppocrv5] [--baseline] [--one-thread]

--baseline profiles the foundation's settings (PaddleOCR's batching, no graph folding, one ORT run at a time).
--cprofile prints the functions with the most time of their own, and how much of it is inside ONNX Runtime;
with --one-thread (one recognition worker, one ORT thread, no pipelining) those times are a CPU budget.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pagesets

from scriba.pipeline.ocr import OCR, OCROptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--model", default="ppocrv5")
    ap.add_argument("--pyinstrument", action="store_true")
    ap.add_argument("--cprofile", action="store_true")
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--one-thread", action="store_true")
    ap.add_argument("--set", default="docling", choices=("docling", "funsd", "sroie", "debian"))
    args = ap.parse_args()
    source = {"docling": lambda: pagesets.docling_pages(dpi=150), "funsd": pagesets.funsd_pages,
              "sroie": pagesets.sroie_pages, "debian": lambda: pagesets.debian_pages(dpi=150)}[args.set]
    pages = list(itertools.islice(source(), args.pages))
    opts = OCROptions(model=args.model)
    if args.baseline:
        opts = OCROptions(model=args.model, rec_batching="paddle", rec_workers=1, pipeline_pages=False,
                          fold_affine=False)
    if args.one_thread:
        opts = replace(opts, rec_workers=1, threads=1, pipeline_pages=False)
    ocr = OCR(options=opts)
    ocr.ocr_image(pages[0].image)  # warm-up: sessions, arenas
    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    elif args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
    stages: dict[str, list[float]] = {}
    lines = 0
    t0 = time.perf_counter()
    for p in pages:
        page = ocr.ocr_image(p.image)
        lines += len(page.lines)
        for k, v in page.metadata["timings"].items():
            stages.setdefault(k, []).append(v)
    total = time.perf_counter() - t0
    if isinstance(profiler, cProfile.Profile):
        profiler.disable()
        stats = pstats.Stats(profiler)
        table = stats.stats  # type: ignore[attr-defined]
        whole = sum(v[2] for v in table.values())  # every function's own time
        inside = sum(v[2] for k, v in table.items() if "onnxruntime_pybind11_state.run" in k[2])
        print(f"inside InferenceSession.run: {inside:.2f} s of {whole:.2f} s ({inside / whole:.0%}); "
              f"the rest: {whole - inside:.2f} s")
        stats.sort_stats("tottime").print_stats(15)
    elif profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"{len(pages)} pages, {lines} lines, {total:.2f} s total, {total / len(pages):.3f} s/page")
    for k, v in stages.items():
        print(f"  {k:10s} sum {sum(v):7.2f} s  median/page {statistics.median(v):.3f} s  ({sum(v) / total:.0%})")


if __name__ == "__main__":
    main()
