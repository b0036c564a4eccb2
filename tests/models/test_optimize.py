"""The folded PP-OCR graphs compute what the shipped ones do (same outputs up to float rounding)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from scriba.models.optimize import fold_affine_chains
from scriba.models.registry import get_model, resolve_file
from tests.conftest import render_lines


def _session(model: str | bytes) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def _normalized_line(text: str, width: int) -> np.ndarray:
    img = render_lines([text], size=30, width=width, margin=8, spacing=1.4)
    import cv2

    x = cv2.resize(img, (int(48 * img.shape[1] / img.shape[0]), 48))[:, :, ::-1].astype(np.float32)
    return ((x / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None].copy()


@pytest.mark.parametrize("model", ["ppocrv5", "ppocrv4"])
def test_folded_recognizer_matches_original(model: str) -> None:
    path = resolve_file(get_model(model).rec.file)
    folded, removed = fold_affine_chains(onnx.load(path))
    assert removed > 50  # PP-LCNetV3 wraps every conv in affine blocks
    onnx.checker.check_model(folded)
    x = _normalized_line("Invoice 2024-118: total due 1,250.00 EUR", 760)
    a = _session(path).run(None, {"x": x})[0]
    b = _session(folded.SerializeToString()).run(None, {"x": x})[0]
    assert np.abs(a - b).max() < 1e-4
    assert (a.argmax(-1) == b.argmax(-1)).all()
    # The shifts left before padded convs are convs too (ONNX Runtime keeps them in its blocked layout).
    producers = {o: n for n in folded.graph.node for o in n.output}
    conv_inputs = [producers.get(n.input[0]) for n in folded.graph.node if n.op_type == "Conv"]
    assert not [p for p in conv_inputs if p is not None and p.op_type == "Add"]


def test_folded_detector_matches_original() -> None:
    path = resolve_file(get_model("ppocrv5").det.file)
    folded, removed = fold_affine_chains(onnx.load(path))
    assert removed > 50
    page = render_lines(["Folding must not move a box", "nor change a probability"], size=34, width=640)
    h, w = (page.shape[0] // 32) * 32, 640
    x = ((page[:h, :w, ::-1].astype(np.float32) / 255.0 - 0.45) / 0.225).transpose(2, 0, 1)[None].copy()
    a = _session(path).run(None, {"x": x})[0]
    b = _session(folded.SerializeToString()).run(None, {"x": x})[0]
    assert a.max() > 0.9  # the text is found at all
    assert np.abs(a - b).max() < 1e-4


def test_model_without_affine_blocks_is_left_alone() -> None:
    path = resolve_file(get_model("ppocrv5").cls.file)  # an older MobileNet classifier: plain conv + BN
    _, removed = fold_affine_chains(onnx.load(path))
    assert removed == 0


def test_ctc_argmax_head_gives_the_best_class_and_its_probability() -> None:
    from scriba.models.optimize import add_ctc_argmax

    path = resolve_file(get_model("ppocrv5").rec.file)
    x = _normalized_line("Argmax inside the graph", 520)
    probs = _session(path).run(None, {"x": x})[0][0]
    head = add_ctc_argmax(onnx.load(path))
    assert {p.key: p.value for p in head.metadata_props}["classes"] == str(probs.shape[-1])
    idx, best = _session(head.SerializeToString()).run(None, {"x": x})
    assert (idx[0] == probs.argmax(-1)).all()
    assert np.allclose(best[0], probs.max(-1))
