"""`scriba train export-formula ckpt.pt -o DIR`: the named sub-networks of an elastic formula checkpoint ->
one folder per model with `encoder.onnx` (image -> the decoder's cross-attention keys and values) and
`decoder.onnx` (one greedy step with a self-attention cache), checked against PyTorch on the way out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn

from scriba.train.formula import NAMED, Tokens, greedy, load_formula_checkpoint
from scriba.train.nets.formula_net import FormulaNet, SubNet, count_macs, extract


class _Encoder(nn.Module):
    def __init__(self, model: FormulaNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        memory, _ = self.model.encode(image)
        return self.model.cross_kv(memory)


class _Step(nn.Module):
    def __init__(self, model: FormulaNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, token, pos, past_k, past_v, cross_k, cross_v):  # type: ignore[no-untyped-def]
        return self.model.step(token, pos, past_k, past_v, cross_k, cross_v)


def export_model(
    model: FormulaNet, vocab: list[str], out: str | Path, name: str, opset: int = 17
) -> dict[str, Any]:
    """Writes out/encoder.onnx and out/decoder.onnx for a standalone FormulaNet; returns a report with the
    largest difference between ONNX Runtime and PyTorch on a sample image."""
    from scriba.formula.preprocess import HEIGHT

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    a = model.arch
    x = torch.rand(1, 1, HEIGHT, 160)
    enc_path, dec_path = out / "encoder.onnx", out / "decoder.onnx"
    torch.onnx.export(
        _Encoder(model),
        (x,),
        str(enc_path),
        input_names=["image"],
        output_names=["cross_k", "cross_v"],
        opset_version=opset,
        dynamic_axes={"image": {0: "n", 3: "w"}, "cross_k": {1: "n", 3: "s"}, "cross_v": {1: "n", 3: "s"}},
        dynamo=False,
    )
    with torch.no_grad():
        ck, cv = model.cross_kv(model.encode(x)[0])
    pk = torch.zeros(a.dec_layers, 1, a.dec_heads, 2, a.head_dim)
    torch.onnx.export(
        _Step(model),
        (torch.tensor([[1]]), torch.tensor([2]), pk, pk.clone(), ck, cv),
        str(dec_path),
        input_names=["token", "pos", "past_k", "past_v", "cross_k", "cross_v"],
        output_names=["logprobs", "present_k", "present_v"],
        opset_version=opset,
        dynamic_axes={
            "token": {0: "n"},
            "past_k": {1: "n", 3: "t"},
            "past_v": {1: "n", 3: "t"},
            "cross_k": {1: "n", 3: "s"},
            "cross_v": {1: "n", 3: "s"},
            "logprobs": {0: "n"},
            "present_k": {1: "n", 3: "t1"},
            "present_v": {1: "n", 3: "t1"},
        },
        dynamo=False,
    )
    meta = {
        "vocab": "\n".join(vocab),
        "height": str(HEIGHT),
        "arch": json.dumps(a.to_dict()),
        "name": name,
    }
    for path in (enc_path, dec_path):
        m = onnx.load(str(path))
        for k, v in meta.items():
            e = m.metadata_props.add()
            e.key, e.value = k, v
        m.producer_name = "scriba.train"
        onnx.save(m, str(path))
    return {
        "name": name,
        "params": sum(p.numel() for p in model.parameters()),
        "bytes": enc_path.stat().st_size + dec_path.stat().st_size,
        "macs_256x32": count_macs(a),
        **parity(model, vocab, out),
    }


def parity(
    model: FormulaNet, vocab: list[str], folder: Path, image: np.ndarray | None = None
) -> dict[str, Any]:
    """ONNX Runtime against PyTorch on one image: the largest log-probability difference over a greedy decode
    (both fed PyTorch's tokens) and whether both decode the same tokens."""
    from scriba.formula.preprocess import HEIGHT
    from scriba.formula.recognizer import FormulaRecognizer

    rng = np.random.default_rng(0)
    if image is None:
        image = (rng.random((1, 1, HEIGHT, 192)) > 0.8).astype(np.float32)
    rec = FormulaRecognizer.from_folder(folder)
    x = torch.from_numpy(image)
    tok = Tokens()
    a = model.arch
    with torch.no_grad():
        ck, cv = model.cross_kv(model.encode(x)[0])
    ok, ov = rec.encoder.run(None, {"image": image})
    diff = max(float(np.abs(ck.numpy() - ok).max()), float(np.abs(cv.numpy() - ov).max()))
    pk = torch.zeros(a.dec_layers, 1, a.dec_heads, 0, a.head_dim)
    pv = pk.clone()
    npk, npv = pk.numpy(), pv.numpy()
    token = torch.tensor([[1]])
    for t in range(12):
        with torch.no_grad():
            lp, pk, pv = model.step(token, torch.tensor([t]), pk, pv, ck, cv)
        olp, npk, npv = rec.decoder.run(
            None,
            {
                "token": token.numpy(),
                "pos": np.array([t], np.int64),
                "past_k": npk,
                "past_v": npv,
                "cross_k": ok,
                "cross_v": ov,
            },
        )
        diff = max(diff, float(np.abs(lp.numpy() - olp).max()))
        token = lp.argmax(-1)[:, None]
    ref, _ = greedy(model, x, None, tok)
    got = rec.read_prepared(image[0])
    return {"max_abs_diff": diff, "same_tokens": ref[0] == got.latex_tokens}


def export_named(ckpt: str | Path, out: str | Path, names: list[str] | None = None) -> list[dict[str, Any]]:
    model, meta = load_formula_checkpoint(ckpt)
    vocab = meta["vocab"]
    reports = []
    for name in names or list(NAMED):
        sub: SubNet = NAMED[name]
        reports.append(export_model(extract(model, sub), vocab, Path(out) / name, name))
    return reports
