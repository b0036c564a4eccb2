"""Real inference on a rendered page: exact text, in reading order."""

from tests.conftest import render_lines


def test_reads_rendered_lines_exactly(ocr_engine) -> None:
    lines = ["Invoice 2026-11-23 total $1,234.56", "The quick brown fox jumps over the lazy dog"]
    doc = ocr_engine(render_lines(lines))
    assert [line.text for line in doc.pages[0].lines] == lines
