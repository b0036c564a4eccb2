"""Document parsing scored as OmniDocBench scores it (text edit distance with block matching, table TEDS,
display-formula edit distance, reading-order edit distance, overall), on pages we may use:

- rendered: pages rendered from text we control (benchmarks/omnidoc_pages.py): two- and three-column English
  articles, a Chinese article and a two-column Chinese page, an English-Chinese page, a report with a
  spanning-header table, a newspaper front page, a slide, a book page with running heads, an unruled financial
  statement, a coloured textbook page with a watermark, a Chinese exam page, a magazine page, a paper page with
  a numbered display equation;
- docling: the docling PDF fixtures with their ground-truth Markdown (Arabic ones left out: no model here reads
  Arabic);
- pubtabnet: the PubTabNet example table images with their HTML (tables only);
- rendered:AXIS (skew, curl, screen, light, scan; or rendered:clean): the rendered pages as images, put through
  the robustness benchmark's seeded capture distortions (benchmarks/distortions.py), parsed as photos or scans
  are: what the parser keeps of a page when the capture is bad.

Systems, each on the same pages: scriba-parse (text layer where usable, else OCR), scriba-parse-ocr (every page
OCRed, as a scan), scriba-ocr (plain `scriba ocr` Markdown), pdftotext (poppler), tesseract (5, eng+chi_sim
when installed, on the rendered page). Metrics are in omnidoc_metrics.py.

    python benchmarks/omnidoc.py                       # all sets; writes the section of docs/benchmarks.md
    python benchmarks/omnidoc.py --sets rendered --no-write
    python benchmarks/omnidoc.py --sets rendered:clean,rendered:scan --systems scriba-parse,tesseract --no-write
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from omnidoc_metrics import match_formulas, match_tables, match_text, overall, split_markdown
from omnidoc_pages import make_pages
from parse import load_pubtabnet, shared_data, teds, write_section

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Document parsing, OmniDocBench metrics"
DPI = 200
SYSTEMS = ("scriba-parse", "scriba-parse-ocr", "scriba-ocr", "pdftotext", "tesseract")


class Systems:
    """Each system turns a PDF or an image into Markdown."""

    def __init__(self) -> None:
        from scriba import OCR, ParseOptions, Parser

        self.parser = Parser(ParseOptions(dpi=DPI))
        self.parser_ocr = Parser(ParseOptions(dpi=DPI, ocr_mode="always"))
        self.ocr = OCR()
        langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False).stdout
        self.tess_lang = "eng+chi_sim" if "chi_sim" in langs.split() else "eng"

    def run(self, name: str, path: Path) -> str:
        if name == "scriba-parse":
            return self.parser(path).to_markdown()
        if name == "scriba-parse-ocr":
            return self.parser_ocr(path).to_markdown()
        if name == "scriba-ocr":
            return self.ocr(path).to_markdown()
        if name == "pdftotext":
            if path.suffix.lower() != ".pdf":
                return ""
            cmd = ["pdftotext", "-enc", "UTF-8", str(path), "-"]
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        if name == "tesseract":
            import pytesseract

            return "\n\n".join(pytesseract.image_to_string(img, lang=self.tess_lang) for img in _images(path))
        raise ValueError(name)


def _images(path: Path) -> list[np.ndarray]:
    from PIL import Image

    if path.suffix.lower() != ".pdf":
        from PIL import ImageSequence

        with Image.open(path) as img:
            return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(img)]
    from scriba.io.pdf import iter_pdf_pages

    return [img for _, img in iter_pdf_pages(str(path), str(path), DPI, None)]


def _score(gt_md: str, pred_md: str) -> dict[str, list[float]]:
    gt, pred = split_markdown(gt_md), split_markdown(pred_md)
    out: dict[str, list[float]] = {"tables": match_tables(gt.tables, pred.tables, teds),
                                   "formulas": match_formulas(gt.formulas, pred.formulas),
                                   "found": [float(len(pred.tables))]}  # fmt: skip
    if gt.texts:
        m = match_text(gt.texts, pred.texts)
        out["text"], out["order"] = [m.edit], [m.order]
    return out


def _docs(set_name: str, workdir: Path) -> list[tuple[str, Path, str]]:
    if set_name == "rendered":
        return make_pages(workdir / "rendered")
    if set_name == "docling":
        d = shared_data() / "docling_pdf_regression"
        return [
            (p.stem, p, (d / "groundtruth" / f"{p.stem}.md").read_text(encoding="utf-8"))
            for p in sorted((d / "pdfs").glob("*.pdf"))
            if (d / "groundtruth" / f"{p.stem}.md").is_file() and not p.stem.startswith("right_to_left")
        ]
    if set_name == "pubtabnet":
        return [(name, path, html) for name, path, html in load_pubtabnet()]
    if set_name.startswith("rendered:"):
        return _distorted(set_name.split(":", 1)[1], workdir)
    raise ValueError(set_name)


def _distorted(axis: str, workdir: Path) -> list[tuple[str, Path, str]]:
    """The rendered pages as PNG images at DPI, each put through one seeded distortion ('clean': none)."""
    from distortions import AXES, EXTRA_AXES
    from PIL import Image

    distort = {**AXES, **EXTRA_AXES}.get(axis) if axis != "clean" else None
    if axis != "clean" and distort is None:
        raise SystemExit(f"unknown distortion {axis!r}; known: clean, {', '.join([*AXES, *EXTRA_AXES])}")
    out = workdir / f"rendered-{axis}"
    out.mkdir(parents=True, exist_ok=True)
    docs = []
    for k, (name, pdf, gt) in enumerate(make_pages(workdir / "rendered")):
        # Every page the ground truth covers (an article running onto a second page: a multi-page TIFF).
        pages = _images(pdf)
        if distort is not None:
            pages = [distort(img, DPI, np.random.default_rng(1000 + k + 100 * j)) for j, img in enumerate(pages)]
        frames = [Image.fromarray(img) for img in pages]
        path = out / (f"{name}.png" if len(frames) == 1 else f"{name}.tif")
        if len(frames) == 1:
            frames[0].save(path)
        else:
            frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_deflate")
        docs.append((name, path, gt))
    return docs


def run_set(set_name: str, systems: Systems, names: list[str], workdir: Path) -> dict[str, dict[str, list[float]]]:
    scores = {n: {"text": [], "order": [], "tables": [], "formulas": [], "found": [], "seconds": []} for n in names}
    for doc, path, gt_md in _docs(set_name, workdir):
        for n in names:
            if n == "pdftotext" and path.suffix.lower() != ".pdf":
                continue
            t0 = time.perf_counter()
            try:
                md = systems.run(n, path)
            except Exception as exc:  # noqa: BLE001 - a system that fails on a document scores nothing there
                print(f"{set_name}/{doc}: {n} failed: {exc}", file=sys.stderr)
                md = ""
            scores[n]["seconds"].append(time.perf_counter() - t0)
            for k, v in _score(gt_md, md).items():
                scores[n][k] += v
        print(f"{set_name}/{doc} done", file=sys.stderr, flush=True)
    return scores


def _row(name: str, s: dict[str, list[float]]) -> str:
    def mean(k: str) -> float | None:
        return float(np.mean(s[k])) if s[k] else None

    def fmt(v: float | None, scale: float = 1.0, digits: int = 3) -> str:
        return "-" if v is None else f"{v * scale:.{digits}f}"

    text, teds_v, form, order = mean("text"), mean("tables"), mean("formulas"), mean("order")
    score = overall(text, teds_v, form) if None not in (text, teds_v, form) else None
    return (f"| {name} | {fmt(text)} | {fmt(teds_v, 100, 1)} ({len(s['tables'])}) | {sum(s['found']):.0f} "
            f"| {fmt(form)} ({len(s['formulas'])}) | {fmt(order)} | {fmt(score, 1, 1)} | {fmt(mean('seconds'), 1, 2)} |")  # fmt: skip


def table(set_name: str, scores: dict[str, dict[str, list[float]]], docs: int) -> list[str]:
    return [
        f"**{set_name}** ({docs} documents):",
        "",
        "| system | text edit | table TEDS (tables) | tables found | formula edit (formulas) | reading-order edit | overall | s/doc |",
        "|---|---|---|---|---|---|---|---|",
        *[_row(n, s) for n, s in scores.items() if s["seconds"]],
        "",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="rendered,docling,pubtabnet")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"))
    args = ap.parse_args()
    names = args.systems.split(",")
    systems = Systems()
    body = [SECTION, "", _INTRO, ""]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for set_name in args.sets.split(","):
            scores = run_set(set_name, systems, names, Path(tmp))
            lines = table(set_name, scores, len(_docs(set_name, Path(tmp))))
            body += lines
            print("\n".join(lines), flush=True)
    took = time.perf_counter() - t0
    body += [f"Reproduce: `python benchmarks/omnidoc.py --sets {args.sets}` ({took:.0f} s here, 2 cores).", ""]
    if not args.no_write:
        write_section(Path(args.output), "\n".join(body), SECTION)


_INTRO = (
    "Scored as OmniDocBench's end-to-end evaluation scores a page (`benchmarks/omnidoc_metrics.py`): text blocks "
    "matched to the ground truth's by least edit distance (split and merged paragraphs joined), compared on word "
    "characters only; tables by TEDS; display formulas by normalized edit distance of the LaTeX; reading order "
    "by the edit distance of the matched blocks' order. Overall = ((1 - text edit) x 100 + TEDS + (1 - formula "
    "edit) x 100) / 3 (the leaderboard's formula score is CDM). Lower is better for edit distances. The docling "
    "ground truth is Docling's own reviewed output, not independent annotation."
)


if __name__ == "__main__":
    main()
