"""Document parsing quality and speed: `scriba parse` against plain OCR and peers, on ../shared/data.

(a) olmOCR-Bench sample: the benchmark's unit tests (present, absent, order, table, math, baseline) run on each
    system's Markdown for each tested page; pass rate by type. Semantics follow olmocr/bench/tests.py (same text
    normalization and rapidfuzz thresholds; `order` uses the best fuzzy alignment instead of fuzzysearch; `math`
    compares the shapes of KaTeX's MathML instead of symbol positions rendered in a browser: math_test).
(b) docling PDF fixtures: page text against their ground-truth Markdown with markup stripped: normalized
    edit distance on characters (OmniDocBench-style "text edit"), word F1 (bag of words), and an order score:
    normalized edit distance on the word sequences.
(c) TEDS and TEDS-S (structure only) on PubTabNet table images: OCR words -> our table recognizer -> HTML.
(e) lost text and (f) generated pages with known text: see parse_text.py.
(d) pages per second for born-digital and scanned pages.

Systems: scriba-parse (auto: text layer or OCR per page), scriba-parse-ocr (--ocr always: the OCR path with
layout), ocr-sorted (plain Scriba PP-OCRv5 lines sorted top to bottom: the baseline named in the issue),
pdftotext (poppler, its reading-order mode), tesseract (5, eng, on the rendered page).

    python benchmarks/parse.py                          # all sections; writes docs/benchmarks.md
    python benchmarks/parse.py --sections teds --no-write
    python benchmarks/parse.py --sections teds-parse --no-write   # tables through the whole parser (slow)
"""

from __future__ import annotations

import argparse
import html as htmlmod
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import bag_counts
from parse_text import bench_generated, bench_lost

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Document parsing"
DPI = 200


def shared_data() -> Path:
    env = os.environ.get("SCRIBA_SHARED_DATA")
    for c in [
        *([Path(env)] if env else []),
        REPO.parent / "shared" / "data",
        REPO.parent.parent / "shared" / "data",
    ]:
        if c.is_dir():
            return c
    raise SystemExit("../shared/data not found")


# -- systems ----------------------------------------------------------------------------------------------
class Systems:
    """Every system turns (pdf path, 1-based page or None for all) into Markdown or plain text."""

    def __init__(self) -> None:
        from scriba import OCR, ParseOptions, Parser

        # As `scriba parse -o DIR` runs: figure and formula crops written, linked from the Markdown.
        figures = tempfile.mkdtemp()
        self.parser = Parser(ParseOptions(dpi=DPI, figures_dir=figures))
        self.parser_ocr = Parser(ParseOptions(dpi=DPI, ocr_mode="always", figures_dir=figures))
        self.ocr = OCR()

    def run(self, name: str, pdf: Path, page: int | None) -> str:
        pages = str(page) if page else None
        if name == "scriba-parse":
            return self.parser(pdf, pages=pages).to_markdown()
        if name == "scriba-parse-ocr":
            return self.parser_ocr(pdf, pages=pages).to_markdown()
        if name == "ocr-sorted":
            return "\n\n".join(self._ocr_sorted(img) for img in _render(pdf, pages))
        if name == "pdftotext":
            args = ["pdftotext", "-enc", "UTF-8"] + (["-f", str(page), "-l", str(page)] if page else [])
            return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=False).stdout
        if name == "tesseract":
            import pytesseract

            return "\n\n".join(pytesseract.image_to_string(img, lang="eng") for img in _render(pdf, pages))
        raise ValueError(name)

    def _ocr_sorted(self, image: np.ndarray) -> str:
        from scriba.document import bbox_of
        from scriba.pipeline.reading_order import sort_lines

        lines = self.ocr.ocr_image(image).lines
        order = sort_lines([bbox_of(x.polygon) for x in lines])
        return "\n".join(lines[i].text for i in order)


def _render(pdf: Path, pages: str | None) -> list[np.ndarray]:
    from scriba.io.pdf import iter_pdf_pages

    return [img for _, img in iter_pdf_pages(str(pdf), str(pdf), DPI, pages)]


# -- olmOCR-Bench tests -----------------------------------------------------------------------------------
_OLMO_REPLACE = {"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "＿": "_", "–": "-", "—": "-", "‑": "-",
                 "‒": "-", "−": "-", "\u00b5": "\u03bc"}  # fmt: skip


