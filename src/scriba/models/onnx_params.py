"""Count the weights of an ONNX file without the `onnx` package (kept out of the inference install).

Reads just enough protobuf: ModelProto.graph (field 7) -> GraphProto.initializer (field 5) -> TensorProto.dims
(field 1, packed or not). Paddle exports keep weights in Constant nodes instead (GraphProto.node = 1,
NodeProto.op_type = 4, NodeProto.attribute = 5, AttributeProto.t = 5), so float Constant tensors count too.
"""

from __future__ import annotations

from collections.abc import Iterator


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield (field number, wire type, value) for one message."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            val, i = _varint(buf, i)
            yield field, wire, val
        elif wire == 1:
            yield field, wire, buf[i : i + 8]
            i += 8
        elif wire == 2:
            ln, i = _varint(buf, i)
            yield field, wire, buf[i : i + ln]
            i += ln
        elif wire == 5:
            yield field, wire, buf[i : i + 4]
            i += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


FLOAT_TYPES = {1, 10, 11, 16}  # float32, float16, float64, bfloat16


def _tensor_size(tensor: bytes, floats_only: bool = False) -> int:
    dims: list[int] = []
    for field, wire, val in _fields(tensor):
        if field == 2 and floats_only and val not in FLOAT_TYPES:
            return 0
        if field != 1:
            continue
        if wire == 0:
            dims.append(int(val))  # type: ignore[arg-type]
        else:
            j, packed = 0, bytes(val)  # type: ignore[arg-type]
            while j < len(packed):
                d, j = _varint(packed, j)
                dims.append(d)
    size = 1
    for d in dims:
        size *= d
    return size


def count_parameters(path: str) -> int:
    with open(path, "rb") as fh:
        model = fh.read()
    total = 0
    for field, _, graph in _fields(model):
        if field == 7:
            for gfield, _, tensor in _fields(bytes(graph)):  # type: ignore[arg-type]
                if gfield == 5:
                    total += _tensor_size(bytes(tensor))  # type: ignore[arg-type]
                elif gfield == 1:
                    total += _constant_size(bytes(tensor))  # type: ignore[arg-type]
    return total


def _constant_size(node: bytes) -> int:
    op_type = b""
    attrs: list[bytes] = []
    for field, _, val in _fields(node):
        if field == 4:
            op_type = bytes(val)  # type: ignore[arg-type]
        elif field == 5:
            attrs.append(bytes(val))  # type: ignore[arg-type]
    if op_type != b"Constant":
        return 0
    for attr in attrs:
        for field, _, val in _fields(attr):
            if field == 5:
                return _tensor_size(bytes(val), floats_only=True)  # type: ignore[arg-type]
    return 0
