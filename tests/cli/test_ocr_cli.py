"""The real `scriba` command in a subprocess: outputs, --no-detect, models, and bad inputs in a batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.conftest import FONTS, font, render_lines
from tests.export.schema import check_document
from tests.io.bad_files import BAD_INPUTS, absurd_mediabox, pdf_with_broken_page, unreadable

PAGE_LINES = ["Command line pages", "are read line by line."]


def scriba(*args: str, home: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point (the venv's `scriba` script, else `python -m scriba.cli.main`)."""
    script = Path(sys.executable).parent / "scriba"
    cmd = [str(script)] if script.is_file() else [sys.executable, "-m", "scriba.cli.main"]
    env = {**os.environ, "SCRIBA_HOME": str(home)}
    return subprocess.run([*cmd, *args], check=False, capture_output=True, text=True, env=env, timeout=timeout)


def assert_clean_stderr(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli_inputs")
    page = d / "page.png"
    Image.fromarray(render_lines(PAGE_LINES, size=34, width=900)).save(page)
    words = []
    f = font("serif", 36)
    for k, word in enumerate(["Invoice", "Total:", "42.50"]):
        # A word crop as a detector would cut it: the ink's box with a few pixels of margin.
        x0, y0, x1, y1 = f.getbbox(word)
        img = Image.new("RGB", (x1 - x0 + 16, y1 - y0 + 16), "white")
        ImageDraw.Draw(img).text((8 - x0, 8 - y0), word, font=f, fill="black")
        words.append(d / f"word{k}.png")
        img.save(words[-1])
    report = d / "report.pdf"
    _two_page_pdf(report)
    return {"page": page, "report": report, "word0": words[0], "word1": words[1], "word2": words[2]}


def _two_page_pdf(path: Path) -> None:
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if not FONTS["sans"].is_file():
        pytest.skip("DejaVu fonts missing")
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONTS["sans"])))
    c = canvas.Canvas(str(path), pagesize=A5)
    for text in ("First page of the report", "Second page of the report"):
        c.setFont("DejaVuSans", 16)
        c.drawString(50, A5[1] - 80, text)
        c.showPage()
    c.save()


