"""`scriba batch --engine ray` on a local Ray instance (2 CPUs): JSONL and Parquet, errors as rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import render_lines

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")
pq = pytest.importorskip("pyarrow.parquet")

DECKS = ["Deck plan of the upper cabins", "Deck plan of the engine room"]


@pytest.fixture(scope="module")
def local_ray():  # type: ignore[no-untyped-def]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_batch_jsonl_and_parquet(local_ray, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from scriba.batch.ray import run_ray_batch

    src = tmp_path / "in"
    (src / "docs").mkdir(parents=True)
    Image.fromarray(render_lines(["Cargo manifest for vessel Aurora"], size=30, width=800)).save(src / "cargo.png")
    pages = [Image.fromarray(render_lines([t], size=30, width=700)) for t in DECKS]
    pages[0].save(src / "docs" / "decks.pdf", save_all=True, append_images=pages[1:], resolution=200.0)
    (src / "docs" / "torn.pdf").write_bytes(b"%PDF-1.4\n%%EOF")

    out = tmp_path / "out-jsonl"
    summary = run_ray_batch([str(src)], out, fmt="jsonl", actors=1)
    assert summary.sources == 3 and summary.pages == 3
    assert [s for s, _ in summary.errors] == ["docs/torn.pdf"]
    rows = [json.loads(line) for f in sorted(out.iterdir()) for line in f.read_text(encoding="utf-8").splitlines()]
    by_key = {(r["source"], r["page"]): r for r in rows}
    assert len(rows) == len(by_key) == 4
    assert by_key[("cargo.png", 0)]["text"] == "Cargo manifest for vessel Aurora"
    assert [by_key[("docs/decks.pdf", i)]["text"] for i in (0, 1)] == DECKS
    tree = json.loads(by_key[("docs/decks.pdf", 1)]["result"])
    assert tree["index"] == 1 and tree["blocks"][0]["lines"][0]["words"][0]["text"] == "Deck"
    assert by_key[("docs/torn.pdf", 0)]["error"]

    out = tmp_path / "out-parquet"
    summary = run_ray_batch([str(src / "docs")], out, fmt="parquet", actors=1)
    table = pq.read_table(str(out)).to_pylist()
    assert sorted((r["source"], r["page"], r["text"]) for r in table if not r["error"]) == [
        ("decks.pdf", 0, DECKS[0]), ("decks.pdf", 1, DECKS[1])]
    with pytest.raises(FileExistsError):
        run_ray_batch([str(src / "docs")], out, fmt="parquet")


def test_cli_refuses_formats_ray_cannot_write(tmp_path: Path) -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "scriba.cli.main", "batch", str(tmp_path), "-o", str(tmp_path / "o"),
                        "--engine", "ray", "--format", "md"], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 2 and "jsonl or parquet" in r.stderr and "Traceback" not in r.stderr
