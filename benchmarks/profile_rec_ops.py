"""Where does the recognizer's time go, per ONNX operator? ONNX Runtime's profiler on one batch, one thread.

    python benchmarks/profile_rec_ops.py                  # PP-OCRv5 as Scriba runs it (folded, arg-max head)
    python benchmarks/profile_rec_ops.py --latin-subset   # with the Latin-subset head (Scriba's default)
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort

from scriba.models.recognition.ctc import latin_classes, load_characters
from scriba.models.registry import get_model, resolve_file
from scriba.models.runtime import _rewritten


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="ppocrv5")
    ap.add_argument("--latin-subset", action="store_true")
    ap.add_argument("--shape", default="6,3,48,320", help="N,C,H,W of the profiled batch")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    spec = get_model(args.model).rec
    classes = latin_classes(load_characters(spec)) if args.latin_subset else None
    model = _rewritten(resolve_file(spec.file), ("fold", "ctc"), classes)
    with tempfile.TemporaryDirectory() as tmp:
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.enable_profiling = True
        so.profile_file_prefix = str(Path(tmp) / "rec")
        session = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        x = np.random.default_rng(0).random([int(v) for v in args.shape.split(",")], dtype=np.float32)
        for _ in range(args.runs):
            session.run(None, {session.get_inputs()[0].name: x})
        events = json.loads(Path(session.end_profiling()).read_text())
    per_op: collections.Counter[str] = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_op[e["args"]["op_name"]] += e["dur"]
    total = sum(per_op.values())
    print(f"{args.model} recognizer, batch {args.shape}, latin subset {args.latin_subset}, {args.runs} runs, "
          f"{total / args.runs / 1000:.1f} ms of kernel time per run")
    for op, dur in per_op.most_common(15):
        print(f"  {op:28s} {dur / total:6.1%}")


if __name__ == "__main__":
    main()
