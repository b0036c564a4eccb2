"""Compress a registered model's ONNX files (CCQ or RTN), register the result, and decode it at load time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scriba.errors import ModelError
from scriba.models.compress import codes, container
from scriba.models.compress.container import SUFFIX, Tensor

METHODS = ("ccq", "rtn")
GROUP = 128  # target group size along a weight's input dimension (rows are split into equal groups)
MIN_ELEMENTS = 4096  # smaller weight tensors stay in float
MIN_ROW = 32  # depthwise kernels (a 3x3 or 5x5 filter per row) stay in float: a scale per 9-25 weights
WEIGHT_OPS = ("Conv", "MatMul", "Gemm")
CALIB_DET_PAGES = 6  # the detector's statistics come from whole pages (each a few hundred thousand positions)
# Weights this many standard deviations from their row's mean are stored apart in float16 (at most
# OUTLIER_SHARE of a tensor): PP-LCNet's re-parameterized pointwise convs have a few weights of 10-70 standard
# deviations per output channel (0.3-0.5% beyond 4), which carry the output; a grid that reaches them leaves
# the rest of the row one or two levels at 2-3 bits, and a grid that clips them ruins the model.
OUTLIER_Z = 4.0
OUTLIER_SHARE = 0.01


@dataclass
class Report:
    path: str
    file_bytes: int
    params: int  # every float weight of the original graph
    quantized: int  # of which quantized
    code_bytes: int  # codes + scales + offsets + outliers of the quantized tensors
    outliers: int = 0

    @property
    def bits_per_weight(self) -> float:
        """Every stored byte of the file (graph, float tensors, header) over every weight."""
        return 8 * self.file_bytes / max(self.params, 1)

    @property
    def quantized_bits(self) -> float:
        return 8 * self.code_bytes / max(self.quantized, 1)


def _weights(model) -> dict[str, tuple[str, object]]:
    """Name -> (where, TensorProto) of every Conv/MatMul/Gemm weight that is a constant."""
    consts = {i.name: ("initializer", i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            consts[node.output[0]] = ("constant", node.attribute[0].t)
    out = {}
    for node in model.graph.node:
        if node.op_type in WEIGHT_OPS and len(node.input) > 1 and node.input[1] in consts:
            out[node.input[1]] = consts[node.input[1]] + (_transposed(node), node.input[0])
    return out


def _transposed(node) -> bool:
    """Whether the weight is stored input-major (MatMul, Gemm without transB): grouped along its columns."""
    if node.op_type == "MatMul":
        return True
    if node.op_type == "Gemm":
        return not any(a.name == "transB" and a.i for a in node.attribute)
    return False


def _rows(w: np.ndarray, transposed: bool) -> np.ndarray:
    """Output channels x reduction: what one output sums over is one row, split into groups."""
    if transposed:
        return np.ascontiguousarray(w.reshape(w.shape[0], -1).T) if w.ndim == 2 else w.reshape(-1, w.shape[-1])
    return w.reshape(w.shape[0], -1)


def _float_params(model) -> int:
    from onnx import numpy_helper

    total = sum(int(np.prod(i.dims)) for i in model.graph.initializer if i.data_type == 1)
    for node in model.graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            t = node.attribute[0].t
            if t.data_type == 1:
                total += int(np.prod(t.dims)) if t.dims else numpy_helper.to_array(t).size
    return total


def compress_onnx(
    src: str, dst: str, method: str, bits: float, calibration: list[np.ndarray] | None = None
) -> Report:
    """Write `dst` (.sqm): `src` with every large Conv/MatMul/Gemm weight encoded, the rest unchanged.
    CCQ splits off outliers and, given calibration inputs (model input tensors), weights each weight's error
    by the mean square of the activation it multiplies; RTN is plain min-max rounding."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(src)
    params = _float_params(model)
    tensors: list[Tensor] = []
    quantized = outliers = 0
    chosen = {}
    for name, (where, proto, transposed, data_input) in _weights(model).items():
        w = numpy_helper.to_array(proto)
        if w.dtype == np.float32 and w.size >= MIN_ELEMENTS and _rows(w, transposed).shape[1] >= MIN_ROW:
            chosen[name] = (where, proto, transposed, data_input, w)
    energy: dict[str, np.ndarray] = {}
    if method == "ccq" and calibration:
        from scriba.models.compress.calib import input_energy

        energy = input_energy(src, calibration, {k: v[3] for k, v in chosen.items()})
    for name, (where, proto, transposed, _, w) in chosen.items():
        rows = _rows(w, transposed)
        n = rows.shape[1]
        index, value = np.zeros(0, np.uint32), np.zeros(0, np.float16)
        if method == "ccq":
            index, value, rows = split_outliers(rows)
        per_row = -(-n // GROUP)
        size = -(-n // per_row)
        padded = np.zeros((rows.shape[0], per_row * size), np.float32)
        padded[:, :n] = rows
        h = None
        if method == "ccq":
            from scriba.models.compress.calib import importance

            h = np.zeros_like(padded)  # padding: no weight, any value will do
            h[:, :n] = importance(energy.get(name), w.shape, transposed, rows.shape[0])
            h = h.reshape(-1, size)
        enc, _ = codes.encode(padded.reshape(-1, size), method, bits, h)
        tensors.append(
            Tensor(name, where, tuple(w.shape), transposed, rows.shape[0], n, per_row, enc, index, value)
        )
        quantized += w.size
        outliers += index.size
        # The graph keeps the tensor's name, type and shape; its values live in the codes.
        proto.ClearField("raw_data")
        proto.ClearField("float_data")
    container.write(dst, model.SerializeToString(), tensors, method, bits)
    code_bytes = sum(t.enc.nbytes + 6 * t.outlier_index.size for t in tensors)
    return Report(dst, os.path.getsize(dst), params, quantized, code_bytes, outliers)


def split_outliers(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat indices, float16 values, rows with those weights set to their row's mean): the weights over
    OUTLIER_Z standard deviations from their row's mean, the farthest first, at most OUTLIER_SHARE of them."""
    mean = rows.mean(axis=1, keepdims=True)
    z = np.abs(rows - mean) / (rows.std(axis=1, keepdims=True) + 1e-12)
    flat = z.ravel()
    index = np.flatnonzero(flat > OUTLIER_Z)
    limit = int(OUTLIER_SHARE * flat.size)
    if index.size > limit:
        index = index[np.argsort(-flat[index], kind="stable")[:limit]]
    index = np.sort(index).astype(np.uint32)
    value = rows.ravel()[index].astype(np.float16)
    rest = rows.copy()
    rest.ravel()[index] = np.broadcast_to(mean, rows.shape).ravel()[index]
    return index, value, rest


def decode_tensor(t: Tensor) -> np.ndarray:
    """The float weight a tensor entry decodes to, in its original shape."""
    q = np.ascontiguousarray(codes.decode(t.enc, t.groups).reshape(t.rows, -1)[:, : t.row_len])
    q.ravel()[t.outlier_index.astype(np.int64)] = t.outlier_value.astype(np.float32)
    if t.transposed:
        if len(t.shape) == 2:
            return np.ascontiguousarray(q.T)
        return q.reshape(t.shape)
    return q.reshape(t.shape)


def decode_model(path: str) -> bytes:
    """The ONNX model a .sqm file holds, with every quantized weight decoded to float32."""
    import onnx
    from onnx import numpy_helper

    graph, tensors, _ = container.read(path)
    model = onnx.load_from_string(graph)
    protos = {name: (where, proto) for name, (where, proto, _, _) in _weights(model).items()}
    for t in tensors:
        if t.name not in protos:
            raise ModelError(f"{path}: quantized tensor '{t.name}' is not a weight of its graph")
        proto = protos[t.name][1]
        proto.CopyFrom(numpy_helper.from_array(decode_tensor(t), proto.name))
    return model.SerializeToString()


def decoded_path(path: str) -> str:
    """A .sqm file decoded to ONNX once and cached under $SCRIBA_HOME/cache/decoded (keyed by the file's path,
    size and modification time, like the other caches); later loads read the cached file."""
    from scriba.models.runtime import _cache_file

    cached = _cache_file("decoded", path, "v1")
    if cached.is_file():
        return str(cached)
    data = decode_model(path)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, cached)  # atomic: a concurrent process sees no file or the whole one
    return str(cached)


def calibration_inputs(spec, calib: str | None) -> dict[str, list[np.ndarray]]:
    """Model input tensors per role: the pages for the detector, the lines its float detector finds on them
    for the recognizer and the classifier."""
    from scriba.models.classification.angle import AngleClassifier
    from scriba.models.compress.calib import calibration_pages, line_crops, rec_input
    from scriba.models.detection.db import TextDetector

    pages = calibration_pages(calib)
    det = TextDetector(spec.det)
    crops = line_crops(pages, spec.det)
    r = spec.rec
    out = {
        "det": [det.preprocess(p) for p in pages[:CALIB_DET_PAGES]],
        "rec": [rec_input(c, r.height, r.min_width, r.max_width) for c in crops],
    }
    if spec.cls is not None:
        cls = AngleClassifier(spec.cls)
        out["cls"] = [cls._normalize(c)[None] for c in crops]
    return out


def check_bits(bits: float) -> float:
    if float(bits) not in codes.CCQ_CODES:
        allowed = ", ".join(f"{b:g}" for b in codes.BITS)
        raise ModelError(f"--bits must be one of {allowed} (got {bits:g})")
    return float(bits)


def compress_model(
    name: str,
    bits: float,
    new_name: str,
    method: str = "ccq",
    calib: str | None = None,
    out_dir: str | None = None,
) -> tuple[object, dict[str, Report]]:
    """Compress every ONNX file of model `name` (detector, recognizer, classifier) and register the result
    as the user model `new_name`, with the same key list and settings. CCQ calibrates on the images of
    `calib` (pages) or on rendered pages. Returns (spec, report per role)."""
    from scriba.models.registry import BUILTIN, get_model, register_model, resolve_file, scriba_home

    bits = check_bits(bits)
    if method not in METHODS:
        raise ModelError(f"--method must be one of {', '.join(METHODS)} (got '{method}')")
    if new_name in BUILTIN:
        raise ModelError(f"'{new_name}' is a built-in model name; choose another")
    spec = get_model(name)
    inputs = calibration_inputs(spec, calib) if method == "ccq" else {}
    folder = Path(out_dir) if out_dir else scriba_home() / "models" / new_name
    folder.mkdir(parents=True, exist_ok=True)
    reports: dict[str, Report] = {}
    for role in ("det", "rec", "cls"):
        f = spec.files().get(role)
        if f is None:
            continue
        src = resolve_file(f)
        if src.endswith(SUFFIX):
            raise ModelError(f"'{name}' is already compressed; compress its float model instead")
        reports[role] = compress_onnx(src, str(folder / f"{role}{SUFFIX}"), method, bits, inputs.get(role))
    keys = resolve_file(spec.rec.keys) if spec.rec.keys else None
    new = register_model(
        new_name,
        det=reports["det"].path,
        rec=reports["rec"].path,
        cls=reports["cls"].path if "cls" in reports else None,
        keys=keys,
        base=name,
        description=f"{name} compressed with {method.upper()} at {bits:g} bits per weight",
    )
    return new, reports
