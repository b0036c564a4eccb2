"""LaTeX through an installed KaTeX (`npm install -g katex`), run by node: whether it renders (the check that
the formula outputs compile, used by the tests and the formula benchmark) and its MathML (what the parsing
benchmark compares formulas by). Nothing is downloaded."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

_ROOTS = ("/usr/lib/node_modules", "/usr/local/lib/node_modules", "/usr/share/nodejs")
# Both scripts read a JSON list of formulas on stdin and print a JSON list: one answer per formula.
_EACH = "const k=require('katex');const xs=JSON.parse(require('fs').readFileSync(0,'utf8'));"
_SCRIPT = _EACH + (
    "console.log(JSON.stringify(xs.map(x=>{try{k.renderToString(x,{throwOnError:true,displayMode:true});return null}"
    "catch(e){return e.message}})))"
)
_MATHML = _EACH + (
    "console.log(JSON.stringify(xs.map(x=>{try{return k.renderToString(x,{throwOnError:true,displayMode:true,"
    "output:'mathml'})}catch(e){return null}})))"
)


def katex_root() -> str | None:
    """The node_modules folder that holds katex, or None when node or katex is not installed."""
    if not shutil.which("node"):
        return None
    return next((root for root in _ROOTS if (Path(root) / "katex").is_dir()), None)


def katex_errors(formulas: list[str]) -> list[str | None]:
    """KaTeX's verdict on each formula in display mode (None: it renders). Needs katex_root()."""
    return _run(_SCRIPT, formulas)


def katex_mathml(formulas: list[str]) -> list[str | None]:
    """Each formula's MathML as KaTeX renders it in display mode (None: it does not render). Needs
    katex_root()."""
    return _run(_MATHML, formulas)


def _run(script: str, formulas: list[str]) -> list[str | None]:
    root = katex_root()
    if root is None:
        raise RuntimeError("KaTeX is not installed (npm install -g katex)")
    out = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(formulas),
        capture_output=True,
        text=True,
        env={"NODE_PATH": root, "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return json.loads(out.stdout)
