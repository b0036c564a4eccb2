"""Hostile uploads against a real server: absurd sizes refused from headers, unreadable PDF pages kept as error
pages, timed-out work stopped (its slot freed for the next request), SIGTERM while work runs."""

from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import render_lines
from tests.io.bad_files import absurd_mediabox, pdf_with_broken_page, raw_png
from tests.serve.conftest import PAGE_LINES, Server, pdf_bytes, png_bytes

httpx = pytest.importorskip("httpx")


def running(srv: Server) -> float:
    text = httpx.get(srv.url + "/metrics", timeout=10).text
    return float(re.search(r"^scriba_inference_running(?:\{[^}]*\})? (\S+)$", text, re.MULTILINE).group(1))


def wait_until(condition, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    """Hang guard for states the server reaches on its own; not a timing assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the server never got there"
        time.sleep(0.2)


def test_absurd_sizes_are_refused_from_headers(server: Server) -> None:
    thin = raw_png(100_000, 1, 8)
    with server.client() as c:
        for endpoint in ("/v1/parse", "/v1/ocr", "/v1/jobs"):
            r = c.post(endpoint, files={"file": ("thin.png", thin)})
            assert r.status_code == 413, (endpoint, r.text)
            assert "100000x1" in r.json()["error"] and "per side" in r.json()["error"]
        assert c.get("/healthz").status_code == 200


def test_unreadable_and_absurd_pdf_pages_are_error_pages(server: Server, tmp_path: Path) -> None:
    broken = pdf_with_broken_page(tmp_path / "broken.pdf", ["Page one here", "Page two here", "Page three here"], 1)
    giant = absurd_mediabox(tmp_path).read_bytes()
    with server.client() as c:
        r = c.post("/v1/ocr", files={"file": ("broken.pdf", broken.read_bytes())})
        assert r.status_code == 200, r.text
        pages = r.json()["pages"]
        assert [p["index"] for p in pages] == [0, 1, 2]
        assert pages[1]["error"].startswith("unreadable") and pages[2]["text"] == "Page three here"
        r = c.post("/v1/ocr", files={"file": ("giant.pdf", giant)})
        assert r.status_code == 200, r.text
        assert "beyond PDF's limit" in r.json()["pages"][1]["error"]
        assert r.json()["pages"][0]["text"] == "Normal first page"
        r = c.post("/v1/parse", files={"file": ("broken.pdf", broken.read_bytes())})
        assert r.status_code == 200, r.text
        assert [bool(p.get("error")) for p in r.json()["document"]["pages"]] == [False, True, False]
        job = c.post("/v1/jobs", files={"file": ("broken.pdf", broken.read_bytes())}).json()
        wait_until(lambda: c.get(job["url"]).json()["status"] not in ("queued", "running"))
        done = c.get(job["url"]).json()
        assert done["status"] == "done", done
        assert [bool(p.get("error")) for p in done["result"]["pages"]] == [False, True, False]


def test_timed_out_parse_is_stopped_and_sigterm_exits(tmp_path: Path, page_png: bytes) -> None:
    # 60 scanned pages: each is OCRed and laid out, far longer than the 5 s limit on any CPU.
    long_pdf = pdf_bytes([render_lines(["A scanned page that takes a while"] * 8, size=30, width=1000)] * 60)
    srv = Server(["--timeout", "5", "--max-pages", "100", "--max-upload-mb", "20", "--concurrency", "1"],
                 tmp_path / "tmp")
    try:
        with srv.client() as c:
            r = c.post("/v1/parse", files={"file": ("long.pdf", long_pdf)})
            assert r.status_code == 504, r.text
            # The slot was given up at the timeout: the next request does not wait for the 60 pages.
            r = c.post("/v1/ocr", params={"format": "text"}, files={"file": ("page.png", page_png)})
            assert r.status_code == 200 and [x for x in r.text.splitlines() if x] == PAGE_LINES
            assert c.get("/healthz").status_code == 200
            # ... and the parse itself stops at its next page instead of running on.
            wait_until(lambda: running(srv) == 0)
        # SIGTERM while a parse runs: the server stops it and exits promptly, status 0.
        result: dict[str, object] = {}

        def post() -> None:
            try:
                result["status"] = httpx.post(srv.url + "/v1/parse", files={"file": ("long.pdf", long_pdf)},
                                              timeout=120).status_code
            except httpx.HTTPError as exc:
                result["status"] = type(exc).__name__

        client = threading.Thread(target=post)
        client.start()
        wait_until(lambda: running(srv) == 1)
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=60) == 0  # hang guard: unstopped, the parse would hold it for minutes
        client.join(60)
        # Its own 5 s timeout and the 5 s shutdown grace period race: either answer, never a bare 500.
        assert result["status"] in (503, 504)
    finally:
        srv.stop()


def test_sigterm_drains_a_short_request_and_stops_a_long_one(tmp_path: Path) -> None:
    long_pdf = pdf_bytes([render_lines(["A scanned page that takes a while"] * 8, size=30, width=1000)] * 60)
    short = png_bytes(render_lines(["Drained"], size=32, width=400))
    srv = Server(["--timeout", "120", "--max-pages", "100", "--max-upload-mb", "20", "--concurrency", "2"],
                 tmp_path / "tmp")
    result: dict[str, object] = {}

    def post(key: str, endpoint: str, name: str, data: bytes) -> None:
        try:
            r = httpx.post(srv.url + endpoint, params={"format": "text"}, files={"file": (name, data)}, timeout=120)
            result[key] = (r.status_code, r.text)
        except httpx.HTTPError as exc:
            result[key] = (type(exc).__name__, "")

    try:
        long = threading.Thread(target=post, args=("long", "/v1/parse", "long.pdf", long_pdf))
        long.start()
        wait_until(lambda: running(srv) == 1)
        quick = threading.Thread(target=post, args=("short", "/v1/ocr", "short.png", short))
        quick.start()
        wait_until(lambda: running(srv) == 2 or "short" in result)
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=60) == 0  # hang guard
        quick.join(60)
        long.join(60)
        assert result["short"][0] == 200 and "Drained" in str(result["short"][1]), result["short"]
        assert result["long"][0] == 503 and "shutting down" in str(result["long"][1]), result["long"]
    finally:
        srv.stop()


def test_render_of_an_unreadable_page_is_422(server: Server, tmp_path: Path) -> None:
    broken = pdf_with_broken_page(tmp_path / "broken.pdf", ["Page one here", "Page two here"], 1).read_bytes()
    with server.client() as c:
        r = c.post("/v1/render", params={"page": 2}, files={"file": ("broken.pdf", broken)})
        assert r.status_code == 422 and "page 2: unreadable" in r.json()["error"], r.text
        assert c.post("/v1/render", params={"page": 1}, files={"file": ("broken.pdf", broken)}).status_code == 200
