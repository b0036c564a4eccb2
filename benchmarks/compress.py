"""Compressed PP-OCRv5 (detector + recognizer): CCQ against RTN at 4, 3, 2.75, 2.5 and 2 bits per weight.

Per variant: bits per weight counting every stored byte of the detector and recognizer files, their size, the
time to decode them (codes -> float ONNX, done once, then cached), word F1 on FUNSD / SROIE / docling pages
(benchmarks/ocr.py's loaders and metrics) and word accuracy (exact match) on IIIT5K crops. Models are compressed
into their own SCRIBA_HOME (--home), so nothing is registered in yours; reruns reuse what is there.

    python benchmarks/compress.py --pages 8                 # a few minutes per variant on 2 cores
    python benchmarks/compress.py --pages 2 --bits 4 --methods ccq --crops 50
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def variant_names(bits: list[float], methods: list[str]) -> list[tuple[str, str | None, float | None]]:
    out: list[tuple[str, str | None, float | None]] = [("ppocrv5", None, None)]
    for b in bits:
        for m in methods:
            out.append((f"ppocrv5-{m}{b:g}", m, b))
    return out


def sizes(name: str) -> tuple[int, int]:
    """Bytes of the detector + recognizer files, and their float weights (of the uncompressed model)."""
    import onnx

    from scriba.models.compress.model import _float_params
    from scriba.models.registry import get_model, resolve_file

    spec, base = get_model(name), get_model("ppocrv5")
    files = [resolve_file(spec.det.file), resolve_file(spec.rec.file)]
    params = sum(_float_params(onnx.load(resolve_file(f))) for f in (base.det.file, base.rec.file))
    return sum(os.path.getsize(f) for f in files), params


def decode_seconds(name: str) -> float:
    from scriba.models.compress.model import decode_model
    from scriba.models.registry import get_model, resolve_file

    spec = get_model(name)
    paths = [resolve_file(spec.det.file), resolve_file(spec.rec.file)]
    if not paths[0].endswith(".sqm"):
        return 0.0
    t = time.perf_counter()
    for p in paths:
        decode_model(p)
    return time.perf_counter() - t


def page_scores(name: str, items: list[Any]) -> dict[str, float]:
    from ocr import aggregate, score_page

    from scriba import OCR, OCROptions

    engine = OCR(options=OCROptions(model=name))
    by_set: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        page = engine.ocr_image(item.image())
        lines = [{"quad": ln.polygon, "text": ln.text, "words": None} for ln in page.lines]
        by_set.setdefault(item.set, []).append(score_page(item, lines))
    return {s: aggregate(v)["word_f1"] for s, v in by_set.items()}


def crop_accuracy(name: str, crops: list[tuple[Any, str]]) -> float:
    from scriba.models.recognition.ctc import TextRecognizer
    from scriba.models.registry import get_model

    rec = TextRecognizer(get_model(name).rec)
    preds = [r.text for r in rec([c for c, _ in crops])]
    return 100 * sum(" ".join(p.split()) == " ".join(t.split()) for p, (_, t) in zip(preds, crops)) / len(crops)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=8, help="Pages per set (evenly spaced).")
    ap.add_argument("--sets", default="funsd,sroie,docling")
    ap.add_argument("--bits", default="4,3,2.75,2.5,2")
    ap.add_argument("--methods", default="ccq,rtn")
    ap.add_argument("--crops", type=int, default=300, help="IIIT5K crops (evenly spaced; 0: none).")
    ap.add_argument("--data", default=None, help="The shared evaluation data (default: SCRIBA_SHARED_DATA or ../shared/data).")
    ap.add_argument("--home", default="/tmp/scriba-compress-bench", help="SCRIBA_HOME for the compressed models.")
    ap.add_argument("--json", default=None, help="Also write the results here.")
    ap.add_argument("--render", default=None, help="Only print the table of a --json file (or of the JSON lines "
                    "this script writes on stderr).")
    args = ap.parse_args(argv)
    if args.render:
        text = Path(args.render).read_text()
        rows = json.loads(text) if text.lstrip().startswith("[") else [
            json.loads(line) for line in text.splitlines() if line.startswith("{")
        ]
        print(table(rows, args))
        return
    os.environ["SCRIBA_HOME"] = args.home

    from ocr import LOADERS, _spread

    from scriba.models.compress.model import compress_model
    from scriba.models.registry import all_models
    from scriba.train.evalsets import load_rec_set, shared_data_dir

    data = Path(args.data) if args.data else shared_data_dir() or Path("../shared/data")
    if not data.is_dir():
        ap.error(f"no evaluation data at {data}")
    items = [it for s in args.sets.split(",") for it in _spread(LOADERS[s](data), args.pages)]
    crops = load_rec_set("iiit5k", data)
    crops = [crops[int(k * len(crops) / args.crops)] for k in range(args.crops)] if args.crops else []
    bits = [float(b) for b in args.bits.split(",")]
    rows = []
    for name, method, b in variant_names(bits, args.methods.split(",")):
        encode_s = 0.0
        if method and name not in all_models():
            t = time.perf_counter()
            compress_model("ppocrv5", b, name, method=method)
            encode_s = time.perf_counter() - t
        size, params = sizes(name)
        row = {
            "name": name,
            "method": method or "float",
            "bits": b,
            "bpw": 8 * size / params,
            "mb": size / 1e6,
            "encode_s": encode_s,
            "decode_s": decode_seconds(name),
            "f1": page_scores(name, items),
            "iiit5k": crop_accuracy(name, crops) if crops else None,
        }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    print(table(rows, args))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def table(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    sets = args.sets.split(",")
    head = "| model | method | bits per weight (all bytes) | det+rec MB | encode s | decode s | " + " | ".join(
        f"{s} word F1" for s in sets
    ) + " | mean F1 | IIIT5K word acc |"
    out = [head, "|" + "---|" * (8 + len(sets))]
    for r in rows:
        f1 = [r["f1"].get(s, float("nan")) for s in sets]
        acc = f"{r['iiit5k']:.1f}%" if r["iiit5k"] is not None else "-"
        out.append(
            f"| `{r['name']}` | {r['method'].upper() if r['method'] != 'float' else 'float32'} | {r['bpw']:.2f} | "
            f"{r['mb']:.2f} | {r['encode_s']:.0f} | {r['decode_s']:.2f} | " + " | ".join(f"{v:.1f}" for v in f1)
            + f" | {sum(f1) / len(f1):.1f} | {acc} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    main()
