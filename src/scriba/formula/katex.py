"""Whether KaTeX renders LaTeX, asked of an installed KaTeX (`npm install -g katex`) through node: the check
that the formula outputs compile, used by the tests and the formula benchmark. Nothing is downloaded."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

_ROOTS = ("/usr/lib/node_modules", "/usr/local/lib/node_modules", "/usr/share/nodejs")
_SCRIPT = (
    "const k=require('katex');const fs=require('fs');"
    "const xs=JSON.parse(fs.readFileSync(0,'utf8'));"
    "console.log(JSON.stringify(xs.map(x=>{try{k.renderToString(x,{throwOnError:true,displayMode:true});return null}"
    "catch(e){return e.message}})))"
)


def katex_root() -> str | None:
    """The node_modules folder that holds katex, or None when node or katex is not installed."""
    if not shutil.which("node"):
        return None
    return next((root for root in _ROOTS if (Path(root) / "katex").is_dir()), None)


def katex_errors(formulas: list[str]) -> list[str | None]:
    """KaTeX's verdict on each formula in display mode (None: it renders). Needs katex_root()."""
    root = katex_root()
    if root is None:
        raise RuntimeError("KaTeX is not installed (npm install -g katex)")
    out = subprocess.run(
        ["node", "-e", _SCRIPT],
        input=json.dumps(formulas),
        capture_output=True,
        text=True,
        env={"NODE_PATH": root, "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return json.loads(out.stdout)