def olmo_normalize(text: str) -> str:
    text = re.sub(r"<br/?>", " ", text)
    text = re.sub(r"\*\*(.*?)\*\*", r"\1", text)
    text = re.sub(r"__(.*?)__", r"\1", text)
    text = re.sub(r"</?[bi]>", "", text)
    text = re.sub(r"(\*\*|__)(.*?)\1", r"\2", text)
    text = re.sub(r"(\*|_)(.*?)\1", r"\2", text)
    text = unicodedata.normalize("NFC", re.sub(r"\s+", " ", text))
    for a, b in _OLMO_REPLACE.items():
        text = text.replace(a, b)
    return text


class _TableHTML(HTMLParser):
    """HTML tables -> grids of cell text (a spanning cell fills every position it covers)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[tuple[int, int], str]] = []
        self._row = -1
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._taken: set[tuple[int, int]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({})
            self._row, self._taken = -1, set()
        elif tag == "tr":
            self._row += 1
        elif tag in ("td", "th"):
            self._cell = []
            self._span = (int(a.get("rowspan") or 1), int(a.get("colspan") or 1))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            col = 0
            while (self._row, col) in self._taken:
                col += 1
            text = " ".join("".join(self._cell).split())
            for dr in range(self._span[0]):
                for dc in range(self._span[1]):
                    self._taken.add((self._row + dr, col + dc))
                    self.tables[-1][(self._row + dr, col + dc)] = text
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


_STRUCTURE = {"msub", "msup", "msubsup", "mfrac", "msqrt", "mroot", "munder", "mover", "munderover", "mtable",
              "mtr", "mtd"}  # fmt: skip
_LEAF_SAME = {"\u2212": "-", "\u2013": "-", "\u2032": "'"}


def _mathml_form(element: Any) -> str:
    """A formula's MathML as the shape it renders to: structures (scripts, fractions, roots, tables) with their
    arguments, and the characters set in them; grouping, spacing, fonts and token kinds left out."""
    tag = element.tag.rsplit("}", 1)[-1]
    if tag == "annotation" or tag == "mspace":
        return ""
    if len(element) == 0:
        text = "".join(_LEAF_SAME.get(c, c) for c in (element.text or "") if not c.isspace())
        return text
    parts = [_mathml_form(child) for child in element]
    if tag in _STRUCTURE:
        return tag + "(" + "|".join(parts) + ")"
    return "".join(parts)


def math_forms(formulas: list[str]) -> list[str | None]:
    """Each formula's rendered shape (_mathml_form of KaTeX's MathML); None where KaTeX does not render it."""
    import xml.etree.ElementTree as ET

    from scriba.formula.katex import katex_mathml

    out: list[str | None] = []
    for html in katex_mathml(formulas):
        found = re.search(r"<math.*</math>", html or "", re.DOTALL)
        out.append(_mathml_form(ET.fromstring(found.group(0))) if found else None)
    return out


def math_test(reference: str, md: str) -> bool:
    """olmOCR-Bench's math test: the reference equation is among the page's LaTeX equations, written the same or
    rendering the same. olmOCR compares the positions of the rendered symbols in a browser; here the two
    renderings' MathML shapes (structures and the characters in them, fonts aside) must be equal, which is
    stricter where the structure differs but renders alike."""
    equations = [e.strip() for e in re.findall(r"\$\$(.+?)\$\$", md, re.DOTALL)]
    equations += [e.strip() for e in re.findall(r"(?<!\$)\$([^$]+?)\$(?!\$)", re.sub(r"\$\$.+?\$\$", "", md, flags=re.DOTALL))]
    if reference in equations:
        return True
    if not equations:
        return False
    ref, *hyps = math_forms([reference, *equations])
    return ref is not None and ref in hyps


def olmo_table_test(test: dict[str, Any], md: str) -> bool:
    from rapidfuzz import fuzz

    parser = _TableHTML()
    parser.feed(md)
    cell = olmo_normalize(test["cell"])
    max_diffs = int(test.get("max_diffs", 0))

    def ok(expected: str, got: str) -> bool:
        e = olmo_normalize(expected)
        return fuzz.ratio(e, olmo_normalize(got)) / 100 >= max(0.5, 1 - max_diffs / max(len(e), 1))

    for grid in parser.tables:
        for (r, c), text in grid.items():
            if not ok(cell, text):
                continue
            rel = {
                "up": [grid.get((r - 1, c), "")],
                "down": [grid.get((r + 1, c), "")],
                "left": [grid.get((r, c - 1), "")],
                "right": [grid.get((r, c + 1), "")],
                "top_heading": [grid[(k, c)] for k in range(r) if grid.get((k, c))],
                "left_heading": [grid[(r, k)] for k in range(c) if grid.get((r, k))][:1],
            }
            if all(any(ok(test[k], x) for x in rel[k]) for k in rel if test.get(k)):
                return True
    return False


def _find(query: str, text: str, max_diffs: int) -> int | None:
    """Start of the best fuzzy occurrence of `query` in `text` within the allowed differences, else None."""
    from rapidfuzz import fuzz

    if not max_diffs:
        k = text.find(query)
        return k if k >= 0 else None
    al = fuzz.partial_ratio_alignment(query, text)
    if al is None or al.score / 100 < 1 - max_diffs / max(len(query), 1):
        return None
    return al.dest_start


def olmo_test(test: dict[str, Any], md: str) -> bool:
    from rapidfuzz import fuzz

    kind = test["type"]
    max_diffs = int(test.get("max_diffs", 0))
    if kind in ("present", "absent"):
        query, content = olmo_normalize(test["text"]), olmo_normalize(md)
        if not test.get("case_sensitive", True):
            query, content = query.lower(), content.lower()
        if test.get("first_n") and test.get("last_n"):
            content = content[: test["first_n"]] + content[-test["last_n"] :]
        elif test.get("first_n"):
            content = content[: test["first_n"]]
        elif test.get("last_n"):
            content = content[-test["last_n"] :]
        if len(content) < len(query) - max_diffs:
            return kind == "absent"
        found = fuzz.partial_ratio(query, content) / 100 >= 1 - max_diffs / max(len(query), 1)
        return found if kind == "present" else not found
    if kind == "order":
        content = olmo_normalize(md)
        a = _find(olmo_normalize(test["before"]), content, max_diffs)
        b = _find(olmo_normalize(test["after"]), content, max_diffs)
        return a is not None and b is not None and a < b
    if kind == "table":
        return olmo_table_test(test, md)
    if kind == "math":
        return math_test(test["math"].strip(), md)
    if kind == "baseline":
        n = len("".join(c for c in md if c.isalnum()))
        return n <= int(test["max_length"]) if test.get("max_length") is not None else n > 0
    raise ValueError(kind)


def bench_olmocr(systems: Systems, names: list[str]) -> tuple[list[str], dict[str, Any]]:
    d = shared_data() / "olmocr_bench_sample"
    tests = [
        json.loads(x)
        for f in ("dataset.jsonl", "blanks.jsonl")
        for x in (d / f).read_text().splitlines()
        if x.strip()
    ]
    pages = sorted({(t["pdf"], int(t["page"])) for t in tests})
    outputs: dict[tuple[str, str, int], str] = {}
    for pdf, page in pages:
        for name in names:
            outputs[(name, pdf, page)] = systems.run(name, d / "pdfs" / pdf, page)
    kinds = sorted({t["type"] for t in tests})
    result: dict[str, dict[str, list[int]]] = {n: {k: [0, 0] for k in kinds} for n in names}
    for t in tests:
        for name in names:
            passed = olmo_test(t, outputs[(name, t["pdf"], int(t["page"]))])
            result[name][t["type"]][0] += int(passed)
            result[name][t["type"]][1] += 1
    counts = {k: sum(1 for t in tests if t["type"] == k) for k in kinds}
    lines = [
        f"olmOCR-Bench sample ({len(tests)} tests on {len(pages)} pages; pass rate %, tests per type in brackets):",
        "",
        "| system | " + " | ".join(f"{k} ({counts[k]})" for k in kinds) + " | all |",
        "|---|" + "---|" * (len(kinds) + 1),
    ]
    for name in names:
        r = result[name]
        total = sum(v[0] for v in r.values()) / max(sum(v[1] for v in r.values()), 1)
        lines.append(
            f"| {name} | "
            + " | ".join(f"{100 * r[k][0] / r[k][1]:.0f}" for k in kinds)
            + f" | {100 * total:.1f} |"
        )
    return lines, result


# -- docling fixtures: text edit, word F1, order --------------------------------------------------------------
def strip_markdown(md: str) -> str:
    """Markdown (ours or Docling's) -> plain text: tables to cell text, links, images and markup removed."""
    md = re.sub(r"<!--.*?-->", " ", md, flags=re.DOTALL)
    md = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", md)
    md = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", md)
    md = re.sub(r"</?(td|th)[^>]*>", " ", md)
    md = re.sub(r"<[^>]+>", " ", md)
    md = htmlmod.unescape(md)
    out = []
    for line in md.splitlines():
        s = line.strip()
        if re.fullmatch(r"\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?", s):
            continue  # table rule
        s = re.sub(r"^#{1,6}\s+", "", s)
        s = re.sub(r"^[-*+]\s+", "", s)
        s = s.replace("|", " ").replace("**", "").replace("\\", "")
        s = re.sub(r"(?<!\w)\*(\S.*?\S|\S)\*(?!\w)", r"\1", s)
        out.append(s)
    text = unicodedata.normalize("NFKC", " ".join(out))
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    return " ".join(text.split())


def ned(a: Any, b: Any) -> float:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b) / max(len(a), len(b), 1)


