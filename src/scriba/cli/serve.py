"""`scriba serve`: the HTTP API and web page (FastAPI + uvicorn; needs the `serve` extra)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from typing import Annotated

import typer

from scriba.cli.common import at_least, fail
from scriba.models.registry import DEFAULT_MODEL


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 exposes it to the network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes; each loads the models once.")] = 1,
    concurrency: Annotated[int, typer.Option(help="Inference threads per worker.")] = 1,
    queue: Annotated[int, typer.Option(help="Requests that may wait per worker before 503 + Retry-After.")] = 32,
    max_upload_mb: Annotated[float, typer.Option(help="Largest upload (413 beyond).")] = 50,
    max_pages: Annotated[int, typer.Option(help="Pages per synchronous request (413 beyond; use jobs).")] = 50,
    max_job_pages: Annotated[int, typer.Option(help="Pages per job.")] = 2000,
    max_megapixels: Annotated[float, typer.Option(help="Pixels per page, in millions (413 beyond).")] = 60,
    timeout: Annotated[
        float, typer.Option(help="Per-request time limit in seconds, counted from when its work starts (504 beyond).")
    ] = 120,
    queue_timeout: Annotated[
        float | None,
        typer.Option(help="How long a request may wait for an inference thread (503 + Retry-After beyond). "
                     "Default: twice --timeout."),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="SCRIBA_API_KEY", help="Require this key on /v1/* (401 otherwise).")
    ] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Default model, loaded at start.")] = DEFAULT_MODEL,
    dpi: Annotated[float, typer.Option(help="Default resolution for PDF pages.")] = 200,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the OCR API (/v1/ocr, /v1/parse, /v1/jobs), /metrics, OpenAPI docs at /docs and a web page at /."""
    try:
        import uvicorn

        from scriba.serve.app import CONFIG_ENV, ServeConfig
        from scriba.serve.limits import ServeLimits
    except ImportError as exc:
        fail(f"serving needs the 'serve' extra: pip install 'scriba[serve]' ({exc})")
    from scriba.errors import ModelError
    from scriba.models.registry import get_model

    try:
        get_model(model)
    except ModelError as exc:
        fail(str(exc))
    if workers < 1 or concurrency < 1 or queue < 0:
        fail("--workers and --concurrency must be at least 1, --queue at least 0")
    if not 0 <= port <= 65535:
        fail(f"--port must be between 0 and 65535, not {port}")
    at_least("--dpi", dpi, 1)
    for flag, value in (("--max-upload-mb", max_upload_mb), ("--max-megapixels", max_megapixels), ("--timeout", timeout)):
        if value <= 0:
            fail(f"{flag} must be positive, not {value:g}")
    if queue_timeout is not None and queue_timeout <= 0:
        fail(f"--queue-timeout must be positive, not {queue_timeout:g}")
    at_least("--max-pages", max_pages, 1)
    at_least("--max-job-pages", max_job_pages, 1)
    limits = ServeLimits(
        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
        max_pixels=int(max_megapixels * 1e6),
        max_pages=max_pages,
        max_job_pages=max_job_pages,
        request_timeout_s=timeout,
        queue_timeout_s=queue_timeout,
        concurrency=concurrency,
        queue=queue,
        dpi=dpi,
    )
    # One private temporary folder for all workers (uploads spilled to disk, jobs); removed on exit.
    tmp_dir = tempfile.mkdtemp(prefix="scriba-serve-")
    config = ServeConfig(limits=limits, api_key=api_key or None, model=model, tmp_dir=tmp_dir, exit_when_stuck=True)
    os.environ[CONFIG_ENV] = config.to_json()
    # ONNX Runtime and any library that honours TMPDIR write into the private folder too.
    os.environ["TMPDIR"] = tmp_dir
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal; exiting through SystemExit here
    # lets the private folder be removed and the exit status be 0.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        uvicorn.run(
            "scriba.serve.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            timeout_graceful_shutdown=5,
        )
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
