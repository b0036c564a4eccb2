"""Asynchronous OCR jobs for large documents.

Jobs live in files under the server's private temporary folder (one folder per job: the upload, a status file
replaced atomically, the result), so that with several worker processes any worker can answer for a job that
another one runs. The worker that accepted a job runs it, page by page, on the shared inference threads.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scriba.document import Document, Page
from scriba.errors import InputError
from scriba.serve.engine import Cancelled, Engines, InferenceGate, PageStream
from scriba.serve.metrics import Metrics

JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def _write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class JobSpec:
    filename: str
    model: str
    dpi: float
    pages: str | None
    password: str | None
    pages_total: int
    extra: dict[str, Any] = field(default_factory=dict)


class JobStore:
    def __init__(self, root: Path, ttl_s: float) -> None:
        self.root = root
        self.ttl_s = ttl_s
        root.mkdir(parents=True, exist_ok=True)

    def _dir(self, job_id: str) -> Path | None:
        if not JOB_ID.match(job_id):
            return None
        d = self.root / job_id
        return d if d.is_dir() else None

    def create(self, data: bytes, spec: JobSpec) -> str:
        job_id = uuid.uuid4().hex
        d = self.root / job_id
        d.mkdir()
        (d / "input.bin").write_bytes(data)
        status = {
            "id": job_id,
            "status": "queued",
            "filename": spec.filename,
            "model": spec.model,
            "created": time.time(),
            "started": None,
            "finished": None,
            "progress": {"pages_done": 0, "pages_total": spec.pages_total},
            "error": None,
        }
        _write_json_atomic(d / "spec.json", spec.__dict__)
        _write_json_atomic(d / "status.json", status)
        return job_id

    def status(self, job_id: str) -> dict[str, Any] | None:
        d = self._dir(job_id)
        if d is None:
            return None
        try:
            return json.loads((d / "status.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def update(self, job_id: str, **changes: Any) -> dict[str, Any]:
        d = self.root / job_id
        status = json.loads((d / "status.json").read_text(encoding="utf-8"))
        status.update(changes)
        _write_json_atomic(d / "status.json", status)
        return status

    def result(self, job_id: str) -> dict[str, Any] | None:
        d = self._dir(job_id)
        if d is None or not (d / "result.json").is_file():
            return None
        return json.loads((d / "result.json").read_text(encoding="utf-8"))

    def request_cancel(self, job_id: str) -> bool:
        d = self._dir(job_id)
        if d is None:
            return False
        (d / "cancel").touch()
        return True

    def cancel_requested(self, job_id: str) -> bool:
        return (self.root / job_id / "cancel").exists()

    def delete(self, job_id: str) -> None:
        d = self._dir(job_id)
        if d is not None:
            shutil.rmtree(d, ignore_errors=True)

    def expire(self) -> int:
        """Remove finished jobs older than the TTL. Returns how many were removed."""
        removed = 0
        now = time.time()
        for d in self.root.iterdir():
            status = self.status(d.name)
            if status and status.get("finished") and now - status["finished"] > self.ttl_s:
                shutil.rmtree(d, ignore_errors=True)
                removed += 1
        return removed


class JobRunner:
    """Runs this worker's jobs: at most `concurrency` at once, each page a separate unit of work on the
    inference threads so that synchronous requests keep flowing between a long job's pages."""

    def __init__(
        self, store: JobStore, gate: InferenceGate, engines: Engines, metrics: Metrics, concurrency: int,
        max_jobs: int,
    ) -> None:
        self.store = store
        self.gate = gate
        self.engines = engines
        self.metrics = metrics
        self.max_jobs = max_jobs
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> int:
        return len(self._tasks)

    def full(self) -> bool:
        return self.active >= self.max_jobs

    def start(self, job_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job_id: str) -> None:
        async with self._slots:
            d = self.store.root / job_id
            spec = JobSpec(**json.loads((d / "spec.json").read_text(encoding="utf-8")))
            self.store.update(job_id, status="running", started=time.time())
            try:
                engine = await asyncio.wrap_future(self.gate.submit(self.engines.get, spec.model, admit=False))
                data = (d / "input.bin").read_bytes()
                stream = PageStream(spec.filename, data, spec.dpi, spec.pages, spec.password)
                pages: list[Page] = []
                try:
                    while True:
                        if self.store.cancel_requested(job_id):
                            raise Cancelled()
                        stop = threading.Event()  # set on shutdown: the page stops at its next stage
                        got = await asyncio.wrap_future(
                            self.gate.submit(_next_pages, engine, stream, stop, admit=False, cancel=stop)
                        )
                        if got is None:
                            break
                        pages.extend(got)
                        self.metrics.count_pages("/v1/jobs", len(got))
                        self.store.update(job_id, progress={"pages_done": len(pages), "pages_total": spec.pages_total})
                finally:
                    await asyncio.wrap_future(self.gate.submit(stream.close, admit=False))
                document = Document(pages=pages, metadata={"model": engine.spec.name, "source": spec.filename})
                _write_json_atomic(d / "result.json", document.to_dict())
                (d / "input.bin").unlink(missing_ok=True)
                self.store.update(job_id, status="done", finished=time.time())
            except Cancelled:
                (d / "input.bin").unlink(missing_ok=True)
                self.store.update(job_id, status="cancelled", finished=time.time())
            except InputError as exc:
                self.metrics.count_error("/v1/jobs", "input")
                (d / "input.bin").unlink(missing_ok=True)
                self.store.update(job_id, status="failed", finished=time.time(), error=exc.reason)
            except Exception as exc:  # noqa: BLE001 - a job failure must never take the worker down
                self.metrics.count_error("/v1/jobs", "internal")
                (d / "input.bin").unlink(missing_ok=True)
                self.store.update(job_id, status="failed", finished=time.time(), error=f"internal error: {exc}")


def _next_pages(engine: Any, stream: PageStream, cancel: threading.Event) -> list[Page] | None:
    """The next page read, after any pages that failed before it (kept with their error); None at the end."""
    pimg = stream.next()
    failed = stream.take_failed()
    if pimg is None:
        return failed or None
    return [*failed, engine.ocr_page_image(pimg, cancel)]