def bench_docling(systems: Systems, names: list[str]) -> tuple[list[str], dict[str, Any]]:
    d = shared_data() / "docling_pdf_regression"
    docs = [p for p in sorted((d / "pdfs").glob("*.pdf")) if (d / "groundtruth" / f"{p.stem}.md").is_file()]
    docs = [p for p in docs if not p.stem.startswith("right_to_left")]  # Arabic: no model here reads it
    scores: dict[str, dict[str, list[float]]] = {
        n: {"ned": [], "order": [], "f1": []} for n in names + ["textlayer-sorted"]
    }
    per_doc: dict[str, dict[str, float]] = {}
    for pdf in docs:
        gt = strip_markdown((d / "groundtruth" / f"{pdf.stem}.md").read_text())
        outs = {n: systems.run(n, pdf, None) for n in names}
        layer = d / "textlayer" / f"{pdf.stem}.txt"
        if layer.is_file():
            outs["textlayer-sorted"] = layer.read_text()
        for n, out in outs.items():
            text = strip_markdown(out)
            scores[n]["ned"].append(ned(text, gt))
            scores[n]["order"].append(ned(text.split(), gt.split()))
            scores[n]["f1"].append(bag_counts(text.split(), gt.split()).f1)
            per_doc.setdefault(pdf.stem, {})[n] = round(scores[n]["ned"][-1], 3)
    lines = [
        (
            f"Docling PDF fixtures ({len(docs)} documents with ground-truth Markdown, Arabic ones left out; "
            "means over documents; Markdown stripped of markup on both sides):"
        ),
        "",
        "| system | text edit distance (lower is better) | word-order edit distance | word F1 |",
        "|---|---|---|---|",
    ]
    for n, s in scores.items():
        if s["ned"]:
            lines.append(
                f"| {n} | {np.mean(s['ned']):.3f} | {np.mean(s['order']):.3f} | {np.mean(s['f1']):.3f} |"
            )
    return lines, {
        "scores": {n: {k: float(np.mean(v)) for k, v in s.items() if v} for n, s in scores.items()},
        "per_doc": per_doc,
    }


