"""ONNX Runtime sessions, created once per (file, settings) and shared by every predictor in the process."""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import threading
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

from scriba.errors import ModelError

# The CTC head's input, an extra output of Latin-subset recognizers (scriba.models.optimize.expose_ctc_features).
CTC_FEATURES = "ctc_features"


@dataclass(frozen=True)
class RuntimeOptions:
    """How ONNX Runtime runs a model. threads=0 lets Scriba pick (all cores this process may use)."""

    threads: int = 0
    graph_optimization: str = "all"  # basic | extended | all
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    # Fold PP-LCNet's element-wise affine nodes into the convolutions (scriba.models.optimize): same outputs
    # up to float rounding, about 20% less time for the PP-OCRv4/v5 detector and recognizer.
    fold_affine: bool = True
    # Recognizers only: output the best class and its probability per time step instead of all probabilities.
    ctc_argmax: bool = False
    # Recognizers only: compute just these classes (full-list indices, blank included; see restrict_ctc_classes).
    ctc_classes: tuple[int, ...] | None = None
    # Recognizers only: just the full CTC head, run on the features a ctc_classes session also outputs (N x T x
    # D), so that a line the subset head is unsure of is re-read at the cost of one MatMul.
    ctc_head_only: bool = False
    # ONNX Runtime's CPU arena keeps the largest buffers it ever needed (grown in powers of two) for the life of
    # the process; with the detector's full-page maps and shapes that change on every page and line batch, that
    # is hundreds of MB. Without it, buffers go back to the allocator after each run.
    mem_arena: bool = True
    # Memory patterns are planned and kept per input shape; every page and line batch has new shapes.
    mem_pattern: bool = False
    # Idle intra-op threads spin by default; on a busy or small machine that burns the cores other work needs.
    spin: bool = False


# Arena shrinkage: the buffers a run took from a session's arena go back to the allocator at its end.
SHRINK_AFTER_RUN = ort.RunOptions()
SHRINK_AFTER_RUN.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")


def per_page_run_options() -> ort.RunOptions | None:
    """Run options for a model run once per page (detector, layout, orientation, table): its arena is given
    back after each run where the process returns large freed blocks to the system (scriba.memory). Elsewhere
    the freed buffers would only fragment glibc's heap, and keeping the arena is the smaller peak."""
    from scriba.memory import large_blocks_returned

    return SHRINK_AFTER_RUN if large_blocks_returned() else None


_LEVELS = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}
_sessions: dict[tuple[str, RuntimeOptions], ort.InferenceSession] = {}
_creating: dict[tuple[str, RuntimeOptions], threading.Lock] = {}
_lock = threading.Lock()


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def get_session(path: str, options: RuntimeOptions | None = None) -> ort.InferenceSession:
    options = options or RuntimeOptions()
    key = (os.path.abspath(path), options)
    with _lock:
        sess = _sessions.get(key)
        if sess is not None:
            return sess
        key_lock = _creating.setdefault(key, threading.Lock())
    # One lock per session: two threads asking for the same one wait for a single creation, while different
    # sessions are created at once (ONNX Runtime releases the GIL while it builds one).
    with key_lock:
        sess = _sessions.get(key)
        if sess is None:
            so = ort.SessionOptions()
            so.graph_optimization_level = _LEVELS[options.graph_optimization]
            so.intra_op_num_threads = options.threads or available_cores()
            so.inter_op_num_threads = 1
            so.log_severity_level = 3
            so.enable_cpu_mem_arena = options.mem_arena
            so.enable_mem_pattern = options.mem_pattern
            so.add_session_config_entry("session.intra_op.allow_spinning", "1" if options.spin else "0")
            available = set(ort.get_available_providers())
            providers = [p for p in options.providers if p in available] or ["CPUExecutionProvider"]
            try:
                rewrites = tuple(k for k, on in (("fold", options.fold_affine), ("ctc", options.ctc_argmax),
                                                 ("head", options.ctc_head_only)) if on)
                source = _decoded(path)
                model: str | bytes = (
                    _rewritten(source, rewrites, options.ctc_classes)
                    if rewrites or options.ctc_classes
                    else source
                )
                sess = _optimized_session(model, so, providers, options)
            except Exception as exc:  # noqa: BLE001 - ORT raises several unrelated exception types for bad files
                raise ModelError(f"cannot load ONNX model {path}: {exc}") from None
            with _lock:
                _sessions[key] = sess
        return sess


def _decoded(path: str) -> str:
    """A compressed model file (.sqm, scriba.models.compress) as the float ONNX file it decodes to (cached)."""
    if not path.endswith(".sqm"):
        return path
    from scriba.models.compress.model import decoded_path

    return decoded_path(path)


