"""The API against a real server: every endpoint, the limits, garbage uploads, jobs and metrics."""

from __future__ import annotations

import os
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from scriba.models.registry import DEFAULT_MODEL
from tests.conftest import chinese_page, latin_page, render_lines
from tests.serve.conftest import PAGE_LINES, Server, pdf_bytes, png_bytes


def ocr(client, data: bytes, name: str = "page.png", **params):  # type: ignore[no-untyped-def]
    return client.post("/v1/ocr", params=params, files={"file": (name, data)})


def test_healthz_docs_and_openapi(server: Server) -> None:
    with server.client() as c:
        health = c.get("/healthz").json()
        assert health["status"] == "ok" and DEFAULT_MODEL in health["models_loaded"]
        assert "swagger" in c.get("/docs").text.lower()
        paths = c.get("/openapi.json").json()["paths"]
        for p in ("/v1/ocr", "/v1/parse", "/v1/jobs", "/v1/jobs/{job_id}", "/healthz", "/metrics"):
            assert p in paths
        assert [m["name"] for m in c.get("/v1/models").json()["models"]][:1]
        assert c.get("/v1/limits").json()["max_pages"] == 5


def test_ocr_image_json_tree(server: Server, page_png: bytes) -> None:
    with server.client() as c:
        r = ocr(c, page_png, name="scan.png")
    assert r.status_code == 200, r.text
    doc = r.json()
    page = doc["pages"][0]
    assert page["source"] == "scan.png" and page["width"] == 900
    lines = [line["text"] for block in page["blocks"] for line in block["lines"]]
    assert lines == PAGE_LINES
    words = [w for block in page["blocks"] for line in block["lines"] for w in line["words"]]
    assert [w["text"] for w in words][:3] == ["Invoice", "number", "4711"]
    assert all(len(w["polygon"]) == 4 for w in words)


def test_ocr_formats(server: Server, page_png: bytes) -> None:
    with server.client() as c:
        text = ocr(c, page_png, format="text")
        md = ocr(c, page_png, format="md")
        hocr = ocr(c, page_png, format="hocr")
        bad = ocr(c, page_png, format="docx")
    assert text.headers["content-type"].startswith("text/plain") and "Total amount due: 982 euros" in text.text
    assert md.headers["content-type"].startswith("text/markdown") and "Thank you for your order" in md.text
    assert "ocrx_word" in hocr.text and "Invoice" in hocr.text
    assert bad.status_code == 422 and "format" in bad.json()["error"]


def test_ocr_pdf_pages_and_render(server: Server) -> None:
    pages = [render_lines([f"Chapter {n} begins here"], size=32, width=900) for n in (1, 2, 3)]
    data = pdf_bytes(pages)
    with server.client() as c:
        r = ocr(c, data, name="book.pdf", pages="2-3")
        assert r.status_code == 200, r.text
        doc = r.json()
        assert [p["index"] for p in doc["pages"]] == [1, 2]
        assert [p["text"] for p in doc["pages"]] == ["Chapter 2 begins here", "Chapter 3 begins here"]
        png = c.post("/v1/render", params={"page": 2}, files={"file": ("book.pdf", data)})
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        from io import BytesIO

        from PIL import Image

        assert Image.open(BytesIO(png.content)).size == (doc["pages"][0]["width"], doc["pages"][0]["height"])
        assert c.post("/v1/render", params={"page": 9}, files={"file": ("book.pdf", data)}).status_code == 422
        assert ocr(c, data, name="book.pdf", pages="7-9").status_code == 422


def test_export_converts_a_tree_without_inference(server: Server, page_png: bytes) -> None:
    with server.client() as c:
        tree = ocr(c, page_png).json()
        md = c.post("/v1/export", params={"format": "md"}, json=tree)
        assert md.status_code == 200 and "Total amount due: 982 euros" in md.text
        assert c.post("/v1/export", json={"pages": [{"nonsense": 1}]}).status_code == 422


