"""Returning large freed blocks changes memory, never results: a page parsed in a process that returns them
(as the `scriba` command does) reads exactly as in one that keeps them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import render_lines

_PARSE = """
import json, sys
from scriba import memory
if sys.argv[2] == "return":
    assert memory.return_large_blocks() and memory.large_blocks_returned()
from scriba.models.runtime import per_page_run_options
shrinks = per_page_run_options() is not None
from scriba import Parser
doc = Parser()(sys.argv[1])
print(json.dumps({"shrinks": shrinks, "markdown": doc.to_markdown(),
                  "boxes": [b.polygon for p in doc.pages for b in p.blocks]}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_returning_large_blocks_changes_nothing_read(tmp_path: Path) -> None:
    page = render_lines(["Quarterly report", "Revenue grew by 12 percent in the third quarter.",
                         "Costs fell in every region but one."], size=30)
    path = tmp_path / "page.png"
    Image.fromarray(page).save(path)
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    runs = {}
    for mode in ("keep", "return"):
        out = subprocess.run([sys.executable, "-c", _PARSE, str(path), mode], capture_output=True, text=True,
                             check=True, env=env)
        runs[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    assert not runs["keep"]["shrinks"] and runs["return"]["shrinks"]
    assert "Revenue grew by 12 percent" in runs["return"]["markdown"]
    assert runs["return"]["markdown"] == runs["keep"]["markdown"]
    assert runs["return"]["boxes"] == runs["keep"]["boxes"]
