"""`scriba train export ckpt.pt -o model.onnx`: a trained recognizer -> ONNX (N x 3 x H x W -> N x T x C softmax)
with its key list in the ONNX metadata (`character`), which `scriba.models.recognition.ctc` reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch

from scriba.train.rec import build_rec_model


def load_rec_checkpoint(path: str | Path, prefer_ema: bool = True) -> tuple[torch.nn.Module, dict[str, Any]]:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    meta = ck.get("meta") or {}
    if meta.get("task", "rec") != "rec" or "keys" not in meta:
        raise ValueError(f"{path}: not a recognizer checkpoint (no key list in its meta)")
    n_classes = 1 + len(meta["keys"]) + (1 if meta.get("use_space_char", True) else 0)
    model = build_rec_model(meta["arch"], n_classes, meta.get("arch_args", {}))
    state = ck.get("ema") if prefer_ema and ck.get("ema") else ck["model"]
    model.load_state_dict(state)
    model.eval()
    return model, meta


def export_rec(ckpt: str | Path, out: str | Path, opset: int = 17) -> dict[str, Any]:
    """Writes the ONNX file and checks it against PyTorch on a random input; returns a short report."""
    model, meta = load_rec_checkpoint(ckpt)
    height = int(meta.get("height", 48))
    x = torch.randn(2, 3, height, 160)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (x,),
        str(out),
        input_names=["x"],
        output_names=["probs"],
        opset_version=opset,
        dynamic_axes={"x": {0: "n", 3: "w"}, "probs": {0: "n", 1: "t"}},
        dynamo=False,
    )
    m = onnx.load(str(out))
    for key, value in (
        ("character", "\n".join(meta["keys"])),
        ("height", str(height)),
        ("min_width", str(meta.get("min_width", 320))),
        ("use_space_char", str(meta.get("use_space_char", True)).lower()),
        ("arch", str(meta["arch"])),
    ):
        entry = m.metadata_props.add()
        entry.key, entry.value = key, value
    m.producer_name = "scriba.train"
    onnx.save(m, str(out))
    import onnxruntime as ort

    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x2 = torch.randn(3, 3, height, 232)
    with torch.no_grad():
        ref = model(x2).numpy()
    got = sess.run(None, {"x": x2.numpy()})[0]
    return {
        "path": str(out),
        "bytes": out.stat().st_size,
        "params": sum(p.numel() for p in model.parameters()),
        "classes": int(got.shape[-1]),
        "max_abs_diff": float(np.abs(ref - got).max()),
        "height": height,
    }
