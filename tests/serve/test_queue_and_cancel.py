"""The queue timeout and the work timeout, and cancellation between the stages of a page: on the gate alone, on
the real OCR and parse pipelines, and against a real server."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from scriba.errors import Cancelled
from scriba.serve.engine import InferenceGate
from tests.conftest import render_lines
from tests.serve.conftest import PAGE_LINES, Server, pdf_bytes, png_bytes

httpx = pytest.importorskip("httpx")

LONG_PAGE = render_lines(["A scanned page that takes a while"] * 8, size=30, width=1000)


def metric(srv: Server, name: str, **labels: str) -> float:
    text = httpx.get(srv.url + "/metrics", timeout=10).text
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        m = re.match(rf"^{name}(?:\{{([^}}]*)\}})? (\S+)$", line)
        if m and (m.group(1) or "") == want:
            return float(m.group(2))
    return 0.0


def wait_until(condition, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    """Hang guard for states the server reaches on its own; not a timing assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "never got there"
        time.sleep(0.1)


# -- the gate -------------------------------------------------------------------------------------------
def test_a_withdrawn_unit_never_runs_and_a_started_one_cannot_be_withdrawn() -> None:
    gate = InferenceGate(slots=1, queue=4)
    try:
        started, release = threading.Event(), threading.Event()
        first = gate.submit(lambda: (started.set(), release.wait(60)), on_start=lambda: None)
        assert started.wait(30)
        assert gate.started_at(first) is not None
        assert not gate.withdraw(first)  # it runs: too late to withdraw
        ran = threading.Event()
        hooked = threading.Event()
        queued = gate.submit(ran.set, on_start=hooked.set)
        assert gate.started_at(queued) is None
        assert gate.withdraw(queued)
        release.set()
        first.result(30)
        # The slot goes to the next unit, not to the withdrawn one.
        assert gate.submit(lambda: "next").result(30) == "next"
        assert not ran.is_set() and not hooked.is_set()
        assert queued.cancelled() or isinstance(queued.exception(30), Cancelled)
        assert gate.pending == 0 and gate.healthy()
    finally:
        gate.shutdown()


# -- stages of a page -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    from scriba.pipeline.ocr import OCR, OCROptions

    return OCR(options=OCROptions(threads=1))  # one recognition worker: batches run one after another