def test_parse_endpoint(server: Server) -> None:
    try:
        from scriba.pipeline.parse import Parser  # noqa: F401

        has_parser = True
    except ImportError:
        has_parser = False
    page = png_bytes(render_lines(["Annual Summary", "Sales rose in every region this year."], size=34, width=1000))
    with server.client() as c:
        r = c.post("/v1/parse", files={"file": ("summary.png", page)})
    if not has_parser:
        assert r.status_code == 501 and "Parser" in r.json()["error"]
        return
    assert r.status_code == 200, r.text
    body = r.json()
    assert "Sales rose in every region this year." in body["markdown"]
    assert body["document"]["pages"][0]["source"] == "summary.png"
    # A born-digital PDF: its text layer is read.
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.setFont("Helvetica", 14)
    for k, line in enumerate(["The harbour reopened on Monday after repairs.", "Ferries run every hour again,",
                              "and the fish market is back on the quay."]):
        pdf.drawString(72, 500 - 20 * k, line)
    pdf.showPage()
    pdf.save()
    with server.client() as c:
        r = c.post("/v1/parse", files={"file": ("harbour.pdf", buf.getvalue())})
        assert r.status_code == 200, r.text
        assert "The harbour reopened on Monday after repairs." in r.json()["markdown"]
        assert c.post("/v1/parse", files={"file": ("junk.pdf", b"%PDF-1.4 junk")}).status_code == 422
        # The parser's options are query parameters, checked like the command line's flags.
        bad = c.post("/v1/parse", params={"table": "lattice"}, files={"file": ("harbour.pdf", buf.getvalue())})
        assert bad.status_code == 422 and "table" in bad.text
        plain = c.post("/v1/parse", params={"ocr": "always", "layout": "false"},
                       files={"file": ("harbour.pdf", buf.getvalue())})
        assert plain.status_code == 200, plain.text
        page = plain.json()["document"]["pages"][0]
        assert page["metadata"]["method"] == "ocr" and page["metadata"]["layout"] == []
        assert "The harbour reopened on Monday after repairs." in plain.json()["markdown"]


def test_upload_size_limit(server: Server) -> None:
    with server.client() as c:
        r = ocr(c, os.urandom(3 * 1024 * 1024), name="big.png")
        assert r.status_code == 413 and "2 MB" in r.json()["error"]
        # Just under the body limit but over the file limit: refused after reading, still 413.
        r = ocr(c, b"\x89PNG" + os.urandom(2 * 1024 * 1024 + 100), name="big2.png")
        assert r.status_code == 413

        def chunks():  # no Content-Length: the server counts the streamed bytes
            yield b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.png\"\r\n\r\n"
            for _ in range(48):
                yield os.urandom(64 * 1024)
            yield b"\r\n--xyz--\r\n"

        r = c.post("/v1/ocr", content=chunks(), headers={"content-type": "multipart/form-data; boundary=xyz"})
        assert r.status_code == 413 and "2 MB" in r.json()["error"]
        assert c.get("/healthz").status_code == 200


def test_pixel_and_page_limits(server: Server) -> None:
    from PIL import Image

    huge = Image.new("L", (6000, 6000), 255)  # 36 MP, compresses to a few kB
    import io

    buf = io.BytesIO()
    huge.save(buf, format="PNG")
    seven = pdf_bytes([render_lines([f"Page {n}"], size=20, width=400) for n in range(7)])
    with server.client() as c:
        r = ocr(c, buf.getvalue(), name="huge.png")
        assert r.status_code == 413 and "36.0 MP" in r.json()["error"] and "30.0 MP" in r.json()["error"]
        r = ocr(c, seven, name="seven.pdf")
        assert r.status_code == 413 and "7 pages" in r.json()["error"] and "/v1/jobs" in r.json()["error"]
        assert ocr(c, seven, name="seven.pdf", pages="1-2").status_code == 200
        from reportlab.pdfgen import canvas

        poster = io.BytesIO()
        sheet = canvas.Canvas(poster, pagesize=(14400, 14400))  # 200 x 200 inches: 1600 MP at 200 dpi
        sheet.drawString(72, 72, "tiny text on a huge page")
        sheet.showPage()
        sheet.save()
        r = ocr(c, poster.getvalue(), name="poster.pdf")
        assert r.status_code == 413 and "PDF page 1" in r.json()["error"] and "lower ?dpi" in r.json()["error"]
        r = ocr(c, seven, name="seven.pdf", dpi=5000)
        assert r.status_code == 422 and "dpi" in r.json()["error"]