def _optimized_session(
    model: str | bytes, so: ort.SessionOptions, providers: list[str], options: RuntimeOptions
) -> ort.InferenceSession:
    """A session whose graph ONNX Runtime optimized once: the optimized graph is kept under
    $SCRIBA_HOME/cache/ort, keyed by the model file, this ONNX Runtime and this CPU (the blocked conv layout
    depends on its vector width), and later processes load it with the optimizers off. Graph optimization was
    ~60 ms of the recognizer's ~75 ms session build, at every start. The same kernels run on the same graph."""
    if not isinstance(model, str) or options.graph_optimization == "disable" or providers != ["CPUExecutionProvider"]:
        return ort.InferenceSession(model, sess_options=so, providers=providers)
    cached = _cache_file("ort", model, options.graph_optimization, _machine())
    if cached.is_file():
        level = so.graph_optimization_level
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return ort.InferenceSession(str(cached), sess_options=so, providers=providers)
        except Exception:  # noqa: BLE001 - a damaged cache file: optimize the model again below
            so.graph_optimization_level = level
            cached.unlink(missing_ok=True)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return ort.InferenceSession(model, sess_options=so, providers=providers)
    tmp = cached.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    so.optimized_model_filepath = str(tmp)
    try:
        sess = ort.InferenceSession(model, sess_options=so, providers=providers)
    except Exception:  # noqa: BLE001 - maybe only the cache file could not be written: try without it
        tmp.unlink(missing_ok=True)
        so.optimized_model_filepath = ""
        return ort.InferenceSession(model, sess_options=so, providers=providers)
    try:
        os.replace(tmp, cached)  # atomic: a concurrent process sees no file or the whole one
    except OSError:
        tmp.unlink(missing_ok=True)
    return sess


@functools.cache
def _machine() -> str:
    """ONNX Runtime's version and the CPU's model and instruction-set flags: what an optimized graph depends on."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            info = [line for line in fh.read(65536).splitlines() if line.startswith(("model name", "flags"))]
        cpu = "|".join(info[:2])
    except OSError:
        cpu = ""
    # platform.processor() may run a subprocess: only where /proc/cpuinfo says nothing.
    return f"{ort.__version__}|{platform.machine()}|{cpu or platform.processor()}"


def _cache_file(kind: str, model: str, *parts: str) -> Path:
    """Where $SCRIBA_HOME/cache/<kind> keeps a graph made from the model file: named after it, keyed by its
    path, size and modification time and by `parts` (what else the graph depends on)."""
    from scriba.models.registry import scriba_home

    st = os.stat(model)
    stamp = "|".join([os.path.abspath(model), str(st.st_size), str(st.st_mtime_ns), *parts])
    key = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    return scriba_home() / "cache" / kind / f"{os.path.splitext(os.path.basename(model))[0]}-{key}.onnx"


def _rewritten(path: str, rewrites: tuple[str, ...], classes: tuple[int, ...] | None = None) -> str | bytes:
    """The model rewritten ("fold": affine chains folded into convs; "ctc": argmax head; "head": the CTC head
    alone; `classes`: the head cut to those classes, the features before it a third output): a file cached under
    $SCRIBA_HOME/cache/folded (made on first use, so later processes load it directly and never import onnx),
    the bytes when that cannot be written, or the path itself when nothing changed."""
    subset = hashlib.sha256(repr(classes).encode()).hexdigest()[:12] if classes else ""
    cached = _cache_file("folded", path, "+".join(rewrites), f"{subset}-v3")
    cache = cached.parent
    unchanged = cached.with_suffix(".unchanged")  # nothing to rewrite: remembered, so onnx is never imported again
    if cached.is_file():
        return str(cached)
    if unchanged.is_file():
        return path
    import onnx

    from scriba.models import optimize

    model = onnx.load(path)
    removed = 0
    head_only = "head" in rewrites
    if head_only:
        model = optimize.ctc_head_model(model)
    else:
        if "fold" in rewrites:
            model, removed = optimize.fold_affine_chains(model)
        if classes:
            model = optimize.restrict_ctc_classes(optimize.expose_ctc_features(model), list(classes))
    if "ctc" in rewrites:
        model = optimize.add_ctc_argmax(model)
    elif not (removed or classes or head_only):
        try:
            cache.mkdir(parents=True, exist_ok=True)
            unchanged.touch()
        except OSError:
            pass
        return path
    data = model.SerializeToString()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, cached)  # atomic: a concurrent process sees the old state or the whole file
    except OSError:
        return data
    return str(cached)


def model_metadata(path: str) -> dict[str, str]:
    return dict(get_session(path).get_modelmeta().custom_metadata_map)
