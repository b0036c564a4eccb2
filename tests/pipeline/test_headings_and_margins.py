"""Born-digital structure read from the text layer's fonts and directions: bold subheadings a layout region
holds with their paragraph become headings; a stamp running up the side margin stays out of the body."""

from __future__ import annotations

from pathlib import Path

from scriba import BlockKind, ParseOptions, Parser
from tests.conftest import FONTS
from tests.pipeline.parse_fixtures import _canvas

BODY = [
    "In November the board issued a new accounting standard requiring disclosures of",
    "significant expenses in operating segments. We adopted this standard in our annual",
    "report, and refer to the notes of the consolidated statements for further information.",
]
STAMP = "Downloaded from archive.example.org at 6:51 on Monday November 11th 2019"


def _report(path: Path, heading_font: str = "SerifBold") -> Path:
    c, (_, h) = _canvas(path)
    if heading_font == "SerifItalic":
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("SerifItalic", str(FONTS["serif"]).replace("Regular", "Italic")))
    y = h - 90
    for heading, body in (("Recently Adopted Accounting Pronouncements", BODY), ("Business Combination", BODY)):
        c.setFont(heading_font, 11)
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


def test_italic_run_in_subheadings_are_headings(tmp_path: Path) -> None:
    # Books and manuals set subheadings in italics over their paragraph, with no space between.
    doc = Parser(ParseOptions(dpi=144))(_report(tmp_path / "manual.pdf", "SerifItalic"))
    md = doc.to_markdown()
    assert "## Recently Adopted Accounting Pronouncements\n\nIn November the board" in md
    assert "## Business Combination\n\nIn November the board" in md


def test_numbered_section_heading_at_the_top_is_a_heading_not_a_running_head() -> None:
    """The layout model may call a section heading at the top of a column a header; a numbered heading set
    above the body size is a heading, while a running head with its page number stays out of the body."""
    from scriba import Document, Page
    from scriba.document import Line, polygon_of_bbox
    from scriba.pipeline.layout_order import Region, assemble_page

    def line(text: str, y: float, height: float, x1: float = 1400) -> Line:
        return Line(text, 1.0, polygon_of_bbox(170, y, x1, y + height))

    body = [line(t, 260 + 36 * k, 27) for k, t in enumerate(BODY)]
    for heading, kept in (("2 Method", True), ("12 Introduction", False)):
        top = line(heading, 180, 33 if kept else 25, 420)
        blocks = assemble_page([Region("header", (160, 175, 430, 220))], [top, *body], 1654, 2339)
        md = Document(pages=[Page(width=1654, height=2339, blocks=blocks)]).to_markdown()
        assert (f"## {heading}" in md) is kept, md
        assert BODY[0] in md


def test_a_foot_row_of_short_pieces_far_apart_is_a_footer_without_a_page_number() -> None:
    """A manual's last row "Revision: 2.4 ... P/N 119-036 ... 10 June 2019" stands apart from the text: a running
    foot, out of the body. A last row of a form's labels (no figure) or one set close under the text stays."""
    from scriba import Document, Page
    from scriba.document import Line, polygon_of_bbox
    from scriba.pipeline.layout_order import assemble_page

    def line(text: str, x: float, y: float, width: float = 1230) -> Line:
        return Line(text, 1.0, polygon_of_bbox(x, y, x + width, y + 27))

    body = [line(t, 170, 1900 + 36 * k) for k, t in enumerate(BODY)]  # the last ends at y 1999
    for foot, y, kept in (
        (["Revision: 2.4", "P/N 119-036", "10 June 2019"], 2100, False),
        (["Signature", "Approved by", "Checked by"], 2100, True),
        (["Revision: 2.4", "P/N 119-036", "10 June 2019"], 2010, True),
    ):
        row = [line(t, x, y, 200) for t, x in zip(foot, (170, 720, 1200))]
        blocks = assemble_page([], [*body, *row], 1654, 2339)
        md = Document(pages=[Page(width=1654, height=2339, blocks=blocks)]).to_markdown()
        assert ("P/N 119-036" in md or "Approved by" in md) is kept, md
        assert BODY[2] in md
        if not kept:
            assert [b.kind for b in blocks if "Revision" in b.text] == [BlockKind.FOOTER]