GARBAGE = {
    "random.png": os.urandom(5000),
    "text.jpg": b"hello, this is not an image at all\n" * 20,
    "empty.png": b"",
    "truncated.pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
    "html.pdf": b"<html><script>alert(1)</script></html>",
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_uploads_get_4xx_and_server_stays_up(server: Server, page_png: bytes, name: str) -> None:
    with server.client() as c:
        r = ocr(c, GARBAGE[name], name=name)
        assert 400 <= r.status_code < 500, (r.status_code, r.text)
        assert r.json()["error"]
        assert ocr(c, page_png[: len(page_png) // 2], name="cut.png").status_code == 422
        assert ocr(c, page_png).status_code == 200


def test_malformed_requests(server: Server) -> None:
    with server.client() as c:
        assert c.post("/v1/ocr").status_code == 422  # no file field
        r = c.post("/v1/ocr", content=b"\x00\x01garbage", headers={"content-type": "multipart/form-data; boundary=xyz"})
        assert r.status_code == 400 and r.json()["error"]
        assert c.post("/v1/ocr", json={"file": "page.png"}).status_code == 422
        assert c.post("/v1/ocr", params={"model": "nope"}, files={"file": ("a.png", b"x")}).status_code == 404
        assert c.get("/v1/nothing").status_code == 404
        assert c.get("/healthz").status_code == 200


def test_no_url_fetching(server: Server) -> None:
    """URLs in fields, query or file content are never fetched: a listener on loopback sees no connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.2)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/page.png"
    with server.client() as c:
        codes = [
            c.post("/v1/ocr", data={"url": url}).status_code,
            c.post("/v1/ocr", params={"url": url}, data={"file": url}).status_code,
            ocr(c, url.encode(), name="link.png").status_code,
            c.post("/v1/jobs", data={"url": url}).status_code,
        ]
    assert all(code == 422 for code in codes), codes
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()


def test_jobs_progress_result_and_cancel(server: Server) -> None:
    pages = [render_lines([f"Section {n} of the long report"], size=28, width=800) for n in range(1, 8)]
    data = pdf_bytes(pages)
    with server.client() as c:
        r = c.post("/v1/jobs", files={"file": ("long.pdf", data)})  # 7 pages: over the sync limit of 5
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        assert r.headers["location"].endswith(job_id)
        seen_progress = set()
        deadline = time.monotonic() + 180
        while True:
            status = c.get(f"/v1/jobs/{job_id}").json()
            seen_progress.add(status["progress"]["pages_done"])
            assert status["progress"]["pages_total"] == 7
            if status["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status["status"] == "done", status
        assert [p["text"] for p in status["result"]["pages"]] == [f"Section {n} of the long report" for n in range(1, 8)]
        assert len(seen_progress) >= 2  # progress was visible before the end
        text = c.get(f"/v1/jobs/{job_id}", params={"format": "text"})
        assert "Section 7 of the long report" in text.text
        assert c.delete(f"/v1/jobs/{job_id}").json()["status"] == "deleted"
        assert c.get(f"/v1/jobs/{job_id}").status_code == 404

        # Cancel a running job: it stops between pages.
        job2 = c.post("/v1/jobs", files={"file": ("long.pdf", data)}).json()["id"]
        assert c.delete(f"/v1/jobs/{job2}").json()["status"] == "cancelling"
        deadline = time.monotonic() + 60
        while c.get(f"/v1/jobs/{job2}").json()["status"] not in ("cancelled", "done"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        final = c.get(f"/v1/jobs/{job2}").json()
        assert final["status"] == "cancelled" and final["progress"]["pages_done"] < 7

        assert c.get("/v1/jobs/" + "0" * 32).status_code == 404
        assert c.get("/v1/jobs/../../etc/passwd").status_code == 404
        too_many = pdf_bytes([render_lines(["x"], size=20, width=200)] * 21)
        r = c.post("/v1/jobs", files={"file": ("many.pdf", too_many)})
        assert r.status_code == 413 and "20" in r.json()["error"]
        assert c.post("/v1/jobs", files={"file": ("bad.pdf", b"%PDF-garbage")}).status_code == 422


def test_sixteen_concurrent_uploads_all_succeed(server: Server, page_png: bytes) -> None:
    def one(_: int) -> tuple[int, str]:
        with server.client() as c:
            r = ocr(c, page_png, format="text")
            return r.status_code, r.text

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(16)))
    assert [code for code, _ in results] == [200] * 16
    assert all("Total amount due: 982 euros" in text for _, text in results)
    assert server.alive()


def test_metrics_count_requests_pages_and_errors(server: Server, page_png: bytes) -> None:
    with server.client() as c:
        assert ocr(c, page_png).status_code == 200
        assert ocr(c, b"junk", name="junk.png").status_code == 422
        text = c.get("/metrics").text
    def value(pattern: str) -> float:
        m = re.search(pattern + r" (\S+)$", text, re.MULTILINE)
        assert m, pattern
        return float(m.group(1))

    assert value(r'scriba_requests_total\{endpoint="/v1/ocr",method="POST",status="200"\}') >= 1
    assert value(r'scriba_requests_total\{endpoint="/v1/ocr",method="POST",status="422"\}') >= 1
    assert value(r'scriba_request_duration_seconds_bucket\{endpoint="/v1/ocr",le="\+Inf"\}') >= 2
    assert value(r'scriba_request_duration_seconds_count\{endpoint="/v1/ocr"\}') >= 2
    assert value(r'scriba_pages_total\{endpoint="/v1/ocr"\}') >= 1
    assert "# TYPE scriba_request_duration_seconds histogram" in text
    assert "scriba_inference_waiting" in text


def test_temp_dir_holds_only_the_server_folder(server: Server) -> None:
    """Nothing is written outside the server's private folder, and uploads leave no files behind in it."""
    # ONNX Runtime drops a 51-byte marker `.ses` into $TMPDIR when it is imported, before the server runs.
    entries = [p for p in server.tmp_dir.iterdir() if p.name != ".ses"]
    assert len(entries) == 1 and entries[0].name.startswith("scriba-serve-"), entries
    files = [p.relative_to(entries[0]) for p in entries[0].rglob("*") if p.is_file()]
    # Only finished jobs' status and results remain (their uploads are deleted), and ONNX Runtime's session
    # marker file `.ses`.
    assert all(f.parts[0] == "jobs" and f.name in ("spec.json", "status.json", "result.json", "cancel") or str(f) == ".ses"
               for f in files), files


def test_busy_timeout_api_key_and_cleanup(tmp_path, page_png: bytes) -> None:  # type: ignore[no-untyped-def]
    """A strict server: one inference thread, no queue, a tiny timeout, an API key."""
    srv = Server(["--api-key", "sekret", "--concurrency", "1", "--queue", "0", "--timeout", "0.2"],
                 tmp_path / "tmp")
    try:
        key = {"Authorization": "Bearer sekret"}
        with srv.client() as c:
            assert c.get("/healthz").status_code == 200  # open: liveness probes carry no key
            r = ocr(c, page_png)
            assert r.status_code == 401 and "API key" in r.json()["error"]
            assert c.post("/v1/ocr", files={"file": ("a.png", page_png)},
                          headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert c.get("/v1/jobs/" + "0" * 32).status_code == 401
        with srv.client(headers=key) as c:
            # Longer than 0.2 s on any CPU (10 pages of 6 lines): 504, and the server stops between pages.
            long_pdf = pdf_bytes([render_lines(["A page that takes a while"] * 6, size=30, width=900)] * 10)
            r = ocr(c, long_pdf, name="long.pdf")
            assert r.status_code == 504 and "0.2 s" in r.json()["error"]
            # With the only thread busy on a job's pages and no queue, requests get 503 + Retry-After.
            job = c.post("/v1/jobs", files={"file": ("long.pdf", long_pdf)})
            assert job.status_code == 202
            codes: list[int] = []
            retry_after = None
            for _ in range(200):
                r = c.get("/healthz")
                r = c.post("/v1/ocr", files={"file": ("a.png", page_png)})
                codes.append(r.status_code)
                if r.status_code == 503:
                    retry_after = r.headers.get("retry-after")
                    break
            assert 503 in codes and retry_after and int(retry_after) >= 1
            assert set(codes) <= {200, 503, 504}
            assert c.get("/healthz").status_code == 200
        with srv.client(headers={"X-API-Key": "sekret"}) as c:
            assert c.get("/v1/models").status_code == 200
        private = next(p for p in srv.tmp_dir.iterdir() if p.name != ".ses")
        assert private.name.startswith("scriba-serve-")
    finally:
        code = srv.stop()
    assert code == 0
    assert [p.name for p in srv.tmp_dir.iterdir() if p.name != ".ses"] == []  # the private folder is removed on shutdown


def test_two_workers_share_jobs(tmp_path, page_png: bytes) -> None:  # type: ignore[no-untyped-def]
    """With two worker processes, whichever worker answers knows every job (they live in the shared folder)."""
    srv = Server(["--workers", "2"], tmp_path / "tmp")
    try:
        data = pdf_bytes([render_lines([f"Folio {n} of the register"], size=28, width=700) for n in (1, 2)])
        with srv.client() as c:
            ids = [c.post("/v1/jobs", files={"file": ("reg.pdf", data)}).json()["id"] for _ in range(3)]
            pids = set()
            deadline = time.monotonic() + 180
            while True:
                statuses = []
                for job_id in ids:
                    # A fresh connection per poll, so the kernel may hand it to either worker.
                    with srv.client() as fresh:
                        r = fresh.get(f"/v1/jobs/{job_id}")
                        pids.add(fresh.get("/healthz").json()["pid"])
                    assert r.status_code == 200, r.text
                    statuses.append(r.json()["status"])
                if all(s == "done" for s in statuses) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert statuses == ["done"] * 3
            result = c.get(f"/v1/jobs/{ids[0]}").json()["result"]
            assert [p["text"] for p in result["pages"]] == ["Folio 1 of the register", "Folio 2 of the register"]
            assert ocr(c, page_png, format="text").status_code == 200
        # Both workers answered in practice (the kernel spreads fresh connections); a job known to one
        # worker only would have shown up above as a 404.
        print("worker pids that answered:", sorted(pids))
    finally:
        assert srv.stop() == 0


def test_chinese_page_after_english_pages_reads_as_alone(server: Server) -> None:
    """The server shares one engine across requests: an English request must not change the next Chinese one."""
    zh, en = png_bytes(chinese_page()), png_bytes(latin_page())
    with server.client() as c:
        first = ocr(c, zh, name="zh.png", format="text")
        parsed = c.post("/v1/parse", files={"file": ("zh.png", zh)})
        for _ in range(2):
            assert ocr(c, en, name="en.png", format="text").status_code == 200
            assert c.post("/v1/parse", files={"file": ("en.png", en)}).status_code == 200
        again = ocr(c, zh, name="zh.png", format="text")
        parsed_again = c.post("/v1/parse", files={"file": ("zh.png", zh)})
    assert first.status_code == 200 and "2023年08月25日" in first.text
    assert again.text == first.text
    assert parsed.status_code == 200 and "2023年08月25日" in parsed.json()["markdown"]
    assert parsed_again.json()["markdown"] == parsed.json()["markdown"]
