"""Exact, offline graph rewrites that make the PP-OCR ONNX files cheaper to run on a CPU.

PP-LCNetV3 (the backbone of the PP-OCRv4/v5 mobile detector and recognizer) wraps every convolution in
"learnable affine blocks": conv -> +bias -> *a -> +b -> hardswish -> *c -> +d. The exported graphs keep each
of those as its own element-wise node (ONNX Runtime's fusions do not catch them: the scalars come first in Mul,
through Constant nodes), and on a CPU they cost about a third of the recognizer's time. This module folds them
into the convolution weights:

- conv -> Add(const) / Mul(const) chains fold into the conv's weight and bias (always exact);
- x -> Mul(c) -> Add(d) -> convs: c folds into the convs' weights; d into their bias where they do not pad, and
  where they pad (the border must still see zeros), into one shift by d/c before them: conv_W(pad0(c*x + d)) =
  conv_cW(pad0(x + d/c)). Two element-wise passes become none or one, and that one is a 1x1 depthwise conv,
  which ONNX Runtime keeps in its blocked conv layout (an Add would not).

Everything else is left alone. The result computes the same function up to float rounding; tests compare them.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import onnx
from onnx import helper, numpy_helper

from scriba.models.runtime import CTC_FEATURES


class _Graph:
    """Name-indexed view of an ONNX graph that supports removing nodes and renaming their outputs."""

    def __init__(self, model: onnx.ModelProto) -> None:
        self.model = model
        self.graph = model.graph
        self.consts: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in self.graph.initializer}
        for node in self.graph.node:
            if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
                self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        self.graph_outputs = {o.name for o in self.graph.output}
        self._fold_constant_reshapes()

    def _fold_constant_reshapes(self) -> None:
        for node in list(self.graph.node):
            if node.op_type == "Reshape" and all(i in self.consts for i in node.input):
                data, shape = self.consts[node.input[0]], self.consts[node.input[1]]
                shape = [data.shape[k] if s == 0 else int(s) for k, s in enumerate(shape)]
                self.consts[node.output[0]] = data.reshape(shape)
                self.graph.node.remove(node)

    def consumers(self) -> dict[str, list[onnx.NodeProto]]:
        out: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        for node in self.graph.node:
            for name in node.input:
                out[name].append(node)
        return out

    def producer(self) -> dict[str, onnx.NodeProto]:
        return {o: node for node in self.graph.node for o in node.output}

    def const_operand(self, node: onnx.NodeProto) -> tuple[str, np.ndarray] | None:
        """For a binary Add/Mul with exactly one constant input: (the other input, the constant)."""
        if len(node.input) != 2:
            return None
        a, b = node.input
        if b in self.consts and a not in self.consts:
            return a, self.consts[b]
        if a in self.consts and b not in self.consts:
            return b, self.consts[a]
        return None

    def set_const(self, name: str, value: np.ndarray) -> str:
        self.consts[name] = value
        self.graph.initializer.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def finish(self) -> onnx.ModelProto:
        """Drop constants nobody reads any more (Constant nodes and initializers)."""
        used = {i for node in self.graph.node for i in node.input} | self.graph_outputs
        for node in list(self.graph.node):
            if node.op_type == "Constant" and node.output[0] not in used:
                self.graph.node.remove(node)
        keep = [i for i in self.graph.initializer if i.name in used]
        del self.graph.initializer[:]
        self.graph.initializer.extend(keep)
        # Constants that a folded Reshape produced and that are still read become initializers.
        have = {i.name for i in self.graph.initializer} | {n.output[0] for n in self.graph.node}
        for name in used - have:
            if name in self.consts:
                self.graph.initializer.append(numpy_helper.from_array(self.consts[name].astype(np.float32), name))
        return self.model


def _channel_vector(value: np.ndarray, channels: int) -> np.ndarray | None:
    """A constant that broadcasts over an N x C x H x W tensor per channel (or as a scalar) -> C values."""
    v = np.asarray(value, dtype=np.float64)
    if v.size == 1:
        return np.full(channels, float(v.reshape(-1)[0]))
    if v.size == channels and (v.ndim == 1 and channels == 1 or v.shape[-2:] == (1, 1) or v.ndim == 3):
        squeezed = v.reshape(-1)
        if v.ndim >= 3 and v.shape[-3] != channels:
            return None
        return squeezed
    return None



def _attr(node: onnx.NodeProto, name: str, default: object) -> object:
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _conv_parts(g: _Graph, conv: onnx.NodeProto) -> tuple[np.ndarray, np.ndarray] | None:
    if conv.input[1] not in g.consts:
        return None
    w = g.consts[conv.input[1]].astype(np.float64)
    b = g.consts[conv.input[2]].astype(np.float64) if len(conv.input) > 2 and conv.input[2] else np.zeros(w.shape[0])
    return w, b


def fold_into_conv_outputs(g: _Graph) -> int:
    """conv -> Add(const) | Mul(const) with the conv as sole reader: fold the constant into the conv."""
    folded = 0
    changed = True
    while changed:
        changed = False
        consumers = g.consumers()
        for conv in [n for n in g.graph.node if n.op_type == "Conv"]:
            out = conv.output[0]
            readers = consumers.get(out, [])
            if len(readers) != 1 or out in g.graph_outputs:
                continue
            nxt = readers[0]
            if nxt.op_type not in ("Add", "Mul"):
                continue
            operand = g.const_operand(nxt)
            parts = _conv_parts(g, conv)
            if operand is None or parts is None or operand[0] != out:
                continue
            w, b = parts
            vec = _channel_vector(operand[1], w.shape[0])
            if vec is None:
                continue
            if nxt.op_type == "Add":
                b = b + vec
            else:
                w = w * vec[:, None, None, None]
                b = b * vec
            _replace_conv_params(g, conv, w, b, f"f{folded}")
            conv.output[0] = nxt.output[0]
            g.graph.node.remove(nxt)
            folded += 1
            changed = True
            break
    return folded


def _replace_conv_params(g: _Graph, conv: onnx.NodeProto, w: np.ndarray, b: np.ndarray, tag: str) -> None:
    x = conv.input[0]
    base = conv.name or conv.output[0]
    w_name = g.set_const(f"{base}/{tag}/W", w.astype(np.float32))
    b_name = g.set_const(f"{base}/{tag}/B", b.astype(np.float32))
    del conv.input[:]
    conv.input.extend([x, w_name, b_name])


def fold_into_conv_inputs(g: _Graph) -> int:
    """x -> Mul(c) -> Add(d) read only by convs: fold c and d into those convs (see the module doc)."""
    folded = 0
    changed = True
    while changed:
        changed = False
        consumers = g.consumers()
        producer = g.producer()
        for add in [n for n in g.graph.node if n.op_type == "Add"]:
            operand = g.const_operand(add)
            if operand is None or add.output[0] in g.graph_outputs:
                continue
            mul = producer.get(operand[0])
            if mul is None or mul.op_type != "Mul" or len(consumers.get(mul.output[0], [])) != 1:
                continue
            mul_operand = g.const_operand(mul)
            if mul_operand is None:
                continue
            readers = consumers.get(add.output[0], [])
            if not readers or any(r.op_type != "Conv" or r.input[0] != add.output[0] for r in readers):
                continue
            c = np.asarray(mul_operand[1], np.float64)
            d = np.asarray(operand[1], np.float64)
            if c.size != 1 or d.size != 1 or float(c.reshape(-1)[0]) == 0.0:
                continue  # per-channel padding values have no ONNX op; leave those alone
            c_val, d_val = float(c.reshape(-1)[0]), float(d.reshape(-1)[0])
            if any(_conv_parts(g, r) is None or _attr(r, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET")
                   for r in readers):
                continue
            source = mul_operand[0]
            shifted = None  # source + d/c, read by the padded convs (created when the first one needs it)
            for conv in readers:
                w, b = _conv_parts(g, conv)  # type: ignore[misc]
                if any(_attr(conv, "pads", [0, 0, 0, 0])):  # type: ignore[arg-type]
                    if shifted is None:
                        shifted = f"{add.output[0]}/shifted"
                        node = _shift_node(g, source, shifted, d_val / c_val, w.shape[1] * int(_attr(conv, "group", 1)))
                        g.graph.node.insert(list(g.graph.node).index(add), node)
                    conv_in = shifted
                else:
                    b = b + d_val * w.sum(axis=(1, 2, 3))
                    conv_in = source
                _replace_conv_params(g, conv, w * c_val, b, f"i{folded}")
                conv.input[0] = conv_in
            g.graph.node.remove(add)
            g.graph.node.remove(mul)
            folded += 1
            changed = True
            break
    return folded


def _shift_node(g: _Graph, source: str, output: str, shift: float, channels: int) -> onnx.NodeProto:
    """source + shift, as a 1x1 depthwise conv (weight 1, bias `shift`) rather than an Add: ONNX Runtime runs
    convs in its blocked NCHWc layout and an Add of a scalar in plain NCHW, so an Add between two convs costs
    a layout round trip (reorders were 6.5% of the PP-OCRv5 recognizer, the Adds 5%; the conv is ~1%)."""
    w = g.set_const(output + "/W", np.ones((channels, 1, 1, 1), np.float32))
    b = g.set_const(output + "/B", np.full(channels, shift, np.float32))
    return helper.make_node("Conv", [source, w, b], [output], name=output, group=channels, kernel_shape=[1, 1])


def fold_affine_chains(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """Fold the element-wise affine nodes around convolutions into the convolutions. Returns the rewritten
    model (the input is changed in place) and how many nodes were removed."""
    g = _Graph(model)
    removed = fold_into_conv_outputs(g)
    removed += 2 * fold_into_conv_inputs(g)
    removed += fold_into_conv_outputs(g)
    return g.finish(), removed


def optimized_model_bytes(path: str) -> bytes:
    """The model at `path` with its affine chains folded, serialized for `onnxruntime.InferenceSession`."""
    model, _ = fold_affine_chains(onnx.load(path))
    return model.SerializeToString()


# Full-list indices of the classes restrict_ctc_classes kept (an int64 initializer read by add_ctc_argmax).
_KEPT = "ctc_kept_classes"


def add_ctc_argmax(model: onnx.ModelProto) -> onnx.ModelProto:
    """Replace a CTC recognizer's N x T x C probability output by two small ones: the best class per step
    (int64, N x T) and its probability (float, N x T). Greedy decoding needs nothing else, and the C = 18,385
    probabilities per step of PP-OCRv5 never leave ONNX Runtime (less copying, less memory, no numpy argmax)."""
    graph = model.graph
    extra = [o for o in graph.output if o.name == CTC_FEATURES]
    if len(graph.output) - len(extra) != 1:
        raise ValueError("expected a recognizer with one output")
    probs = graph.output[0].name
    classes = graph.output[0].type.tensor_type.shape.dim[-1].dim_value
    if classes:  # the class count stays checkable against the key list
        helper.set_model_props(model, {**{p.key: p.value for p in model.metadata_props}, "classes": str(classes)})
    kept = any(i.name == _KEPT for i in graph.initializer)  # restrict_ctc_classes ran: map back to full indices
    idx = helper.make_node(
        "ArgMax", [probs], ["ctc_kept_index" if kept else "ctc_index"], axis=-1, keepdims=0, name="ctc_argmax"
    )
    if _opset(model) >= 18:
        axes = numpy_helper.from_array(np.array([-1], np.int64), "ctc_reduce_axes")
        graph.initializer.append(axes)
        best = helper.make_node("ReduceMax", [probs, "ctc_reduce_axes"], ["ctc_prob"], keepdims=0, name="ctc_prob")
    else:
        best = helper.make_node("ReduceMax", [probs], ["ctc_prob"], axes=[-1], keepdims=0, name="ctc_prob")
    graph.node.extend([idx, best])
    if kept:
        graph.node.append(helper.make_node("Gather", [_KEPT, "ctc_kept_index"], ["ctc_index"], axis=0, name="ctc_index"))
    del graph.output[:]
    graph.output.extend([
        helper.make_tensor_value_info("ctc_index", onnx.TensorProto.INT64, None),
        helper.make_tensor_value_info("ctc_prob", onnx.TensorProto.FLOAT, None),
        *extra,
    ])
    return model


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)


def _ctc_head(g: _Graph) -> tuple[onnx.NodeProto, onnx.NodeProto, onnx.NodeProto]:
    """The MatMul -> Add -> Softmax that ends a CTC recognizer, with constant weights."""
    producer = g.producer()

    def source(name: str) -> onnx.NodeProto | None:
        """The node that computes `name`, looking through Identity nodes (Paddle 3 exports put one after
        every Add, PP-OCRv6's heads included)."""
        node = producer.get(name)
        while node is not None and node.op_type == "Identity":
            node = producer.get(node.input[0])
        return node

    softmax = source(g.graph.output[0].name)
    add = source(softmax.input[0]) if softmax is not None and softmax.op_type == "Softmax" else None
    matmul = source(add.input[0]) if add is not None and add.op_type == "Add" else None
    if matmul is None or matmul.op_type != "MatMul" or matmul.input[1] not in g.consts or add.input[1] not in g.consts:
        raise ValueError("expected a recognizer ending in MatMul -> Add -> Softmax with constant weights")
    return matmul, add, softmax  # type: ignore[return-value]


def expose_ctc_features(model: onnx.ModelProto) -> onnx.ModelProto:
    """Add the CTC head's input (N x T x D features) as a third output "ctc_features". Call before
    restrict_ctc_classes and add_ctc_argmax (those keep it): ctc_head_model reads the full classes from it."""
    g = _Graph(model)
    matmul, _, _ = _ctc_head(g)
    g.graph.node.append(helper.make_node("Identity", [matmul.input[0]], [CTC_FEATURES], name=CTC_FEATURES))
    model = g.finish()
    model.graph.output.append(helper.make_tensor_value_info(CTC_FEATURES, onnx.TensorProto.FLOAT, None))
    return model


def ctc_head_model(model: onnx.ModelProto) -> onnx.ModelProto:
    """Just the recognizer's CTC head, as its own model: "ctc_features" (N x T x D) -> the class
    probabilities. Re-reading a line from its features costs a MatMul instead of the whole network."""
    g = _Graph(model)
    matmul, add, softmax = _ctc_head(g)
    w, b = g.consts[matmul.input[1]], g.consts[add.input[1]]
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", [CTC_FEATURES, "head_w"], ["head_mm"]),
            helper.make_node("Add", ["head_mm", "head_b"], ["head_logits"]),
            helper.make_node("Softmax", ["head_logits"], ["probs"], axis=int(_attr(softmax, "axis", -1))),
        ],
        "ctc_head",
        [helper.make_tensor_value_info(CTC_FEATURES, onnx.TensorProto.FLOAT, ["n", "t", w.shape[0]])],
        [helper.make_tensor_value_info("probs", onnx.TensorProto.FLOAT, ["n", "t", w.shape[1]])],
        [numpy_helper.from_array(w.astype(np.float32), "head_w"), numpy_helper.from_array(b.astype(np.float32), "head_b")],
    )
    opsets = [helper.make_opsetid("", _opset(model))]
    return helper.make_model(graph, opset_imports=opsets, ir_version=model.ir_version)


def restrict_ctc_classes(model: onnx.ModelProto, keep: list[int]) -> onnx.ModelProto:
    """Cut a CTC recognizer's last linear layer (MatMul + Add before the output Softmax) to the classes in
    `keep` (indices into the full class list, blank included). Apply add_ctc_argmax afterwards: it maps the best
    kept class back to its index in the full list, so decoding is unchanged. The softmax then runs over the kept
    classes only, which changes nothing where the others have negligible probability (the Chinese and Japanese
    classes on a Latin-script line) and makes PP-OCRv5's head 18 times cheaper."""
    g = _Graph(model)
    matmul, add, _ = _ctc_head(g)
    idx = np.asarray(keep, dtype=np.int64)
    w, b = g.consts[matmul.input[1]], g.consts[add.input[1]]
    matmul.input[1] = g.set_const(matmul.input[1] + "_kept", w[:, idx])
    add.input[1] = g.set_const(add.input[1] + "_kept", b.reshape(-1)[idx])
    model = g.finish()
    model.graph.initializer.append(numpy_helper.from_array(idx, _KEPT))
    return model
