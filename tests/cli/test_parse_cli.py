"""`scriba parse` end to end: output files, figure crops, overlays, bad inputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from scriba.cli.main import app
from tests.io.bad_files import absurd_mediabox, pdf_with_broken_page, thin
from tests.pipeline.parse_fixtures import FIGURE_CAPTION, TITLE, article_pdf, figure_pdf


def test_parse_writes_markdown_json_figures_and_overlays(tmp_path: Path) -> None:
    pdf = figure_pdf(tmp_path / "report.pdf")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["parse", str(pdf), "-o", str(out), "--visualize", "--dpi", "144"])
    assert result.exit_code == 0, result.output
    md = (out / "report.md").read_text()
    assert f"![figure](report_figures/page1_figure1.png)\n\n*{FIGURE_CAPTION}*" in md
    crop = Image.open(out / "report_figures" / "page1_figure1.png")
    assert crop.width > 300 and crop.height > 200  # the chart at 144 dpi, not a sliver
    doc = json.loads((out / "report.json").read_text())
    figure = next(b for b in doc["pages"][0]["blocks"] if b["type"] == "figure")
    assert figure["image"] == "report_figures/page1_figure1.png" and figure["caption"] == FIGURE_CAPTION
    assert doc["pages"][0]["metadata"]["method"] == "text-layer"
    assert (out / "report_layout_p1.png").is_file()


def test_bad_inputs_give_one_line_each_and_the_batch_goes_on(tmp_path: Path) -> None:
    good = article_pdf(tmp_path / "good.pdf")
    locked = article_pdf(tmp_path / "locked.pdf", encrypt="pw")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(good.read_bytes()[:500])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["parse", str(locked), str(broken), str(good), "-o", str(out), "--pages", "1"]
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("scriba: error:")]
    assert len(errors) == 2
    assert "locked.pdf: PDF is encrypted; pass its password (--password)" in errors[0]
    assert "broken.pdf: corrupt or truncated PDF" in errors[1]
    assert "Traceback" not in result.output
    assert (out / "good.md").read_text().startswith(f"# {TITLE}\n")
    again = CliRunner().invoke(
        app, ["parse", str(locked), "-o", str(out), "--pages", "1", "--password", "pw"]
    )
    assert again.exit_code == 0 and (out / "locked.md").read_text().startswith(f"# {TITLE}\n")


def test_unknown_ocr_mode_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["parse", "x.pdf", "-o", str(tmp_path), "--ocr", "sometimes"])
    flat = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "Invalid value for '--ocr'" in flat and "'sometimes' is not one of" in flat


def test_unreadable_and_absurd_pdf_pages_are_named_and_the_rest_parsed(tmp_path: Path) -> None:
    broken = pdf_with_broken_page(tmp_path / "broken.pdf", ["Page one here", "Page two here", "Page three here"], 1)
    giant = absurd_mediabox(tmp_path)
    thin_png = thin(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["parse", str(broken), str(giant), str(thin_png), "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert f"scriba: warning: {broken}: page 2 failed: unreadable (Failed to get page size by index.)" in lines
    assert any(ln.startswith(f"scriba: warning: {giant}: page 2 failed: size 9999999 x 9999999 pt") for ln in lines)
    assert f"scriba: error: {thin_png}: image is 100000x1, above the limit of 65535 pixels per side" in lines
    doc = json.loads((out / "broken.json").read_text())
    assert [p.get("error") is None for p in doc["pages"]] == [True, False, True]
    assert json.loads((out / "giant.json").read_text())["pages"][0]["width"] == 1700
    assert sorted(p.name for p in out.iterdir()) == ["broken.json", "broken.md", "giant.json", "giant.md"]


def test_parser_options_are_flags(tmp_path: Path) -> None:
    """The nested parser options reach the parser from the command line: tables off, an OCR-only page read
    with PaddleOCR's exact batches and no line classifier."""
    pdf = article_pdf(tmp_path / "article.pdf")
    out = tmp_path / "out"
    args = ["parse", str(pdf), "-o", str(out), "--pages", "2", "--dpi", "144", "--no-tables", "--ocr", "always",
            "--exact", "--no-classifier"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "article.json").read_text())
    page = doc["pages"][0]
    assert page["metadata"]["method"] == "ocr"
    table = next(b for b in page["blocks"] if b["type"] == "table")
    assert table.get("html") is None and "Region" in table["text"]
    assert "<table>" not in (out / "article.md").read_text()