def test_cancel_after_detection_stops_before_recognition(engine) -> None:  # type: ignore[no-untyped-def]
    image = render_lines(PAGE_LINES, size=32, width=900)
    assert [x.text for x in engine.ocr_image(image).lines] == PAGE_LINES  # reads when not cancelled
    cancel = threading.Event()
    batches: list[int] = []
    detect, run_batch = engine.detector.probability_map, engine.recognizer._run_batch

    def detect_then_cancel(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = detect(*args, **kwargs)
        cancel.set()
        return out

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        batches.append(1)
        return run_batch(*args, **kwargs)

    engine.detector.probability_map, engine.recognizer._run_batch = detect_then_cancel, counting
    try:
        with pytest.raises(Cancelled):
            engine.ocr_image(image, cancel=cancel)
    finally:
        del engine.detector.probability_map, engine.recognizer._run_batch
    assert batches == []


def test_cancel_between_recognition_batches(engine) -> None:  # type: ignore[no-untyped-def]
    lines = [f"Line {k}: a sentence long enough to fill a recognition row on its own" for k in range(24)]
    image = render_lines(lines, size=28, width=1400)
    page = engine.ocr_image(image)
    assert len(page.lines) >= 20
    crops = engine._prepare_page(image).cropped.crops
    planned = len(engine.recognizer.plan(crops))
    assert planned >= 3  # several batches, or the test proves nothing
    cancel = threading.Event()
    batches: list[int] = []
    run_batch = engine.recognizer._run_batch

    def one_then_cancel(*args, **kwargs):  # type: ignore[no-untyped-def]
        batches.append(1)
        out = run_batch(*args, **kwargs)
        cancel.set()
        return out

    engine.recognizer._run_batch = one_then_cancel
    try:
        with pytest.raises(Cancelled):
            engine.ocr_image(image, cancel=cancel)
    finally:
        del engine.recognizer._run_batch
    assert batches == [1]  # the other batches never ran


def test_parse_stops_between_stages_and_the_shared_parser_is_untouched() -> None:
    from scriba.pipeline.parse_options import ParseOptions
    from scriba.serve.app import _parse_work, _parser_factory

    make_parser = _parser_factory()
    assert make_parser is not None
    options = ParseOptions(dpi=100, threads=1)
    parser = make_parser(options)
    data = pdf_bytes([LONG_PAGE] * 3)
    cancel = threading.Event()
    layouts: list[int] = []
    ocr_image, layout = parser.ocr.ocr_image_flat, parser.layout  # the parser reads a page through it

    def ocr_then_cancel(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = ocr_image(*args, **kwargs)
        cancel.set()
        return out

    def counting_layout(*args, **kwargs):  # type: ignore[no-untyped-def]
        layouts.append(1)
        return layout(*args, **kwargs)

    parser.ocr.ocr_image_flat, parser._layout = ocr_then_cancel, counting_layout
    try:
        with pytest.raises(Cancelled):
            _parse_work(make_parser, options, data, "long.pdf", None, None, cancel)
        assert layouts == []  # the first page's OCR was its last stage: no layout, no second page
        # Another request on the same shared parser is not cancelled by the first one's event.
        parser.ocr.ocr_image_flat = ocr_image
        doc = _parse_work(make_parser, options, data, "long.pdf", "1", None, threading.Event())
        assert len(doc.pages) == 1 and not doc.pages[0].error and layouts == [1]
        assert "scanned page" in doc.to_markdown()
    finally:
        parser._layout = layout
        if "ocr_image_flat" in vars(parser.ocr):
            del parser.ocr.ocr_image_flat


# -- a real server --------------------------------------------------------------------------------------
def start_long_parse(srv: Server, long_pdf: bytes, result: dict[str, object]) -> threading.Thread:
    def post() -> None:
        try:
            r = httpx.post(srv.url + "/v1/parse", files={"file": ("long.pdf", long_pdf)}, timeout=300)
            result["status"], result["body"] = r.status_code, r.text
        except httpx.HTTPError as exc:
            result["status"] = type(exc).__name__

    t = threading.Thread(target=post)
    t.start()
    wait_until(lambda: metric(srv, "scriba_inference_running") == 1)
    return t


def test_request_queued_behind_a_timed_out_parse_is_served(tmp_path: Path, page_png: bytes) -> None:
    # 60 scanned pages take far longer than 5 s; the page queued behind them waits about 5 s, within its own
    # queue timeout (default 10 s), and then has its whole 5 s to run: the timeout counts from its start.
    long_pdf = pdf_bytes([LONG_PAGE] * 60)
    srv = Server(["--timeout", "5", "--max-pages", "100", "--max-upload-mb", "20", "--concurrency", "1"],
                 tmp_path / "tmp")
    try:
        result: dict[str, object] = {}
        parse = start_long_parse(srv, long_pdf, result)
        with srv.client() as c:
            assert c.get("/v1/limits").json()["queue_timeout_s"] == 10
            r = c.post("/v1/ocr", params={"format": "text"}, files={"file": ("page.png", page_png)})
            assert r.status_code == 200, r.text
            assert [x for x in r.text.splitlines() if x] == PAGE_LINES
            parse.join(120)
            assert result["status"] == 504 and "5 s limit" in str(result["body"])
            assert c.get("/healthz").status_code == 200
            wait_until(lambda: metric(srv, "scriba_inference_running") == 0)
    finally:
        assert srv.stop() == 0


def test_queue_timeout_answers_503_with_retry_after_and_the_request_never_runs(tmp_path: Path) -> None:
    long_pdf = pdf_bytes([LONG_PAGE] * 60)
    srv = Server(["--timeout", "120", "--queue-timeout", "1", "--max-pages", "100", "--max-upload-mb", "20",
                  "--concurrency", "1"], tmp_path / "tmp")
    try:
        result: dict[str, object] = {}
        parse = start_long_parse(srv, long_pdf, result)
        with srv.client() as c:
            small = png_bytes(render_lines(["Never read"], size=32, width=600))
            r = c.post("/v1/ocr", files={"file": ("page.png", small)})
            assert r.status_code == 503, r.text
            assert int(r.headers["retry-after"]) >= 1 and "waited 1 s" in r.json()["error"]
            assert metric(srv, "scriba_errors_total", endpoint="/v1/ocr", kind="queue_timeout") == 1
            assert metric(srv, "scriba_pages_total", endpoint="/v1/ocr") == 0
            assert c.get("/healthz").status_code == 200  # busy, not broken
    finally:
        code = srv.stop()  # SIGTERM stops the parse under way
        parse.join(60)
    assert code == 0 and result["status"] != 200


# -- memory per request ---------------------------------------------------------------------------------
def vm_kb(pid: int, field: str) -> int:
    """A field of /proc/PID/status in kB: VmRSS (now) or VmHWM (the peak since it was last reset)."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE).group(1))


# What one request may add to a worker's memory at most: the text detector's ONNX Runtime buffers at its largest
# input (the longest side is capped at 4000 px, whatever the page's size: about 2.5 GB measured on a 4000x3328
# input) plus the page's own buffers (3 bytes per pixel as RGB, a few copies).
DETECTOR_CAP_BYTES = 3.5e9
PAGE_BYTES_PER_PIXEL = 20


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="reads and resets the peak RSS in /proc")
def test_a_page_at_the_pixel_limit_is_read_within_bounded_memory(server: Server) -> None:
    """The per-page pixel limit bounds a request's memory (pages stream one at a time): a page just under it (the
    shared server allows 30 MP) is read, the server's peak RSS rises by less than DETECTOR_CAP_BYTES +
    PAGE_BYTES_PER_PIXEL per pixel over what it held before, and most of that is given back afterwards."""
    import numpy as np

    w, h = 6000, 4990  # 29.9 MP
    page = np.full((h, w, 3), 255, np.uint8)
    text = render_lines(PAGE_LINES, size=60, width=1800)
    page[400 : 400 + text.shape[0], 400 : 400 + text.shape[1]] = text
    data = png_bytes(page)
    pid = server.proc.pid
    with server.client(timeout=600) as c:
        for endpoint in ("/v1/ocr", "/v1/parse"):
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the RSS of now
            before = vm_kb(pid, "VmRSS")
            r = c.post(endpoint, files={"file": ("big.png", data)})
            assert r.status_code == 200, r.text
            doc = r.json() if endpoint == "/v1/ocr" else r.json()["document"]
            assert doc["pages"][0]["width"] == w
            assert "Invoice number 4711" in str(doc)
            rise = (vm_kb(pid, "VmHWM") - before) * 1024
            print(f"{endpoint}: before {before / 1024:.0f} MB, peak +{rise / 1e6:.0f} MB, "
                  f"after {vm_kb(pid, 'VmRSS') / 1024:.0f} MB")
            assert rise < DETECTOR_CAP_BYTES + PAGE_BYTES_PER_PIXEL * w * h, f"{endpoint}: peak RSS rose {rise / 1e6:.0f} MB"
            # ... and gives it back: the detector's buffers for a large input do not stay in ONNX Runtime's arena.
            kept = (vm_kb(pid, "VmRSS") - before) * 1024
            assert kept < 1e9, f"{endpoint}: {kept / 1e6:.0f} MB still resident after the request"