def test_one_input_prints_text(files: dict[str, Path], tmp_path: Path) -> None:
    res = scriba("ocr", str(files["page"]), home=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "\n".join(PAGE_LINES) + "\n"
    assert_clean_stderr(res.stderr)


def test_exact_mode_reads_the_same_page(files: dict[str, Path], tmp_path: Path) -> None:
    res = scriba("ocr", str(files["page"]), "--exact", home=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "\n".join(PAGE_LINES) + "\n"
    old = scriba("ocr", str(files["page"]), "--fast", home=tmp_path)  # the old flag still parses
    assert old.returncode == 0 and old.stdout == res.stdout


def test_enhance_and_unwarp_off_read_a_clean_page_the_same(files: dict[str, Path], tmp_path: Path) -> None:
    res = scriba("ocr", str(files["page"]), "--enhance", "off", "--unwarp", "off", home=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "\n".join(PAGE_LINES) + "\n"


def test_output_folder_gets_one_file_per_input_and_format(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = scriba(
        "ocr", str(files["page"]), str(files["report"]), "-o", str(out), "-f", "text,json,hocr,md,overlay",
        "--dpi", "120", home=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ["page.txt", "page.json", "page.hocr", "page.md", "page.png"]
        + ["report.txt", "report.json", "report.hocr", "report.md", "report_p1.png", "report_p2.png"]
    )
    assert (out / "page.txt").read_text() == "\n".join(PAGE_LINES) + "\n"
    report = json.loads((out / "report.json").read_text())
    check_document(report)
    assert [p["text"] for p in report["pages"]] == ["First page of the report", "Second page of the report"]
    assert abs(report["pages"][0]["width"] - 148 / 25.4 * 120) <= 1  # A5 width at --dpi 120
    assert (out / "page.md").read_text() == " ".join(PAGE_LINES) + "\n"
    assert "ocrx_word" in (out / "report.hocr").read_text()
    with Image.open(out / "report_p2.png") as img:
        assert img.size == (report["pages"][1]["width"], report["pages"][1]["height"])


def test_pdf_page_range_and_json_on_stdout(files: dict[str, Path], tmp_path: Path) -> None:
    res = scriba("ocr", str(files["report"]), "--pages", "2", "--dpi", "100", "-f", "json", home=tmp_path)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    check_document(data)
    assert [(p["index"], p["text"]) for p in data["pages"]] == [(1, "Second page of the report")]


def test_page_ranges_past_the_end_or_malformed_fail_in_one_line(files: dict[str, Path], tmp_path: Path) -> None:
    # Past the end of this 2-page PDF: that input fails (named), the page given with it is still read.
    res = scriba("ocr", str(files["report"]), str(files["page"]), "--pages", "3-", home=tmp_path)
    assert res.returncode == 1
    assert_clean_stderr(res.stderr)
    assert res.stderr.strip().splitlines() == [
        f"scriba: error: {files['report']}: the page range '3-' selects none of the document's 2 pages"
    ]
    assert "Command line pages" in res.stdout
    # Malformed: refused before anything is read.
    for spec, reason in (("a-b", "use e.g. 1-3,5"), ("2-1", "2-1 ends before it starts"), ("0", "pages start at 1")):
        res = scriba("ocr", str(files["report"]), "--pages", spec, home=tmp_path)
        assert res.returncode == 2 and res.stdout == ""
        assert res.stderr.strip().splitlines() == [f"scriba: error: invalid page range {spec!r}; {reason}"]


def test_no_detect_prints_one_line_per_input(files: dict[str, Path], tmp_path: Path) -> None:
    res = scriba("ocr", "--no-detect", str(files["word0"]), str(files["word1"]), str(files["word2"]), home=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["Invoice", "Total:", "42.50"]


def test_models_json_lists_both_models_with_checksums(tmp_path: Path) -> None:
    res = scriba("models", "--json", home=tmp_path)
    assert res.returncode == 0, res.stderr
    models = {m["name"]: m for m in json.loads(res.stdout)}
    assert {"ppocrv5", "ppocrv4"} <= set(models)
    for name in ("ppocrv5", "ppocrv4"):
        files = models[name]["files"]
        assert {"det", "rec", "cls"} <= set(files)
        for f in files.values():
            assert len(f["sha256"]) == 64 and Path(f["path"]).is_file()


def test_models_listing_keeps_names_apart_from_descriptions(tmp_path: Path) -> None:
    names = [m["name"] for m in json.loads(scriba("models", "--json", home=tmp_path).stdout)]
    lines = scriba("models", home=tmp_path).stdout.splitlines()
    assert len(lines) == len(names)
    for name, line in zip(names, lines):  # "scriba-en-receipts" (18 letters) ran into its description
        assert line.startswith(name + "  ") and line.split()[0] == name


def test_register_a_model_then_use_it(files: dict[str, Path], tmp_path: Path) -> None:
    listing = json.loads(scriba("models", "--json", home=tmp_path).stdout)
    v5 = next(m for m in listing if m["name"] == "ppocrv5")["files"]
    rec, keys = v5["rec"]["path"], v5["keys"]["path"]
    res = scriba(
        "models", "register", "my-rec", "--rec", rec, "--keys", keys, "--description", "test copy", home=tmp_path
    )
    assert res.returncode == 0, res.stderr
    assert "my-rec" in scriba("models", home=tmp_path).stdout
    res = scriba("ocr", str(files["page"]), "--model", "my-rec", home=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "\n".join(PAGE_LINES) + "\n"


def test_a_broken_registered_model_fails_with_one_line_naming_it(files: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken_rec.onnx"
    broken.write_bytes(b"this is not an ONNX graph" * 40)
    res = scriba("models", "register", "broken", "--rec", str(broken), home=tmp_path)
    assert res.returncode == 0, res.stderr
    res = scriba("ocr", str(files["page"]), "--model", "broken", home=tmp_path)
    assert res.returncode != 0
    assert_clean_stderr(res.stderr)
    assert "broken_rec.onnx" in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_unknown_model_lists_the_known_ones(files: dict[str, Path], tmp_path: Path) -> None:
    res = scriba("ocr", str(files["page"]), "--model", "no-such-model", home=tmp_path)
    assert res.returncode != 0
    assert res.stdout == ""
    assert_clean_stderr(res.stderr)
    assert "no-such-model" in res.stderr and "ppocrv5" in res.stderr and "ppocrv4" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_bad_inputs_fail_one_line_each_and_the_batch_goes_on(files: dict[str, Path], tmp_path: Path) -> None:
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = {kind: writer(bad_dir) for kind, (writer, _) in BAD_INPUTS.items()}
    if os.geteuid() != 0:  # root reads chmod 000 files anyway
        bad["unreadable"] = unreadable(bad_dir)
    out = tmp_path / "out"
    inputs = [str(bad["missing"]), str(files["page"]), *(str(p) for k, p in bad.items() if k != "missing")]
    inputs.append(str(files["report"]))
    res = scriba("ocr", *inputs, "-o", str(out), "-f", "text,json", home=tmp_path)
    assert res.returncode != 0
    assert_clean_stderr(res.stderr)
    err_lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(err_lines) == len(bad), res.stderr
    for kind, path in bad.items():
        (line,) = [ln for ln in err_lines if str(path) in ln]
        words = BAD_INPUTS[kind][1] if kind in BAD_INPUTS else ("cannot read",)
        assert any(w.lower() in line.lower() for w in words), line
    # The good inputs around the bad ones were still read and written.
    assert (out / "page.txt").read_text() == "\n".join(PAGE_LINES) + "\n"
    assert json.loads((out / "report.json").read_text())["pages"][1]["text"] == "Second page of the report"
    assert sorted(p.name for p in out.iterdir()) == ["page.json", "page.txt", "report.json", "report.txt"]


@pytest.mark.parametrize("kind", ["truncated-png", "encrypted-pdf"])
def test_single_bad_input_to_stdout(tmp_path: Path, kind: str) -> None:
    path = BAD_INPUTS[kind][0](tmp_path)
    res = scriba("ocr", str(path), home=tmp_path)
    assert res.returncode != 0 and res.stdout == ""
    assert_clean_stderr(res.stderr)
    (line,) = res.stderr.strip().splitlines()
    assert str(path) in line


def test_no_detect_with_a_bad_input(files: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "gone.png"
    res = scriba("ocr", "--no-detect", str(files["word0"]), str(missing), str(files["word2"]), home=tmp_path)
    assert res.returncode != 0
    assert res.stdout.splitlines() == ["Invoice", "42.50"]
    assert str(missing) in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ocr", "{report}", "--dpi", "0"], "--dpi must be at least 1, not 0"),
        (["ocr", "{page}", "--det-limit", "0"], "--det-limit must be at least 32, not 0"),
        (["ocr", "{page}", "--threads", "-1"], "--threads must be at least 0, not -1"),
        (["ocr", "{page}", "-o", "{page}"], "cannot use {page} as the output folder (File exists)"),
        (["parse", "{report}", "-o", "{tmp}/p", "--dpi", "-5"], "--dpi must be at least 1, not -5"),
        (["batch", "{page}", "-o", "{page}"], "cannot use {page} as the output folder (File exists)"),
        (["bench", "{page}", "--repeats", "0"], "--repeats must be at least 1, not 0"),
        (["ocr", "{page}", "--enhance", "sharp"], "--enhance must be auto or off, not 'sharp'"),
        (["ocr", "{page}", "--unwarp", "yes"], "--unwarp must be auto, on or off, not 'yes'"),
        (["serve", "--port", "70000"], "--port must be between 0 and 65535, not 70000"),
    ],
)
def test_out_of_range_options_fail_in_one_line(
    files: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    """Before, --dpi 0 on a PDF and an output path that is a file ended in tracebacks, and --det-limit 0
    silently detected nothing."""
    names = {"report": str(files["report"]), "page": str(files["page"]), "tmp": str(tmp_path)}
    res = scriba(*(a.format(**names) for a in args), home=tmp_path)
    assert res.returncode == 2 and res.stdout == ""
    assert_clean_stderr(res.stderr)
    assert res.stderr.strip().splitlines() == [f"scriba: error: {message.format(**names)}"]


def _piped(args: list[str], data: bytes, home: Path) -> subprocess.CompletedProcess[bytes]:
    script = Path(sys.executable).parent / "scriba"
    cmd = [str(script)] if script.is_file() else [sys.executable, "-m", "scriba.cli.main"]
    env = {**os.environ, "SCRIBA_HOME": str(home)}
    return subprocess.run([*cmd, *args], input=data, capture_output=True, env=env, timeout=300, check=False)


def test_standard_input_is_read_with_a_dash(files: dict[str, Path], tmp_path: Path) -> None:
    res = _piped(["ocr", "-"], files["page"].read_bytes(), tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == PAGE_LINES
    # A PDF from stdin, into an output folder: named after stdin.
    res = _piped(["ocr", "-", "--pages", "2", "-o", str(tmp_path / "out")], files["report"].read_bytes(), tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "stdin.txt").read_text().strip() == "Second page of the report"
    # Nothing piped: one line naming standard input.
    res = _piped(["ocr", "-"], b"", tmp_path)
    assert res.returncode == 1 and res.stderr.decode().strip() == "scriba: error: <stdin>: input is empty"
    res = _piped(["ocr", "-", "-"], b"", tmp_path)
    assert res.returncode == 2 and "only once" in res.stderr.decode()


def test_a_pdf_page_that_fails_to_load_loses_nothing_else(files: dict[str, Path], tmp_path: Path) -> None:
    broken = pdf_with_broken_page(tmp_path / "broken.pdf", ["Page one here", "Page two here", "Page three here"], 1)
    giant = absurd_mediabox(tmp_path)
    out = tmp_path / "out"
    res = scriba("ocr", str(broken), str(giant), str(files["page"]), "-o", str(out), "-f", "text", home=tmp_path)
    assert res.returncode == 1
    assert_clean_stderr(res.stderr)
    assert res.stderr.splitlines() == [
        f"scriba: error: {broken}: page 2: unreadable (Failed to get page size by index.)",
        (
            f"scriba: error: {giant}: page 2: size 9999999 x 9999999 pt is beyond PDF's limit of 14400 pt (200 in) "
            "per side; not rendered"
        ),
    ]
    assert (out / "broken.txt").read_text().split() == ["Page", "one", "here", "Page", "three", "here"]
    assert (out / "giant.txt").read_text() == "Normal first page\n"
    assert (out / "page.txt").read_text() == "\n".join(PAGE_LINES) + "\n"


def test_a_file_name_that_is_not_utf8(files: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/caf\xe9.png"
    (Path(os.fsdecode(raw))).write_bytes(files["page"].read_bytes())
    out = tmp_path / "out"
    res = scriba("ocr", str(folder), "-o", str(out), "-f", "json,text", home=tmp_path)
    assert res.returncode == 0, res.stderr
    assert_clean_stderr(res.stderr)
    # Outputs are named after the file's own bytes; inside them the name is shown with \xNN escapes.
    assert sorted(os.listdir(os.fsencode(out))) == [b"caf\xe9.json", b"caf\xe9.txt"]
    doc = json.loads(Path(os.fsdecode(os.fsencode(out) + b"/caf\xe9.json")).read_text())
    assert doc["pages"][0]["source"].endswith("caf\\xe9.png")
    assert doc["pages"][0]["text"] == "\n".join(PAGE_LINES)