# -- TEDS ------------------------------------------------------------------------------------------------------
class _Node:
    def __init__(self, tag: str, colspan: int = 1, rowspan: int = 1, content: str = "") -> None:
        self.tag, self.colspan, self.rowspan, self.content = tag, colspan, rowspan, content
        self.children: list[_Node] = []


class _TreeHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root: _Node | None = None
        self.stack: list[_Node] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("table", "thead", "tbody", "tr", "td", "th"):
            return
        a = dict(attrs)
        node = _Node("td" if tag == "th" else tag, int(a.get("colspan") or 1), int(a.get("rowspan") or 1))
        if self.stack:
            self.stack[-1].children.append(node)
        elif self.root is None:
            self.root = node
        self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("table", "thead", "tbody", "tr", "td", "th") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1].tag == "td":
            self.stack[-1].content += data


def _tree(html: str) -> _Node:
    p = _TreeHTML()
    p.feed(html)
    return p.root or _Node("table")


def _count(n: _Node) -> int:
    return 1 + sum(_count(c) for c in n.children)


def teds(pred_html: str, gt_html: str, structure_only: bool = False) -> float:
    """Tree-edit-distance similarity (Zhong et al. 2020): 1 - TED / max(nodes); a td's rename cost is 1 when
    spans differ, else the normalized edit distance of the contents (0 for TEDS-S)."""
    from apted import APTED, Config

    class Cost(Config):  # type: ignore[misc]
        def rename(self, a: _Node, b: _Node) -> float:
            if a.tag != b.tag or a.colspan != b.colspan or a.rowspan != b.rowspan:
                return 1.0
            if a.tag == "td" and not structure_only:
                return ned(" ".join(a.content.split()), " ".join(b.content.split()))
            return 0.0

        def children(self, n: _Node) -> list[_Node]:
            return n.children

    p, g = _tree(pred_html), _tree(gt_html)
    dist = APTED(p, g, Cost()).compute_edit_distance()
    return 1.0 - dist / max(_count(p), _count(g))


