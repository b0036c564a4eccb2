"""ONNX Runtime sessions: the optimized graph is cached on disk, and a session built from it computes the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from scriba.models import runtime
from scriba.models.registry import get_model, resolve_file
from scriba.models.runtime import RuntimeOptions, get_session


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCRIBA_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(runtime, "_sessions", {})  # a fresh process
    return tmp_path / "home"


def _plain_session(path: str) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def test_the_optimized_graph_is_cached_and_computes_the_same(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = resolve_file(get_model("ppocrv5").cls.file)
    options = RuntimeOptions(threads=1, fold_affine=False)
    x = np.random.default_rng(0).random((3, 3, 48, 192), dtype=np.float32)
    expected = _plain_session(path).run(None, {"x": x})
    first = get_session(path, options)
    cached = list((home / "cache" / "ort").iterdir())
    assert [p.suffix for p in cached] == [".onnx"]  # one file, no temporary left behind
    name = first.get_inputs()[0].name
    np.testing.assert_array_equal(first.run(None, {name: x})[0], expected[0])

    monkeypatch.setattr(runtime, "_sessions", {})  # the next process loads the cached graph, optimizers off
    loaded: list[str] = []
    real = ort.InferenceSession

    def spy(model: object, sess_options: ort.SessionOptions, **kw: object) -> ort.InferenceSession:
        loaded.append(f"{model}|{sess_options.graph_optimization_level}")
        return real(model, sess_options=sess_options, **kw)

    monkeypatch.setattr(runtime.ort, "InferenceSession", spy)
    second = get_session(path, options)
    assert loaded == [f"{cached[0]}|{ort.GraphOptimizationLevel.ORT_DISABLE_ALL}"]
    np.testing.assert_array_equal(second.run(None, {name: x})[0], expected[0])


def test_a_damaged_cached_graph_is_rebuilt(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = resolve_file(get_model("ppocrv5").cls.file)
    options = RuntimeOptions(threads=1, fold_affine=False)
    get_session(path, options)
    (cached,) = (home / "cache" / "ort").iterdir()
    cached.write_bytes(b"not an onnx graph")
    monkeypatch.setattr(runtime, "_sessions", {})
    session = get_session(path, options)
    x = np.zeros((1, 3, 48, 192), dtype=np.float32)
    assert session.run(None, {session.get_inputs()[0].name: x})[0].shape == (1, 2)
    assert cached.stat().st_size > 1000  # written again from the model


def test_sessions_still_load_where_the_cache_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("SCRIBA_HOME", str(blocker))
    monkeypatch.setattr(runtime, "_sessions", {})
    path = resolve_file(get_model("ppocrv5").cls.file, verify=False)
    session = get_session(path, RuntimeOptions(threads=1, fold_affine=False))
    x = np.zeros((1, 3, 48, 192), dtype=np.float32)
    assert session.run(None, {session.get_inputs()[0].name: x})[0].shape == (1, 2)
