"""Born-digital structure read from the text layer's fonts and directions: bold subheadings a layout region
holds with their paragraph become headings; a stamp running up the side margin stays out of the body."""

from __future__ import annotations

from pathlib import Path

from scriba import BlockKind, ParseOptions, Parser
from tests.pipeline.parse_fixtures import _canvas

BODY = [
    "In November the board issued a new accounting standard requiring disclosures of",
    "significant expenses in operating segments. We adopted this standard in our annual",
    "report, and refer to the notes of the consolidated statements for further information.",
]
STAMP = "Downloaded from archive.example.org at 6:51 on Monday November 11th 2019"


def _report(path: Path) -> Path:
    c, (_, h) = _canvas(path)
    y = h - 90
    for heading, body in (("Recently Adopted Accounting Pronouncements", BODY), ("Business Combination", BODY)):
        c.setFont("SerifBold", 11)
        c.drawString(72, y, heading)
        y -= 15
        c.setFont("Serif", 11)
        for line in body:
            c.drawString(72, y, line)
            y -= 15
        y -= 12
    c.saveState()
    c.translate(30, 200)
    c.rotate(90)  # reads upwards along the left margin
    c.setFont("Serif", 8)
    c.drawString(0, 0, STAMP)
    c.restoreState()
    c.showPage()
    c.save()
    return path


def test_bold_subheadings_and_side_stamp(tmp_path: Path) -> None:
    doc = Parser(ParseOptions(dpi=144))(_report(tmp_path / "report.pdf"))
    md = doc.to_markdown()
    assert "## Recently Adopted Accounting Pronouncements\n\nIn November the board" in md
    assert "## Business Combination\n\nIn November the board" in md
    assert "Downloaded from" not in md
    stamp = [b for b in doc.pages[0].blocks if b.text == STAMP]
    assert len(stamp) == 1 and stamp[0].kind is BlockKind.HEADER  # kept in JSON, read as one line
