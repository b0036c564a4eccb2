"""The compressed model file (.sqm): the ONNX graph with its large weights replaced by codes.

Layout (little-endian):

    b"SCRIBAQM"                      magic, 8 bytes
    u32 version (1), u32 header length H
    header: H bytes of UTF-8 JSON    {"method", "bits", "graph": [offset, length], "tensors": [...]}
    blobs                            the ONNX graph (quantized tensors left without data), then per tensor:
                                     float16 scales, float16 offsets, uint8 group widths (RTN only), codes,
                                     uint32 outlier indices, float16 outlier values

Each tensor entry: name, where ("initializer" | "constant"), shape, transposed (MatMul weights are grouped
along their input dimension), rows, row length, groups per row, group size (rows are zero-padded to
groups x size), method, K and S pattern (CCQ), and the byte ranges of its blobs (relative to the blob start).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scriba.errors import ModelError
from scriba.models.compress.codes import Encoded

MAGIC = b"SCRIBAQM"
VERSION = 1
SUFFIX = ".sqm"


@dataclass
class Tensor:
    name: str
    where: str  # "initializer" | "constant"
    shape: tuple[int, ...]
    transposed: bool
    rows: int
    row_len: int
    groups_per_row: int
    enc: Encoded
    # Weights kept apart in float16 (flat indices into rows x row_len), written over the decoded ones.
    outlier_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    outlier_value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float16))

    @property
    def groups(self) -> int:
        return self.rows * self.groups_per_row


def write(path: str, graph: bytes, tensors: list[Tensor], method: str, bits: float) -> None:
    blobs: list[bytes] = [graph]
    pos = len(graph)
    entries: list[dict[str, Any]] = []

    def add(data: bytes) -> list[int]:
        nonlocal pos
        blobs.append(data)
        start, pos = pos, pos + len(data)
        return [start, len(data)]

    for t in tensors:
        e = t.enc
        entries.append(
            {
                "name": t.name,
                "where": t.where,
                "shape": list(t.shape),
                "transposed": t.transposed,
                "rows": t.rows,
                "row_len": t.row_len,
                "groups_per_row": t.groups_per_row,
                "group_size": e.group_size,
                "method": e.method,
                "state_bits": e.state_bits,
                "steps": list(e.steps),
                "scale": add(e.scale.astype("<f2").tobytes()),
                "offset": add(e.offset.astype("<f2").tobytes()),
                "widths": add(e.widths.astype(np.uint8).tobytes()) if e.widths is not None else None,
                "codes": add(e.codes.tobytes()),
                "outlier_index": add(t.outlier_index.astype("<u4").tobytes()),
                "outlier_value": add(t.outlier_value.astype("<f2").tobytes()),
            }
        )
    header = json.dumps(
        {"method": method, "bits": bits, "graph": [0, len(graph)], "tensors": entries}, separators=(",", ":")
    ).encode()
    with open(path, "wb") as fh:
        fh.write(MAGIC + struct.pack("<II", VERSION, len(header)) + header)
        fh.writelines(blobs)


def read(path: str) -> tuple[bytes, list[Tensor], dict[str, Any]]:
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:8] != MAGIC or len(data) < 16:
        raise ModelError(f"{path} is not a Scriba compressed model (.sqm)")
    version, hlen = struct.unpack_from("<II", data, 8)
    if version != VERSION:
        raise ModelError(f"{path}: compressed model version {version} is not supported (expected {VERSION})")
    header = json.loads(data[16 : 16 + hlen])
    base = 16 + hlen

    def blob(span: list[int]) -> bytes:
        return data[base + span[0] : base + span[0] + span[1]]

    tensors = []
    for e in header["tensors"]:
        widths = np.frombuffer(blob(e["widths"]), np.uint8) if e["widths"] else None
        enc = Encoded(
            method=e["method"],
            codes=np.frombuffer(blob(e["codes"]), np.uint8),
            scale=np.frombuffer(blob(e["scale"]), "<f2"),
            offset=np.frombuffer(blob(e["offset"]), "<f2"),
            group_size=e["group_size"],
            state_bits=e["state_bits"],
            steps=tuple(e["steps"]),
            widths=widths,
        )
        tensors.append(
            Tensor(e["name"], e["where"], tuple(e["shape"]), e["transposed"], e["rows"], e["row_len"],
                   e["groups_per_row"], enc, np.frombuffer(blob(e["outlier_index"]), "<u4"),
                   np.frombuffer(blob(e["outlier_value"]), "<f2"))
        )
    return blob(header["graph"]), tensors, header
