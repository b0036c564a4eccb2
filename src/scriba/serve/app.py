"""The HTTP API (FastAPI): OCR, parse, async jobs, metrics and the web page.

`create_app(config)` builds one app; `scriba serve` runs it with uvicorn. With several worker processes each
builds its own app from the config in the SCRIBA_SERVE_CONFIG environment variable and loads its own models.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import scriba
from scriba.document import Document
from scriba.errors import InputError, ModelError, ScribaError, check_cancel
from scriba.models.registry import DEFAULT_MODEL
from scriba.serve.engine import (
    Busy,
    Cancelled,
    Engines,
    InferenceGate,
    default_threads,
    ocr_upload,
)
from scriba.serve.jobs import JobRunner, JobSpec, JobStore
from scriba.serve.limits import LimitError, ServeLimits, inspect_upload
from scriba.serve.metrics import Metrics

STATIC_DIR = Path(__file__).parent / "static"
CONFIG_ENV = "SCRIBA_SERVE_CONFIG"
Format = Literal["json", "text", "md", "hocr"]
MEDIA = {"json": "application/json", "text": "text/plain; charset=utf-8",
         "md": "text/markdown; charset=utf-8", "hocr": "text/html; charset=utf-8"}
# Multipart framing around the file is small; anything this far beyond the file limit is refused unread.
MULTIPART_SLACK = 64 * 1024


@dataclass
class ServeConfig:
    limits: ServeLimits = field(default_factory=ServeLimits)
    api_key: str | None = None
    model: str = DEFAULT_MODEL  # loaded at startup; others on first use
    tmp_dir: str | None = None  # private temporary folder; created (and removed) by the app when None
    preload: bool = True
    # `scriba serve`: exit the worker process when work is still running SHUTDOWN_GRACE_S after shutdown (the
    # interpreter would wait for it). Off for apps embedded in a process that is not ours to end.
    exit_when_stuck: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        d = json.loads(text)
        return cls(**{**d, "limits": ServeLimits(**d.get("limits", {}))})


def safe_filename(name: str | None) -> str:
    """The uploaded file's base name, for labels in results only (it never becomes a path)."""
    base = re.sub(r"[\x00-\x1f\x7f]", "", os.path.basename((name or "").replace("\\", "/")))
    return base[:200] or "upload"


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


