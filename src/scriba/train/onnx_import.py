"""Load the weights of the shipped PP-OCR ONNX graphs into the PyTorch modules of `scriba.train.nets.ppocr`, and
measure parity (PyTorch vs ONNX Runtime on the same inputs).

These Paddle exports keep their weights in `Constant` nodes named after the Paddle parameters (`conv2d_12.w_0`,
`batch_norm2d_3.w_1`, `learnable_affine_block_7.w_0`, `linear_2.b_0`, ...). Their first use in the (topologically
sorted) graph follows the network's execution order, and so does the order in which our modules run. Weights
are therefore matched by position, with every shape checked, and parity on real inputs proves the match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from scriba.train.nets.ppocr import LearnableAffine

_HELPER = re.compile(r"^(p2o\.|helper\.|Constant@|fill_constant|\d+$)")


def onnx_weights(path: str) -> list[tuple[str, np.ndarray]]:
    """Named parameter tensors (constants or initializers) in order of first use in the graph."""
    model = onnx.load(path)
    graph = model.graph
    tensors: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            tensors[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    seen: set[str] = set()
    ordered = []
    for node in graph.node:
        if node.op_type == "Constant":
            continue
        for name in node.input:
            if name in tensors and name not in seen and not _HELPER.match(name):
                seen.add(name)
                ordered.append((name, tensors[name]))
    return ordered


@dataclass
class Slot:
    module: str
    attr: str
    tensor: torch.Tensor
    transpose: bool = False  # Paddle's Linear stores in x out


def _module_slots(name: str, m: nn.Module) -> list[Slot]:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        return [Slot(name, "weight", m.weight)] + ([Slot(name, "bias", m.bias)] if m.bias is not None else [])
    if isinstance(m, nn.BatchNorm2d):
        return [
            Slot(name, "weight", m.weight),
            Slot(name, "bias", m.bias),
            Slot(name, "running_mean", m.running_mean),
            Slot(name, "running_var", m.running_var),
        ]
    if isinstance(m, nn.Linear):
        return [Slot(name, "weight", m.weight, transpose=True), Slot(name, "bias", m.bias)]
    if isinstance(m, nn.LayerNorm):
        return [Slot(name, "weight", m.weight), Slot(name, "bias", m.bias)]
    if isinstance(m, LearnableAffine):
        return [Slot(name, "scale", m.scale), Slot(name, "bias", m.bias)]
    return []


def execution_slots(model: nn.Module, example: torch.Tensor) -> list[Slot]:
    """The model's weight tensors in the order its modules first run on `example`."""
    order: list[str] = []
    hooks = []
    for name, m in model.named_modules():
        if _module_slots(name, m):
            hooks.append(
                m.register_forward_pre_hook(
                    lambda mod, args, n=name: order.append(n) if n not in order else None
                )
            )
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(example)
    model.train(was_training)
    for h in hooks:
        h.remove()
    modules = dict(model.named_modules())
    return [s for n in order for s in _module_slots(n, modules[n])]


def load_onnx_into(model: nn.Module, onnx_path: str, example: torch.Tensor) -> int:
    """Copies every ONNX weight into its slot; raises ValueError on any count or shape mismatch."""
    weights = onnx_weights(onnx_path)
    slots = execution_slots(model, example)
    if len(weights) != len(slots):
        raise ValueError(
            f"{onnx_path}: {len(weights)} weight tensors in the graph, {len(slots)} in the model"
        )
    with torch.no_grad():
        for (wname, arr), slot in zip(weights, slots):
            value = torch.from_numpy(np.array(arr.T if slot.transpose else arr, dtype=np.float32))
            if value.shape != slot.tensor.shape:
                if value.numel() == slot.tensor.numel():
                    value = value.reshape(slot.tensor.shape)
                else:
                    raise ValueError(
                        f"{wname} {tuple(value.shape)} does not fit {slot.module}.{slot.attr} "
                        f"{tuple(slot.tensor.shape)}"
                    )
            slot.tensor.copy_(value)
    return len(weights)


def max_abs_diff(model: nn.Module, onnx_path: str, x: np.ndarray) -> float:
    """Against the graph exactly as shipped: ONNX Runtime's graph rewrites (and Scriba's affine folding) reorder
    float32 arithmetic, which alone moves the detector's probabilities by a few 1e-4 (both sides are that far
    from a float64 evaluation), so parity is measured with rewrites off."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    session = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    ref = session.run(None, {session.get_inputs()[0].name: x})[0]
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(x)).numpy()
    if out.shape != ref.shape:
        raise ValueError(f"output shape {out.shape} differs from ONNX Runtime's {ref.shape}")
    return float(np.abs(out - ref).max())