def load_pubtabnet() -> list[tuple[str, Path, str]]:
    d = shared_data() / "pubtabnet_examples"
    items = []
    for line in (d / "examples_jsonl_set" / "PubTabNet_Examples.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        ex = json.loads(line)
        cells = iter(ex["html"]["cells"])
        parts = []
        for tok in ex["html"]["structure"]["tokens"]:
            parts.append(tok)
            if tok in ("<td>", ">"):
                parts.append(htmlmod.escape("".join(next(cells)["tokens"]), quote=False))
        items.append(
            (
                ex["filename"],
                d / "examples_jsonl_set" / ex["filename"],
                "<table>" + "".join(parts) + "</table>",
            )
        )
    gt = json.loads((d / "mini_val_set" / "gt_html.json").read_text())
    for name, v in sorted(gt.items()):
        items.append((name, d / "mini_val_set" / name, v["html"]))
    return items


def bench_teds(systems: Systems, engines: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Each table image OCRed once; its words and pixels go to every table engine (`--table-engines`)."""
    import cv2
    from PIL import Image

    from scriba.document import bbox_of
    from scriba.pipeline.table_engines import TableRecognizer
    from scriba.pipeline.tables import TableWord, looks_like_prose

    recognizers = {e: TableRecognizer(e) for e in engines}
    rows: dict[str, list[tuple[str, float, float, str, float]]] = {e: [] for e in engines}
    prose = 0  # tables the parser's check against running text would drop
    for name, path, gt in load_pubtabnet():
        img = np.asarray(Image.open(path).convert("RGB"))
        k = (
            2.0 if img.shape[0] < 1000 else 1.0
        )  # PubTabNet crops are small: upscale so short tokens are found
        img = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC)
        page = systems.ocr.ocr_image(img)
        words = [TableWord(w.text, bbox_of(w.polygon)) for w in page.words]
        prose += looks_like_prose([(x.text, bbox_of(x.polygon)) for x in page.lines])
        for e, recognize in recognizers.items():
            t = time.perf_counter()
            table = recognize(img, (0, 0, img.shape[1], img.shape[0]), words)
            secs = time.perf_counter() - t
            pred = table.to_html()
            rows[e].append((name, teds(pred, gt), teds(pred, gt, structure_only=True), table.method, secs))
    n = len(next(iter(rows.values())))
    lines = [
        f"TEDS on PubTabNet examples ({n} table images; OCR words + pixels -> each table engine -> HTML):",
        "",
        "| engine | set | tables | TEDS | TEDS-S (structure) | s/table (median) |",
        "|---|---|---|---|---|---|",
    ]
    for e, rs in rows.items():
        t_all, s_all = [r[1] for r in rs], [r[2] for r in rs]
        secs = statistics.median(r[4] for r in rs)
        for label, lo, hi in (("all", 0, n), ("examples_jsonl_set", 0, 20), ("mini_val_set", 20, n)):
            lines.append(
                f"| {e} | {label} | {hi - lo} | {np.mean(t_all[lo:hi]):.3f} | {np.mean(s_all[lo:hi]):.3f} | "
                f"{secs:.2f} |"
            )
    lines += ["", f"- {prose} of the {n} tables would be taken for running text by the parser's check against false tables."]
    for e, rs in rows.items():
        methods = sorted({r[3] for r in rs})
        counts = ", ".join(f"{sum(1 for r in rs if r[3] == m)} {m}" for m in methods)
        lines.append(f"- {e}: tables read as {counts}.")
    rendered_lines, rendered = bench_rendered_tables(recognizers)
    return lines + [""] + rendered_lines, {"per_table": rows, "rendered": rendered}


def bench_rendered_tables(recognizers: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Tables rendered here (benchmarks/table_render.py): a two-row header with row and column spans over
    5-60 body rows, drawn as a full grid, with paper-style rules only, or with no lines; the renderer's word
    boxes stand in for OCR, so only the structure and the word-to-cell matching are measured."""
    from table_render import render_table, synthetic_spec

    sizes = ((5, 4), (12, 5), (25, 6), (40, 6), (60, 5))
    out: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for ruling in ("grid", "rules", "none"):
        for k, (n_rows, n_cols) in enumerate(sizes):
            spec = synthetic_spec(n_rows, n_cols, seed=k)
            t = render_table(spec, header_rows=2, ruling=ruling, font_size=16, col_width=120, row_height=30)
            for e, recognize in recognizers.items():
                pred = recognize(t.image, (0, 0, t.image.shape[1], t.image.shape[0]), t.words).to_html()
                out.setdefault(e, {}).setdefault(ruling, []).append(
                    (teds(pred, t.html), teds(pred, t.html, structure_only=True))
                )
    lines = [
        (
            f"Rendered tables ({len(sizes)} sizes, {sizes[0][0]}-{sizes[-1][0]} body rows, per ruling style; "
            "renderer's word boxes instead of OCR):"
        ),
        "",
        "| engine | full grid TEDS / TEDS-S | paper rules TEDS / TEDS-S | no lines TEDS / TEDS-S |",
        "|---|---|---|---|",
    ]
    for e, by in out.items():
        cells = [f"{np.mean([a for a, _ in v]):.3f} / {np.mean([b for _, b in v]):.3f}" for v in by.values()]
        lines.append(f"| {e} | " + " | ".join(cells) + " |")
    return lines, out


def bench_teds_parse(engines: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The PubTabNet images through the whole parser (`Parser(ocr='always', table_engine=e)`: OCR, layout,
    the table region's crop to the engine); the first table block's HTML is scored, none scores as empty."""
    from PIL import Image

    from scriba import ParseOptions, Parser
    from scriba.pipeline.parse import TableOptions

    parsers = {e: Parser(ParseOptions(dpi=DPI, ocr_mode="always", table=TableOptions(engine=e))) for e in engines}
    rows: dict[str, list[tuple[str, float, float, bool]]] = {e: [] for e in engines}
    for name, path, gt in load_pubtabnet():
        img = np.asarray(Image.open(path).convert("RGB"))
        for e, parser in parsers.items():
            blocks = [b for b in parser(img).pages[0].blocks if b.kind == "table" and b.attributes.get("html")]
            pred = str(blocks[0].attributes["html"]) if blocks else "<table></table>"
            rows[e].append((name, teds(pred, gt), teds(pred, gt, structure_only=True), bool(blocks)))
    found = [all(rows[e][k][3] for e in engines) for k in range(len(rows[engines[0]]))]
    lines = [
        (
            f"Through the whole parser ({len(found)} PubTabNet images as pages; OCR, layout, the table region to "
            f"each engine); the layout model found the table in {sum(found)} of them, scored here:"
        ),
        "",
        "| engine | tables | TEDS | TEDS-S (structure) |",
        "|---|---|---|---|",
    ]
    for e, rs in rows.items():
        t = [r[1] for r, ok in zip(rs, found) if ok]
        s_ = [r[2] for r, ok in zip(rs, found) if ok]
        lines.append(f"| {e} | {len(t)} | {np.mean(t):.3f} | {np.mean(s_):.3f} |")
    return lines, {"per_table": rows}


# -- speed ---------------------------------------------------------------------------------------------------
def bench_speed(systems: Systems, repeats: int = 3) -> tuple[list[str], dict[str, Any]]:
    data = shared_data()
    d = data / "docling_pdf_regression" / "pdfs"
    born = [d / f for f in ("2305.03393v1-pg9.pdf", "multi_page.pdf", "normal_4pages.pdf", "redp5110_sampled.pdf", "amt_handbook_sample.pdf", "code_and_formula.pdf")]  # fmt: skip
    scans = [data / "olmocr_bench_sample" / "pdfs" / f for f in ("lincoln_letter.pdf", "buildingnotes.pdf")]
    scans.append(d / "ocr_test_scanned.pdf")
    from scriba.io.pdf import page_count

    def cpu_seconds() -> float:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def timed(fn: Callable[[], Any]) -> tuple[float, float]:
        t, c = time.perf_counter(), cpu_seconds()
        fn()
        return time.perf_counter() - t, cpu_seconds() - c

    out: dict[str, Any] = {}
    lines = [
        (
            "Speed (pages per second, median of "
            f"{repeats} rounds; engines alternate within each round, so machine load hits them alike). CPU "
            "seconds per page (user + system, all threads, subprocesses included) depend far less on the load:"
        ),
        "",
        "| pages | system | pages/s | ratio to scriba-parse | CPU s/page |",
        "|---|---|---|---|---|",
    ]
    for label, files, names in (
        ("born-digital", born, ["scriba-parse", "pdftotext", "ocr-sorted"]),
        ("scanned", scans, ["scriba-parse", "tesseract", "ocr-sorted"]),
    ):
        n_pages = sum(page_count(str(f), str(f)) for f in files)
        rates: dict[str, list[float]] = {n: [] for n in names}
        cpus: dict[str, list[float]] = {n: [] for n in names}
        for r in range(repeats):
            for n in names[r % len(names) :] + names[: r % len(names)]:
                runs = [timed(lambda f=f, n=n: systems.run(n, f, None)) for f in files]
                rates[n].append(n_pages / sum(w for w, _ in runs))
                cpus[n].append(sum(c for _, c in runs) / n_pages)
        med = {n: statistics.median(v) for n, v in rates.items()}
        cpu = {n: statistics.median(v) for n, v in cpus.items()}
        out[label] = {"pages": n_pages, "pages_per_s": med, "cpu_s_per_page": cpu}
        for n in names:
            lines.append(
                f"| {label} ({n_pages}) | {n} | {med[n]:.2f} | {med[n] / med['scriba-parse']:.2f} | {cpu[n]:.3f} |"
            )
    return lines, out


def bench_bigpdf(n_pages: int) -> tuple[list[str], dict[str, Any]]:
    """A generated n-page text PDF parsed page by page in a child process: peak RSS after 10% and at the end."""
    import tempfile

    from fpdf import FPDF

    tmp = Path(tempfile.mkdtemp()) / "big.pdf"
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for k in range(n_pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, f"Chapter {k + 1}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(
            0,
            6,
            (
                f"Page {k + 1} of a long generated report. "
                + "The quick brown fox jumps over the lazy dog. " * 6
                + "\n"
            )
            * 5,
        )
    pdf.output(str(tmp))
    marks, secs = _stream_parse_rss(tmp, n_pages)
    lines = [
        f"Long document: a generated {n_pages}-page text PDF parsed in one streaming pass: peak RSS "
        + ", ".join(f"{v} MB after {k} pages" for k, v in marks.items())
        + f"; {secs} s in all ({n_pages / secs:.1f} pages/s).",
    ]
    tmp.unlink()
    return lines, {"rss_mb": marks, "seconds": secs}


def _stream_parse_rss(pdf: Path, n_pages: int) -> tuple[dict[int, int], float]:
    """Parse `pdf` page by page with the default Parser in a child process: its peak RSS (MB) after 10% of the
    pages and at the end, and the seconds the parse took."""
    code = (
        "import resource, sys, time; from scriba import Parser\n"
        "from scriba.memory import return_large_blocks; return_large_blocks()  # as the scriba command does\n"
        "p = Parser(); t = time.perf_counter(); marks = {}\n"
        f"src = __import__('scriba.io.sources', fromlist=['x']).expand_inputs([{str(pdf)!r}])[0]\n"
        "for k, parsed in enumerate(p.iter_source(src), 1):\n"
        f"    if k in ({max(1, n_pages // 10)}, {n_pages}): marks[k] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
        "print(marks, round(time.perf_counter() - t, 1))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    marks_s, secs = res.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    return eval(marks_s), float(secs)  # our own child's dict literal


def bench_bigscan(n_pages: int) -> tuple[list[str], dict[str, Any]]:
    """An n-page image-only PDF (real scans, as `benchmarks/speed.py --rss-pages` makes it) parsed page by page
    in a child process (OCR, layout, tables on every page): peak RSS after 10% of the pages and at the end."""
    import tempfile

    from speed import scanned_pdf

    tmp = Path(tempfile.mkdtemp()) / "scanned.pdf"
    made_of = scanned_pdf(n_pages, tmp)
    marks, secs = _stream_parse_rss(tmp, n_pages)
    lines = [
        f"Long scanned document: a {n_pages}-page image-only PDF ({made_of}; 150 dpi) parsed in one streaming "
        "pass (OCR, layout and tables on every page): peak RSS "
        + ", ".join(f"{v} MB after {k} pages" for k, v in marks.items())
        + f"; {secs} s in all ({n_pages / secs:.2f} pages/s).",
    ]
    tmp.unlink()
    return lines, {"rss_mb": marks, "seconds": secs}


# -- main -----------------------------------------------------------------------------------------------------
def write_section(path: Path, body: str, section: str = SECTION) -> None:
    """Replace the section of the Markdown file that starts with `section` by `body` (or append it)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Scriba benchmarks\n"
    start = text.find(section)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + body.rstrip("\n") + "\n"
    else:
        nxt = text.find("\n## ", start + len(section))
        text = text[:start] + body.rstrip("\n") + "\n" + (text[nxt:] if nxt >= 0 else "")
    path.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", default="olmocr,docling,teds,lost,generated,speed,bigpdf,bigscan")
    ap.add_argument("--systems", default="scriba-parse,scriba-parse-ocr,ocr-sorted,pdftotext,tesseract")
    ap.add_argument("--big-pages", type=int, default=1000)
    ap.add_argument("--scan-pages", type=int, default=200, help="Pages of the bigscan section's scanned PDF.")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"))
    ap.add_argument("--json", default=None, help="Also write the raw results here.")
    ap.add_argument(
        "--table-engines", default="rules,slanet,auto", help="Table engines the teds section compares."
    )
    args = ap.parse_args()
    sections = args.sections.split(",")
    names = args.systems.split(",")
    systems = Systems()
    body = [SECTION, ""]
    raw: dict[str, Any] = {}
    t0 = time.perf_counter()
    for sec, fn in (
        ("olmocr", lambda: bench_olmocr(systems, names)),
        (
            "docling",
            lambda: bench_docling(
                systems,
                [n for n in names if n != "tesseract"] + (["tesseract"] if "tesseract" in names else []),
            ),
        ),
        ("teds", lambda: bench_teds(systems, args.table_engines.split(","))),
        ("teds-parse", lambda: bench_teds_parse(args.table_engines.split(","))),
        ("lost", lambda: bench_lost(systems.parser, shared_data(), strip_markdown)),
        ("generated", lambda: bench_generated(strip_markdown, ned, DPI)),
        ("speed", lambda: bench_speed(systems, args.repeats)),
        ("bigpdf", lambda: bench_bigpdf(args.big_pages)),
        ("bigscan", lambda: bench_bigscan(args.scan_pages)),
    ):
        if sec in sections:
            lines, raw[sec] = fn()
            body += lines + [""]
            print("\n".join(lines) + "\n", flush=True)
    body += [
        (
            f"Reproduce: `python benchmarks/parse.py --sections {args.sections}` "
            f"({time.perf_counter() - t0:.0f} s here; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)."
        ),
        "",
    ]
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1, default=str))
    if not args.no_write:
        write_section(Path(args.output), "\n".join(body))


if __name__ == "__main__":
    main()
