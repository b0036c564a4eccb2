"""Compressed models: CCQ and RTN codes round-trip exactly, the shift decoder equals a bit-by-bit one, the bit
accounting is what is stored, bad arguments fail in one line, and a 4-bit model still reads a rendered line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scriba.models.compress import codes, container
from scriba.models.compress.model import compress_onnx, decode_tensor

from ..conftest import render_lines


def _weights(rows: int = 40, n: int = 96, seed: int = 0, outliers: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, n)).astype(np.float32) * rng.uniform(0.01, 2, (rows, 1)).astype(np.float32)
    if outliers:
        x[:, 5] *= 8  # a large weight in every group, as in the PP-OCR pointwise convs
    return x


@pytest.mark.parametrize("method", ["ccq", "rtn"])
@pytest.mark.parametrize("bits", codes.BITS)
def test_decode_of_encode_is_the_quantized_weights_exactly(method: str, bits: float) -> None:
    for outliers in (True, False):
        x = _weights(outliers=outliers)
        enc, quantized = codes.encode(x, method, bits)
        assert np.array_equal(codes.decode(enc, x.shape[0]), quantized)
    # and it is a quantization of x, not something else: error well below the weights' own spread
    assert ((quantized - x) ** 2).mean() < 0.3 * (x**2).mean()


def test_ccq_has_less_error_than_rtn_at_every_rate() -> None:
    x = np.random.default_rng(1).standard_normal((200, 128)).astype(np.float32)
    for bits in codes.BITS:
        ccq = ((codes.encode(x, "ccq", bits)[1] - x) ** 2).mean()
        rtn = ((codes.encode(x, "rtn", bits)[1] - x) ** 2).mean()
        assert ccq < rtn, bits


def test_the_shift_decoder_reads_the_same_fields_as_a_bit_by_bit_reader() -> None:
    x = _weights(rows=6, n=40)
    for bits in (2.0, 2.75, 4.0):
        enc, _ = codes.ccq_encode(x, bits)
        starts, widths, group_bits = codes._ccq_layout(40, enc.state_bits, enc.steps)
        offsets = (np.arange(6)[:, None] * group_bits + starts[None, :]).ravel()
        wide = np.broadcast_to(widths, (6, 40)).ravel()
        fast = codes.read_fields(enc.codes, offsets, wide)
        slow = codes.read_fields_reference(enc.codes.tobytes(), offsets.tolist(), wide.tolist())
        assert fast.tolist() == slow
    rng = np.random.default_rng(2)
    stream = rng.integers(0, 256, 64, dtype=np.uint8)
    offsets = rng.integers(0, 400, 300)
    widths = rng.integers(1, 57, 300)
    assert codes.read_fields(stream, offsets, widths).tolist() == codes.read_fields_reference(
        stream.tobytes(), offsets.tolist(), widths.tolist()
    )


def test_consecutive_ccq_codes_share_their_overlapping_bits() -> None:
    enc, _ = codes.ccq_encode(_weights(rows=3, n=32), 2.0)
    k, s = enc.state_bits, enc.steps[0]
    starts, widths, group_bits = codes._ccq_layout(32, k, enc.steps)
    v = codes.read_fields(enc.codes, starts, widths).astype(np.int64)  # first group
    assert all((v[t] & ((1 << k) - 1)) == v[t - 1] >> s for t in range(1, 32))
    assert group_bits == k + 2 * 32


@pytest.mark.parametrize("bits", codes.BITS)
def test_stored_bits_per_weight_are_the_code_rate_plus_the_group_parameters(bits: float) -> None:
    groups, n = 50, 128
    x = np.random.default_rng(3).standard_normal((groups, n)).astype(np.float32)
    for method in ("ccq", "rtn"):
        enc, _ = codes.encode(x, method, bits)
        code_bits = enc.codes.nbytes * 8
        per_weight = code_bits / (groups * n)
        if method == "ccq":  # the first window's K state bits, then the code rate
            assert per_weight == pytest.approx(bits + enc.state_bits / n, abs=8 / (groups * n))
        else:  # fractional rates: whole-bit groups whose mean is the rate, to within one group
            assert enc.widths is not None
            assert per_weight == pytest.approx(enc.widths.mean(), abs=8 / (groups * n))
            assert enc.widths.mean() == pytest.approx(bits, abs=1 / groups)
        assert enc.nbytes == enc.codes.nbytes + 2 * 2 * groups + (groups if method == "rtn" else 0)


def test_ccq_weighs_each_weights_error_by_its_importance() -> None:
    x = np.random.default_rng(5).standard_normal((100, 64)).astype(np.float32)
    h = np.ones_like(x)
    h[:, :8] = 50.0  # the first inputs' activations are large: their weights' errors count 50 times
    _, plain = codes.ccq_encode(x, 2.0)
    _, weighted = codes.ccq_encode(x, 2.0, h)
    assert (h * (weighted - x) ** 2).sum() < 0.8 * (h * (plain - x) ** 2).sum()
    assert ((weighted - x)[:, :8] ** 2).mean() < ((plain - x)[:, :8] ** 2).mean()


def test_outliers_are_kept_apart_and_restored_exactly_in_float16() -> None:
    from scriba.models.compress.model import split_outliers

    rows = np.random.default_rng(6).standard_normal((20, 200)).astype(np.float32)
    rows[3, 17] = 40.0
    rows[11, 150] = -25.0
    index, value, rest = split_outliers(rows)
    assert {3 * 200 + 17, 11 * 200 + 150} <= set(index.tolist())
    assert value[index.tolist().index(3 * 200 + 17)] == np.float16(40.0)
    assert abs(rest[3, 17]) < 1 and abs(rest[11, 150]) < 1  # the row's mean stands in for them


def test_input_energy_is_the_mean_square_of_each_input_channel(tmp_path: Path) -> None:
    from scriba.models.compress.calib import importance, input_energy

    _tiny_onnx(tmp_path / "tiny.onnx")
    rng = np.random.default_rng(7)
    spread = np.linspace(0.1, 3, 96, dtype=np.float32)[None, :, None, None]
    xs = [rng.standard_normal((1, 96, 1, 1)).astype(np.float32) * spread for _ in range(5)]
    energy = input_energy(str(tmp_path / "tiny.onnx"), xs, {"w": "x"})
    expected = np.mean([x[0, :, 0, 0].astype(np.float64) ** 2 for x in xs], axis=0)
    assert np.allclose(energy["w"], expected, rtol=1e-6)
    h = importance(energy["w"], (64, 96, 1, 1), False, 64)
    assert h.shape == (64, 96) and np.allclose(h[0], np.maximum(expected / expected.mean(), 0.01))


def _tiny_onnx(path: Path) -> np.ndarray:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = _weights(rows=64, n=96, outliers=False).reshape(64, 96, 1, 1)
    m = np.random.default_rng(4).standard_normal((64, 80)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w"], ["y"]),
            helper.make_node("Constant", [], ["m"], value=numpy_helper.from_array(m, "m")),
            helper.make_node("Flatten", ["y"], ["f"]),
            helper.make_node("MatMul", ["f", "m"], ["out"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 96, 1, 1])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 80])],
        [numpy_helper.from_array(w, "w")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return w


def test_a_compressed_file_accounts_for_every_stored_byte_and_decodes_both_weights(tmp_path: Path) -> None:
    import onnx
    from onnx import numpy_helper

    from scriba.models.compress.model import decode_model

    src = tmp_path / "tiny.onnx"
    w = _tiny_onnx(src)
    report = compress_onnx(str(src), str(tmp_path / "tiny.sqm"), "ccq", 2.5)
    assert report.params == 64 * 96 + 64 * 80 and report.quantized == report.params
    assert report.bits_per_weight == 8 * (tmp_path / "tiny.sqm").stat().st_size / report.params
    assert 2.5 < report.quantized_bits < 3.0
    _, tensors, header = container.read(str(tmp_path / "tiny.sqm"))
    assert header["method"] == "ccq" and {t.where for t in tensors} == {"initializer", "constant"}
    model = onnx.load_from_string(decode_model(str(tmp_path / "tiny.sqm")))
    decoded = numpy_helper.to_array(model.graph.initializer[0])
    assert decoded.shape == w.shape and np.array_equal(decoded, decode_tensor(tensors[0]))
    assert np.abs(decoded - w).mean() < 0.3 * np.abs(w).mean()


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, SCRIBA_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "scriba.cli.main", *args], check=False, capture_output=True, text=True, env=env,
        timeout=600,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["nosuchmodel", "--bits", "2", "--as", "x"], "unknown model 'nosuchmodel'"),
        (["ppocrv5", "--bits", "1.5", "--as", "x"], "--bits must be one of 2, 2.5, 2.75, 3, 4"),
        (["ppocrv5", "--bits", "2", "--as", "x", "--method", "gptq"], "--method must be one of ccq, rtn"),
        (["ppocrv5", "--bits", "2"], "--as NEWNAME is required"),
        (["ppocrv5", "--bits", "2", "--as", "ppocrv4"], "'ppocrv4' is a built-in model name"),
        (["ppocrv5", "--bits", "2", "--as", "x", "--calib", "/no/such/pages"], "--calib: no such folder"),
        (["ppocrv5", "--bits", "2", "--as", "x", "--calib", "."], "--calib: no images"),
    ],
)
def test_bad_arguments_fail_in_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    if "." in args:
        args = [str(tmp_path) if a == "." else a for a in args]  # an existing folder without images
    r = _cli("models", "compress", *args, home=tmp_path / "home")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and message in r.stderr
    assert "Traceback" not in r.stderr


def test_a_4_bit_ccq_model_reads_a_rendered_line_exactly(tmp_path: Path) -> None:
    r = _cli("models", "compress", "ppocrv5", "--bits", "4", "--as", "v5-ccq4", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "registered 'v5-ccq4'" in r.stdout
    from PIL import Image

    line = "Revenue grew by 12 percent in 2025"
    Image.fromarray(render_lines([line], font_name="serif")).save(tmp_path / "line.png")
    r = _cli("ocr", str(tmp_path / "line.png"), "--model", "v5-ccq4", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == line
    assert list((tmp_path / "cache" / "decoded").glob("*.onnx"))  # the decoded graphs are cached
