"""Where does the recognizer's time go, per ONNX operator? ONNX Runtime's profiler on one batch, one thread.

    python benchmarks/profile_rec_ops.py                  # PP-OCRv5 as Scriba runs it (folded, arg-max head)
    python benchmarks/profile_rec_ops.py --latin-subset   # with the Latin-subset head (Scriba's default)
    python benchmarks/profile_rec_ops.py --per-conv       # + each convolution's GFLOP/s (how close to peak)
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
    ap.add_argument("--per-conv", action="store_true", help="print each convolution's time and GFLOP/s")
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
    if args.per_conv:
        print_conv_rates(events, args.runs)


def print_conv_rates(events: list[dict], runs: int) -> None:
    """Time and arithmetic rate of every convolution: 2 x output elements x (input channels per group x kernel
    area) FLOPs. Pointwise convs near the core's FMA peak leave nothing to gain from kernels or settings."""
    per_node: dict[str, list] = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["args"]["op_name"] == "Conv":
            entry = per_node.setdefault(e["name"][: -len("_kernel_time")], [0.0, e["args"]])
            entry[0] += e["dur"] / runs / 1000
    total_ms = total_gf = 0.0
    print(f"  {'conv':30s} {'ms':>6s} {'GFLOP':>7s} {'GFLOP/s':>8s}  weight, output")
    for name, (ms, a) in sorted(per_node.items(), key=lambda kv: -kv[1][0]):
        out = a["output_type_shape"][0]["float"]
        weight = a["input_type_shape"][1]["float"]
        gflop = 2 * float(np.prod(out)) * float(np.prod(weight[1:])) / 1e9
        total_ms += ms
        total_gf += gflop
        if ms >= 0.5:
            print(f"  {name[:30]:30s} {ms:6.2f} {gflop:7.3f} {gflop / ms * 1000:8.1f}  {weight}, {out}")
    print(f"  all convs: {total_ms:.1f} ms, {total_gf:.2f} GFLOP, {total_gf / total_ms * 1000:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
