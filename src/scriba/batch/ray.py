"""`scriba batch --engine ray`: the batch on Ray Data, from one machine to a cluster.

Pipeline: file list -> page units (a cheap task per file counts PDF pages) -> rendering (CPU tasks, one page
each) -> OCR (`map_batches` on a pool of actors, each loading the models once) -> JSONL or Parquet files in
OUT, one row per page: source, page, text, result (the page's JSON tree), error. A file or page that cannot
be read becomes a row with `error` set; the rest goes on.

Every node needs Scriba and its model wheels installed (the actors read the model files locally).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scriba.errors import InputError
from scriba.models.registry import DEFAULT_MODEL

RAY_FORMATS = ("jsonl", "parquet")


@dataclass
class RaySummary:
    sources: int = 0
    pages: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)


def _units(row: dict[str, Any], password: str | None) -> list[dict[str, Any]]:
    """One row per PDF page (-1 for all frames of an image), or one error row."""
    from scriba.batch.local import is_pdf
    from scriba.io.pdf import planned_page_count

    if not is_pdf(row["path"]):
        return [{**row, "page": -1, "error": ""}]
    try:
        n, cut = planned_page_count(row["source"], row["path"], password)
    except InputError as exc:
        return [{**row, "page": 0, "error": exc.reason}]
    rows = [{**row, "page": i, "error": ""} for i in range(n)]
    if cut:  # a page tree that lies about its length: one error row says where it was cut
        rows.append({**row, "page": n, "error": cut})
    return rows


def _render(row: dict[str, Any], dpi: float, password: str | None) -> list[dict[str, Any]]:
    """The CPU stage: decode or render one unit into page images (RGB uint8)."""
    from scriba.io.sources import Source, iter_pages

    base = {"source": row["source"], "error": row["error"]}
    if row["error"]:
        return [{**base, "page": int(row["page"]), "image": np.zeros((1, 1, 3), np.uint8)}]
    pages = None if row["page"] < 0 else str(int(row["page"]) + 1)
    out = []
    try:
        for pimg in iter_pages(Source(name=row["source"], path=row["path"]), dpi=dpi, pages=pages, password=password):
            out.append({**base, "page": pimg.index, "image": pimg.image})
    except InputError as exc:
        out.append({**base, "page": max(0, int(row["page"])), "image": np.zeros((1, 1, 3), np.uint8),
                    "error": getattr(exc, "page_reason", exc.reason)})  # the row already names the page
    return out


class OCRActor:
    """Loads the OCR models once per actor and reads batches of page images."""

    def __init__(self, model: str, dpi: float, threads: int, exact: bool = False) -> None:
        from scriba.batch.local import ocr_engine
        from scriba.memory import return_large_blocks

        return_large_blocks()  # an actor's process serves Scriba alone (scriba.memory)
        self.engine = ocr_engine(model, dpi, threads, exact)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts, results, errors = [], [], []
        for source, index, image, error in zip(batch["source"], batch["page"], batch["image"], batch["error"]):
            if error:
                texts.append("")
                results.append("")
                errors.append(str(error))
                continue
            try:
                page = self.engine.ocr_image(np.asarray(image, dtype=np.uint8), source=str(source), index=int(index))
                texts.append(page.text)
                results.append(json.dumps(page.to_dict(), ensure_ascii=False))
                errors.append("")
            except Exception as exc:  # noqa: BLE001 - one bad page must not fail the dataset
                texts.append("")
                results.append("")
                errors.append(f"internal error: {type(exc).__name__}: {exc}")
        return {
            "source": np.asarray(batch["source"], dtype=object),
            "page": np.asarray(batch["page"], dtype=np.int64),
            "text": np.asarray(texts, dtype=object),
            "result": np.asarray(results, dtype=object),
            "error": np.asarray(errors, dtype=object),
        }


def run_ray_batch(
    inputs: list[str],
    out_dir: Path,
    fmt: str = "jsonl",
    model: str = DEFAULT_MODEL,
    dpi: float = 200,
    actors: int = 1,
    address: str | None = None,
    password: str | None = None,
    num_cpus: int | None = None,
    batch_size: int = 4,
    exact: bool = False,
) -> RaySummary:
    """Run the batch on Ray: a cluster when `address` is given ('auto' joins the one this machine belongs
    to), else a local Ray started here (with `num_cpus` CPUs, all by default)."""
    import ray
    import ray.data

    from scriba.batch.local import source_keys
    from scriba.io.sources import expand_inputs

    if fmt not in RAY_FORMATS:
        raise ValueError(f"--engine ray writes {' or '.join(RAY_FORMATS)}, not {fmt!r}")
    t0 = time.perf_counter()
    keys = source_keys(expand_inputs(list(inputs)))
    summary = RaySummary(sources=len(keys))
    if not keys:
        return summary
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty; Ray runs write a fresh output folder")
    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            kwargs["address"] = address
        elif num_cpus:
            kwargs["num_cpus"] = num_cpus
        ray.init(**kwargs)
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        threads = max(1, cpus // max(1, actors)) if not address else 0
        files = ray.data.from_items([{"source": k, "path": p} for k, p in keys])
        units = files.flat_map(_units, fn_kwargs={"password": password})
        pages = units.flat_map(_render, fn_kwargs={"dpi": dpi, "password": password}, num_cpus=1)
        read = pages.map_batches(
            OCRActor,
            fn_constructor_kwargs={"model": model, "dpi": dpi, "threads": threads, "exact": exact},
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=1,
            batch_format="numpy",
        )
        if fmt == "parquet":
            read.write_parquet(str(out_dir))
        else:
            read.write_json(str(out_dir))
        summary.files = sorted(p.name for p in out_dir.iterdir())
        written = ray.data.read_parquet(str(out_dir)) if fmt == "parquet" else ray.data.read_json(str(out_dir))
        rows = written.select_columns(["source", "page", "error"]).take_all()
        summary.pages = sum(1 for r in rows if not r["error"])
        summary.errors = [(r["source"], r["error"]) for r in rows if r["error"]]
    finally:
        if started_here:
            ray.shutdown()
    summary.seconds = time.perf_counter() - t0
    return summary


__all__ = ["RAY_FORMATS", "OCRActor", "RaySummary", "run_ray_batch"]