class BodyLimitAndMetrics:
    """Pure ASGI middleware: refuses bodies over the upload limit (by Content-Length at once, and by counting
    streamed bytes for chunked uploads) and records every request's status and latency."""

    def __init__(self, app: Any, max_body: int, metrics: Metrics) -> None:
        self.app = app
        self.max_body = max_body
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = {"code": 500, "started": False, "exceeded": False}

        async def send_wrapper(message: dict[str, Any]) -> None:
            if status["exceeded"]:
                return  # the app's own answer to a cut-off body (400 or so) is replaced by the 413 below
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
            await send(message)

        too_large = f"the upload exceeds the {self.max_body // (1024 * 1024)} MB limit"
        length = dict(scope.get("headers") or []).get(b"content-length")
        try:
            if length is not None and length.isdigit() and int(length) > self.max_body + MULTIPART_SLACK:
                await error(413, too_large)(scope, receive, send_wrapper)
                return
            received = 0

            async def limited_receive() -> dict[str, Any]:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > self.max_body + MULTIPART_SLACK and not status["started"]:
                    status["exceeded"] = True
                    raise _BodyTooLarge()
                return message

            try:
                await self.app(scope, limited_receive, send_wrapper)
            except _BodyTooLarge:
                pass
            if status["exceeded"]:
                status["exceeded"] = False
                await error(413, too_large)(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or "other"
            self.metrics.observe_request(endpoint, scope.get("method", ""), int(status["code"]),
                                         time.perf_counter() - t0)


class _BodyTooLarge(Exception):
    pass


def create_app(config: ServeConfig | None = None) -> FastAPI:
    if config is None:
        raw = os.environ.get(CONFIG_ENV)
        config = ServeConfig.from_json(raw) if raw else ServeConfig()
    limits = config.limits
    own_tmp = config.tmp_dir is None
    tmp_dir = Path(config.tmp_dir or tempfile.mkdtemp(prefix="scriba-serve-"))
    tmp_dir.mkdir(parents=True, exist_ok=True)
    # Uploads that spill out of memory (Starlette's spooled files) go to our private folder, nowhere else.
    tempfile.tempdir = str(tmp_dir)

    metrics = Metrics()
    gate = InferenceGate(limits.concurrency, limits.queue)
    engines = Engines(threads=default_threads(limits.concurrency), dpi=limits.dpi)
    store = JobStore(tmp_dir / "jobs", ttl_s=limits.job_ttl_s)
    runner_box: dict[str, JobRunner] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runner_box["runner"] = JobRunner(store, gate, engines, metrics, limits.concurrency, limits.max_jobs)
        if config.preload:
            await asyncio.wrap_future(gate.submit(engines.get, config.model, admit=False))

        async def expire_jobs() -> None:
            while True:
                await asyncio.sleep(min(60.0, max(1.0, limits.job_ttl_s / 4)))
                await asyncio.to_thread(store.expire)

        expiry = asyncio.get_running_loop().create_task(expire_jobs())
        try:
            yield
        finally:
            expiry.cancel()
            gate.shutdown()  # work under way is asked to stop at its next check
            if config.exit_when_stuck:
                _exit_soon_if_stuck(gate, SHUTDOWN_GRACE_S)
            if own_tmp:
                shutil.rmtree(tmp_dir, ignore_errors=True)

    app = FastAPI(
        title="Scriba",
        version=scriba.__version__,
        description="Offline OCR and document parsing on the CPU. Upload an image or a PDF as the multipart "
        "field `file`. Send `Authorization: Bearer KEY` (or `X-API-Key`) when the server has an API key.",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.metrics = metrics
    app.state.gate = gate
    app.state.store = store
    app.add_middleware(BodyLimitAndMetrics, max_body=limits.max_upload_bytes, metrics=metrics)
    metrics.gauge("scriba_inference_running", "Inference work units running now.", lambda: gate.running)
    metrics.gauge("scriba_inference_waiting", "Requests waiting for an inference thread.", gate.waiting)
    metrics.gauge("scriba_jobs_active", "Jobs queued or running in this worker.",
                  lambda: runner_box["runner"].active if "runner" in runner_box else 0)

    def require_key(request: Request) -> None:
        if not config.api_key:
            return
        auth = request.headers.get("authorization", "")
        given = auth[7:] if auth.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
        if not hmac.compare_digest(given.encode(), config.api_key.encode()):
            raise HTTPException(401, "missing or wrong API key (send Authorization: Bearer KEY or X-API-Key)",
                                headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where}: {e.get('msg')}" if where else str(e.get("msg")))
        return JSONResponse({"error": "invalid request: " + "; ".join(parts), "status": 422,
                             "detail": jsonable_encoder(exc.errors())}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        metrics.count_error(request.url.path, "internal")
        return error(500, f"internal error: {type(exc).__name__}: {exc}")

    def check_model(model: str) -> None:
        known = {m.name for m in scriba.list_models()}
        if model not in known:
            raise HTTPException(404, f"unknown model {model!r}; known models: {', '.join(sorted(known))}")

    def check_dpi(dpi: float | None) -> float:
        dpi = limits.dpi if dpi is None else dpi
        if not 36 <= dpi <= limits.max_dpi:
            raise HTTPException(422, f"dpi must be between 36 and {limits.max_dpi:g}")
        return dpi

    async def read_upload(file: UploadFile) -> bytes:
        try:
            data = await file.read(limits.max_upload_bytes + 1)
        finally:
            await file.close()
        if len(data) > limits.max_upload_bytes:
            raise HTTPException(413, f"the upload exceeds the {limits.max_upload_bytes // (1024 * 1024)} MB limit")
        return data

    async def inspect(data: bytes, dpi: float, pages: str | None, max_pages: int, password: str | None) -> Any:
        # Off the event loop: PDF page counts wait for the PDFium lock, which a rendering thread may hold.
        try:
            return await asyncio.to_thread(inspect_upload, data, limits, dpi, pages, max_pages, password)
        except LimitError as exc:
            raise HTTPException(exc.status, exc.message) from None

    queue_timeout_s = limits.queue_wait_s()

    async def run_limited(endpoint: str, fn: Callable[..., Any], *args: Any, cancel: threading.Event) -> Any:
        """Run on an inference thread. The request waits for a slot at most `queue_timeout_s` (503 +
        Retry-After beyond: it never started), then its work has `request_timeout_s` from the moment it starts
        (504 beyond: it is asked to stop and its slot goes to the next request at once). 503 at once when the
        queue is full."""
        loop = asyncio.get_running_loop()
        started: asyncio.Future[None] = loop.create_future()

        def mark_started() -> None:
            if not started.done():
                started.set_result(None)

        try:
            future = gate.submit(fn, *args, cancel=cancel, on_start=lambda: loop.call_soon_threadsafe(mark_started))
        except Busy as exc:
            metrics.count_error(endpoint, "busy")
            raise HTTPException(503, f"server busy: all inference threads and the queue are taken; retry in "
                                f"{exc.retry_after} s", headers={"Retry-After": str(exc.retry_after)}) from None
        done = asyncio.wrap_future(future)
        try:
            try:
                await asyncio.wait({started, done}, timeout=queue_timeout_s, return_when=asyncio.FIRST_COMPLETED)
                if not started.done() and not done.done() and gate.withdraw(future):
                    done.cancel()
                    metrics.count_error(endpoint, "queue_timeout")
                    retry = gate.retry_after()
                    raise HTTPException(503, f"server busy: the request waited {queue_timeout_s:g} s for an inference "
                                        f"thread without getting one; retry in {retry} s",
                                        headers={"Retry-After": str(retry)})
                began = gate.started_at(future) or time.monotonic()
                budget = max(0.0, limits.request_timeout_s - (time.monotonic() - began))
                return await asyncio.wait_for(done, timeout=budget)
            except asyncio.CancelledError:
                # uvicorn cancels requests still running when its graceful shutdown period (5 s after SIGTERM)
                # is over: stop the work, or drop it if it is still queued, and say so (503, not a bare 500).
                done.cancel()
                if not gate.withdraw(future):
                    gate.abandon(future)
                metrics.count_error(endpoint, "shutdown")
                raise HTTPException(503, "the server is shutting down; retry",
                                    headers={"Retry-After": "5"}) from None
        except TimeoutError:
            gate.abandon(future)  # stops it at its next check and frees its slot for the next request now
            metrics.count_error(endpoint, "timeout")
            raise HTTPException(504, f"the request ran longer than the {limits.request_timeout_s:g} s limit; "
                                "submit large documents as a job (POST /v1/jobs)") from None
        except Cancelled:
            raise HTTPException(503, "the server is shutting down; retry", headers={"Retry-After": "5"}) from None
        except InputError as exc:
            metrics.count_error(endpoint, "input")
            raise HTTPException(422, f"cannot read the upload: {exc.reason}") from None
        except ModelError as exc:
            metrics.count_error(endpoint, "model")
            raise HTTPException(500, str(exc)) from None

    # -- pages -----------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["service"], responses={503: {"description": "No inference thread can take work."}})
    async def healthz() -> JSONResponse:
        """Liveness and readiness: the models this worker has loaded; 503 while it is shutting down or every
        inference thread is held by timed-out work that has not stopped yet."""
        body = {"status": "ok", "version": scriba.__version__, "pid": os.getpid(), "models_loaded": engines.loaded()}
        if not gate.healthy():
            return JSONResponse({**body, "status": "unavailable"}, status_code=503)
        return JSONResponse(body)

    @app.get("/metrics", tags=["service"], response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        """Prometheus text format: requests, latency histogram, pages, errors (per worker process)."""
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    auth = [Depends(require_key)]

    @app.get("/v1/models", tags=["ocr"], dependencies=auth)
    async def models() -> dict[str, Any]:
        """Models this server can run."""
        return {"default": config.model, "models": [
            {"name": m.name, "description": m.description, "languages": list(m.languages)}
            for m in scriba.list_models()]}

    @app.get("/v1/limits", tags=["service"], dependencies=auth)
    async def get_limits() -> dict[str, Any]:
        """The limits this server enforces."""
        return limits.to_dict()

    @app.post("/v1/ocr", tags=["ocr"], dependencies=auth, responses={
        200: {"description": "The result tree (format=json) or text, Markdown or hOCR."},
        413: {"description": "Upload, page count or page size over the limit."},
        422: {"description": "Not a readable image or PDF."},
        503: {"description": "Busy; see Retry-After."}, 504: {"description": "Per-request timeout."}})
    async def ocr(
        file: Annotated[UploadFile, File(description="An image (PNG, JPEG, TIFF, ...) or a PDF.")],
        model: Annotated[str | None, Query(description="Model name (GET /v1/models).")] = None,
        format: Annotated[Format, Query(description="json (result tree), text, md or hocr.")] = "json",
        dpi: Annotated[float | None, Query(description="Resolution for rendering PDF pages.")] = None,
        pages: Annotated[str | None, Query(description="PDF pages, 1-based: 1-3,5")] = None,
        password: Annotated[str | None, Form(description="Password of an encrypted PDF.")] = None,
    ) -> Response:
        """Read the text of an image or PDF: Document > Page > Block > Line > Word with polygons."""
        model = model or config.model
        check_model(model)
        dpi = check_dpi(dpi)
        data = await read_upload(file)
        name = safe_filename(file.filename)
        await inspect(data, dpi, pages, limits.max_pages, password)
        cancel = threading.Event()
        doc: Document = await run_limited("/v1/ocr", _ocr_work, engines, model, name, data, dpi, pages, password,
                                          cancel, cancel=cancel)
        metrics.count_pages("/v1/ocr", len(doc.pages))
        return render_document(doc, format)

    from scriba.options import build_options, option_flags, rest_parameters, with_parameters
    from scriba.pipeline.parse_options import ParseOptions

    async def parse(
        file: Annotated[UploadFile, File(description="An image or a PDF.")],
        dpi: Annotated[float | None, Query(description="Resolution for rendering PDF pages.")] = None,
        pages: Annotated[str | None, Query(description="PDF pages, 1-based: 1-3,5")] = None,
        password: Annotated[str | None, Form(description="Password of an encrypted PDF.")] = None,
        **options: Any,
    ) -> JSONResponse:
        """Parse a document (layout, reading order, tables): {"markdown": ..., "document": ...}. The query
        parameters after `password` are the parser's options, as `scriba parse` has them."""
        make_parser = _parser_factory()
        if make_parser is None:
            raise HTTPException(501, "document parsing is not available in this build (scriba.Parser is missing)")
        dpi = check_dpi(dpi)
        try:
            parse_options = build_options(
                ParseOptions, options, dpi=dpi, threads=default_threads(limits.concurrency)
            )
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        check_model(parse_options.ocr.model)
        data = await read_upload(file)
        name = safe_filename(file.filename)
        await inspect(data, dpi, pages, limits.max_pages, password)
        cancel = threading.Event()
        doc = await run_limited("/v1/parse", _parse_work, make_parser, parse_options, data, name, pages, password,
                                cancel, cancel=cancel)
        metrics.count_pages("/v1/parse", len(doc.pages))
        return JSONResponse({"markdown": doc.to_markdown(), "document": doc.to_dict()})

    # The parser's options (ParseOptions and the options nested in it) become query parameters.
    with_parameters(parse, rest_parameters(option_flags(ParseOptions)))
    app.post("/v1/parse", tags=["parse"], dependencies=auth, responses={
        422: {"description": "Not a readable image or PDF, or an option out of range."},
        501: {"description": "No parser."}})(parse)

    @app.post("/v1/render", tags=["ocr"], dependencies=auth, response_class=Response,
              responses={200: {"content": {"image/png": {}}}})
    async def render(
        file: Annotated[UploadFile, File(description="An image or a PDF.")],
        page: Annotated[int, Query(ge=1, description="1-based page number.")] = 1,
        dpi: Annotated[float | None, Query(description="Resolution for PDF pages.")] = None,
        password: Annotated[str | None, Form()] = None,
    ) -> Response:
        """One page as PNG, at the resolution OCR reads it (the web page draws word boxes over it)."""
        dpi = check_dpi(dpi)
        data = await read_upload(file)
        name = safe_filename(file.filename)
        info = await inspect(data, dpi, str(page) if data[:4] == b"%PDF" else None, 1 << 30, password)
        if info.kind == "image" and page > info.pages:
            raise HTTPException(422, f"the image has {info.pages} frame(s); page {page} does not exist")
        cancel = threading.Event()
        png = await run_limited("/v1/render", _render_work, name, data, dpi, page, password, cancel=cancel)
        return Response(png, media_type="image/png")

    @app.post("/v1/export", tags=["ocr"], dependencies=auth)
    async def export(
        document: dict[str, Any],
        format: Annotated[Format, Query(description="text, md, hocr or json.")] = "md",
    ) -> Response:
        """Convert a result tree (as returned by /v1/ocr) to text, Markdown or hOCR, without any inference."""
        try:
            doc = Document.from_dict(document)
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPException(422, f"not a Scriba result tree ({type(exc).__name__}: {exc})") from None
        return render_document(doc, format)

    # -- jobs ------------------------------------------------------------------------------------------
    @app.post("/v1/jobs", tags=["jobs"], dependencies=auth, status_code=202)
    async def create_job(
        request: Request,
        file: Annotated[UploadFile, File(description="An image or a PDF (up to the job page limit).")],
        model: Annotated[str | None, Query()] = None,
        dpi: Annotated[float | None, Query()] = None,
        pages: Annotated[str | None, Query(description="PDF pages, 1-based: 1-3,5")] = None,
        password: Annotated[str | None, Form()] = None,
    ) -> JSONResponse:
        """Queue an OCR job; poll GET /v1/jobs/{id} for progress and the result."""
        model = model or config.model
        check_model(model)
        dpi = check_dpi(dpi)
        runner = runner_box["runner"]
        if runner.full():
            raise HTTPException(503, f"the job queue is full ({limits.max_jobs} jobs); retry later",
                                headers={"Retry-After": "30"})
        data = await read_upload(file)
        info = await inspect(data, dpi, pages, limits.max_job_pages, password)
        spec = JobSpec(filename=safe_filename(file.filename), model=model, dpi=dpi, pages=pages, password=password,
                       pages_total=info.pages)
        job_id = await asyncio.to_thread(store.create, data, spec)
        runner.start(job_id)
        url = str(request.url_for("get_job", job_id=job_id))
        return JSONResponse({"id": job_id, "status": "queued", "url": url}, status_code=202,
                            headers={"Location": url})

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], dependencies=auth, name="get_job")
    async def get_job(job_id: str, format: Annotated[Format, Query()] = "json") -> Response:
        """Status and progress; `result` (the result tree) once the status is `done`. With format=text|md|hocr
        a finished job answers with its result in that format."""
        status = await asyncio.to_thread(store.status, job_id)
        if status is None:
            raise HTTPException(404, f"no job {job_id!r} (unknown, or expired after {limits.job_ttl_s:g} s)")
        if status["status"] == "done":
            result = await asyncio.to_thread(store.result, job_id)
            if format != "json":
                return render_document(Document.from_dict(result or {}), format)
            status["result"] = result
        elif format != "json":
            raise HTTPException(409, f"job {job_id} is {status['status']}; its result is not ready")
        return JSONResponse(status)

    @app.delete("/v1/jobs/{job_id}", tags=["jobs"], dependencies=auth)
    async def delete_job(job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job (it stops between pages), or delete a finished one."""
        status = await asyncio.to_thread(store.status, job_id)
        if status is None:
            raise HTTPException(404, f"no job {job_id!r}")
        if status["status"] in ("queued", "running"):
            store.request_cancel(job_id)
            return {"id": job_id, "status": "cancelling"}
        await asyncio.to_thread(store.delete, job_id)
        return {"id": job_id, "status": "deleted"}

    return app


# After shutdown, work still running this long (one page that is slow to finish) no longer holds the process:
# the interpreter would otherwise wait for the inference threads before exiting, and SIGTERM would seem ignored.
SHUTDOWN_GRACE_S = 3.0


def _exit_soon_if_stuck(gate: InferenceGate, grace_s: float) -> None:
    def exit_now() -> None:
        import sys

        if gate.running == 0:
            return  # nothing holds the process: it exits on its own
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    timer = threading.Timer(grace_s, exit_now)
    timer.daemon = True  # a process that exits cleanly before it fires is not held by it
    timer.start()


def render_document(doc: Document, fmt: str) -> Response:
    if fmt == "json":
        return JSONResponse(doc.to_dict())
    if fmt == "text":
        return Response(doc.text(), media_type=MEDIA["text"])
    if fmt == "md":
        return Response(doc.to_markdown(), media_type=MEDIA["md"])
    return HTMLResponse(doc.to_hocr())


def _ocr_work(engines: Engines, model: str, name: str, data: bytes, dpi: float, pages: str | None,
              password: str | None, cancel: threading.Event) -> Document:
    return ocr_upload(engines.get(model), name, data, dpi, pages, password, cancel)


def _render_work(name: str, data: bytes, dpi: float, page: int, password: str | None) -> bytes:
    import io

    from PIL import Image

    from scriba.serve.engine import PageStream

    is_pdf = data[:4] == b"%PDF"
    stream = PageStream(name, data, dpi, str(page) if is_pdf else None, password)
    try:
        for _ in range(1 if is_pdf else page):
            pimg = stream.next()
        if pimg is None:  # the page could not be read: say why (422), not an internal error
            failed = stream.take_failed()
            raise InputError(name, f"page {page}: {failed[0].error}" if failed else f"page {page} does not exist")
    finally:
        stream.close()
    buf = io.BytesIO()
    Image.fromarray(pimg.image).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


_PARSERS: dict[str, Any] = {}  # by repr(ParseOptions), most recently used last
_PARSER_LOCK = threading.Lock()
MAX_PARSERS = 8  # parsers share their loaded models (sessions are cached by file); this bounds the rest


def _parser_factory() -> Callable[[Any], Any] | None:
    """scriba.Parser when this build has it (imported lazily: parsing is optional), one per set of options."""
    try:
        from scriba.pipeline.parse import Parser
    except ImportError:
        return None

    def get(options: Any) -> Any:
        key = repr(options)
        with _PARSER_LOCK:
            parser = _PARSERS.pop(key, None) or Parser(options)  # figures_dir stays None: no crops written
            _PARSERS[key] = parser
            while len(_PARSERS) > MAX_PARSERS:
                _PARSERS.pop(next(iter(_PARSERS)))
            return parser

    return get


def _parse_work(make_parser: Callable[[Any], Any], options: Any, data: bytes, name: str, pages: str | None,
                password: str | None, cancel: threading.Event) -> Document:
    """Parse page by page; once `cancel` is set the parser stops at its next stage boundary (between the model
    stages of a page, inside OCR between recognition batches) with Cancelled. The parser holds the PDFium lock
    only for its PDFium calls (text layer, renders), so parse requests run their models side by side."""
    from scriba.io.sources import Source

    parser = make_parser(options)
    doc = Document(metadata={"parser": "scriba.parse", "ocr": options.ocr_mode, "source": name})
    source = Source(name=name, obj=data)
    with contextlib.closing(parser.iter_source(source, pages=pages, password=password, cancel=cancel)) as it:
        for parsed in it:
            parsed.page.source = name
            doc.pages.append(parsed.page)
            check_cancel(cancel)
    from scriba.export.markdown import link_paragraphs

    link_paragraphs(doc)
    return doc


__all__ = ["ScribaError", "ServeConfig", "create_app"]
