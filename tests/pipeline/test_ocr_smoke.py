"""Real inference on a rendered page: exact text, in reading order."""

import pytest

from scriba.pipeline.ocr import OCROptions
from scriba.pipeline.parse import ParseOptions
from tests.conftest import render_lines


def test_reads_rendered_lines_exactly(ocr_engine) -> None:
    lines = ["Invoice 2026-11-23 total $1,234.56", "The quick brown fox jumps over the lazy dog"]
    doc = ocr_engine(render_lines(lines))
    assert [line.text for line in doc.pages[0].lines] == lines


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"dpi": 0}, "dpi must be positive"),
        ({"threads": -2}, "threads and rec_workers"),
        ({"det_limit_side_len": 16}, "det_limit_side_len must be at least 32"),
    ],
)
def test_options_out_of_range_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OCROptions(**options)
    if "dpi" in options:
        with pytest.raises(ValueError, match=message):
            ParseOptions(**options)
