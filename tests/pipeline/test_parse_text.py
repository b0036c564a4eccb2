"""The parser keeps and joins text right: text inside figures reaches the Markdown, CJK lines join without
spaces, hyphenated breaks mend, a paragraph cut by a page break is one paragraph, TeX fragments of a PDF's
text layer never become `$...$`, and prose set in columns is not a table."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from scriba import ParseOptions, Parser
from scriba.document import Block, Line, bbox_of, polygon_of_bbox
from scriba.export.prose import join_lines
from scriba.io.textlayer import read_text_layer
from scriba.pipeline.tables import looks_like_prose
from tests.conftest import font
from tests.pipeline.parse_fixtures import FIGURE_CAPTION, FIGURE_LABELS, LEFT, _canvas, _paragraph, figure_pdf

CJK_PAIR = re.compile(r"[\u4e00-\u9fff，。] +[\u4e00-\u9fff，。]")
# Chinese paragraphs, each broken over lines in the middle of a clause.
ZH = [
    "这个跨越三十年的研究项目记录了城市河流的水质变化，研究人员每个月在十二个地点采集样本，并把结果整理成公开的数据集。",
    "结果表明，工业排放减少以后，河水中的重金属含量逐年下降，而生活污水处理能力的提高也让夏季的藻类爆发明显减少。",
    "作者最后指出，长期监测需要稳定的资金和统一的方法，否则不同年份的数据就很难直接比较。",
]
# Prose long enough to fill three columns; every paragraph ends with a full stop.
PROSE = [
    (
        "The survey of coastal wetlands began in the spring, when the first teams walked the salt marshes at low "
        "tide and counted the nesting birds along every transect that the planners had marked on the maps."
    ),
    (
        "Water samples were taken at each station twice a week, filtered on the spot, and carried back to the "
        "laboratory in cool boxes, where the technicians measured salinity, nitrate and suspended sediment."
    ),
    (
        "By the end of the season the records showed a clear pattern: stations close to the river mouth held "
        "more sediment and fewer birds, while the outer marshes, flushed by the tide, supported richer life."
    ),
    (
        "The authors recommend that future surveys keep the same stations and methods, so that the changes "
        "expected from rising sea levels can be told apart from the ordinary differences between the years."
    ),
    (
        "They also thank the volunteers from the nearby villages, whose knowledge of the channels and the "
        "weather made the fieldwork safer, and the harbour office, which lent its boats for the crossings."
    ),
    (
        "Finally, every measurement and photograph has been deposited in the regional archive, where teachers "
        "and students can use them freely for their own projects on the ecology of the estuary."
    ),
]


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser(ParseOptions(dpi=144))


def _wrap(text: str, width: float, size: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, cur = [], ""
    for word in text.split():
        if cur and stringWidth(f"{cur} {word}", "Serif", size) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return [*lines, cur]


def columns_pdf(path: Path, n_cols: int, pages: int = 1, cut: int = 2) -> Path:
    """PROSE set in `n_cols` columns on `pages` pages; each column holds `cut` lines more than an even share,
    so paragraphs run on across column and page breaks."""
    c, (w, h) = _canvas(path)
    size, margin, gutter = 10.5, 56, 18
    col_w = (w - 2 * margin - (n_cols - 1) * gutter) / n_cols
    lines = [
        (x, k == len(ws) - 1) for para in PROSE for ws in [_wrap(para, col_w, size)] for k, x in enumerate(ws)
    ]
    per_col = -(-len(lines) // (n_cols * pages)) + cut
    while any(lines[k - 1][1] for k in range(per_col, len(lines), per_col)):
        per_col += 1  # a break right after a paragraph's last line would cut nothing
    k = 0
    for _ in range(pages):
        for col in range(n_cols):
            y = h - margin
            for text, last in lines[k : k + per_col]:
                c.setFont("Serif", size)
                c.drawString(margin + col * (col_w + gutter), y, text)
                y -= 13.5 + (6 if last else 0)
            k += per_col
        c.showPage()
    c.save()
    return path


def test_figure_labels_stay_in_the_markdown_with_the_crop(tmp_path: Path) -> None:
    pdf = figure_pdf(tmp_path / "chart.pdf", labels=True)
    doc = Parser(ParseOptions(dpi=144, figures_dir=str(tmp_path / "out")))(pdf)
    figure = next(b for b in doc.pages[0].blocks if b.kind == "figure")
    assert figure.data.image == "chart_figures/page1_figure1.png"
    md = doc.to_markdown()
    link = md.index("![figure](chart_figures/page1_figure1.png)")
    after = md[link:]
    assert after.index(" ".join(FIGURE_LABELS)) < after.index(FIGURE_CAPTION)


def chinese_page() -> np.ndarray:
    """ZH set as a page: 22 characters a line, first lines indented by two characters, a gap between
    paragraphs."""
    f = font("cjk", 34)
    img = Image.new("RGB", (1000, 900), "white")
    d = ImageDraw.Draw(img)
    y = 80
    for para in ZH:
        text = "\u3000\u3000" + para
        for k in range(0, len(text), 22):
            d.text((100, y), text[k : k + 22], font=f, fill=(0, 0, 0))
            y += 56
        y += 40
    return np.asarray(img)


def test_chinese_paragraphs_join_without_spaces_and_stay_whole(parser: Parser) -> None:
    text = _markdown([parser.parse_image(chinese_page()).page])
    assert not CJK_PAIR.search(text)  # no space between two CJK characters
    assert text.strip().split("\n\n") == ZH  # each paragraph one Markdown paragraph


def _markdown(pages: list) -> str:  # type: ignore[type-arg]
    from scriba import Document

    return Document(pages=pages).to_markdown()


def test_line_joining_rules() -> None:
    assert join_lines(["the docu-", "ment was read"]) == "the document was read"
    assert join_lines(["the Anglo-", "Saxon charters"]) == "the Anglo- Saxon charters"  # capital: kept
    assert join_lines(["这个 跨越", "三十年的 研究"]) == "这个跨越三十年的研究"
    assert join_lines(["使用 ONNX 模型", "推理"]) == "使用 ONNX 模型推理"  # CJK next to Latin keeps its space


def test_paragraph_over_a_page_break_is_one_paragraph(parser: Parser, tmp_path: Path) -> None:
    pdf = columns_pdf(tmp_path / "two_pages.pdf", n_cols=1, pages=2, cut=0)
    doc = parser(pdf)
    assert len(doc.pages) == 2
    first_page_end = doc.pages[0].blocks[-1].text.rstrip()
    assert not first_page_end.endswith(".")  # the page break does cut a paragraph
    paragraphs = doc.to_markdown().strip().split("\n\n")
    assert paragraphs == PROSE
    # The JSON says which block goes on with the paragraph before it: the first on the second page, no other.
    blocks = [b for p in doc.to_dict()["pages"] for b in p["blocks"]]
    assert [b["text"] for b in blocks if b.get("continues")] == [doc.pages[1].blocks[0].text]


def test_paragraph_ending_at_a_page_break_is_not_joined(tmp_path: Path) -> None:
    c, (_w, h) = _canvas(tmp_path / "ends.pdf")
    for text in ("The first page ends with a finished sentence.", "the next page starts lower-case anyway."):
        c.setFont("Serif", 11)
        c.drawString(72, h - 300, text)
        c.showPage()
    c.save()
    doc = Parser(ParseOptions(dpi=144))(tmp_path / "ends.pdf")
    assert not any(b.continues for p in doc.pages for b in p.blocks)
    md = doc.to_markdown()
    assert md.strip().split("\n\n") == [
        "The first page ends with a finished sentence.",
        "the next page starts lower-case anyway.",
    ]


def _tex_pdf(path: Path) -> Path:
    """Inline math whose actual text is TeX source cut into fragments over its glyphs, as some PDF producers
    write it: '$\\frac{' over 'a', '}{' over the bar, 'b}$' over 'b'."""
    c, (_w, h) = _canvas(path)
    c.setFont("Serif", 12)
    y = _paragraph(c, 72, h - 200, LEFT[0], size=12) - 20
    c.setFont("Serif", 12)
    c.drawString(72, y, "The ratio of the two areas is")
    for frag, text, dy in (("$\\frac{", "a", 6), ("}{", "-", 0), ("b}$", "b", -6)):
        pdf_string = frag.replace("\\", "\\\\")  # a backslash is escaped in a PDF string
        c._code.append(f"/Span <</ActualText ({pdf_string})>> BDC")
        c.drawString(232, y + dy, text)
        c._code.append("EMC")
    c.drawString(250, y, "for every site in the survey, and $\\alpha$ stays small.")
    _paragraph(c, 72, y - 40, LEFT[1], size=12)
    c.showPage()
    c.save()
    return path


def test_tex_fragments_of_the_text_layer_never_become_math(parser: Parser, tmp_path: Path) -> None:
    pdf = _tex_pdf(tmp_path / "tex.pdf")
    raw = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert "\\frac" in raw  # the PDF does carry TeX source as its text
    layer = read_text_layer(pdfium.PdfDocument(str(pdf))[0], 2.0)
    assert not any("\\" in w.text or "{" in w.text or "}" in w.text for w in layer.words)
    md = parser(pdf).to_markdown()
    assert "$" not in md and "\\frac" not in md and "{" not in md
    assert "The ratio of the two areas is" in md and "α stays small." in md


def test_dollar_amounts_do_not_open_a_math_span() -> None:
    line = Line("It cost $5 and then $7 more.", 1.0, polygon_of_bbox(0, 0, 400, 20))
    block = Block(lines=[line], polygon=line.polygon)
    from scriba.export.markdown import block_markdown

    assert block_markdown(block) == "It cost \\$5 and then \\$7 more."


def test_prose_in_three_columns_is_not_a_table(parser: Parser, tmp_path: Path) -> None:
    pdf = columns_pdf(tmp_path / "three.pdf", n_cols=3)
    doc = parser(pdf)
    page = doc.pages[0]
    assert [b.kind for b in page.blocks if b.kind == "table"] == []
    layer = read_text_layer(pdfium.PdfDocument(str(pdf))[0], 2.0)
    assert looks_like_prose([(x.text, bbox_of(x.polygon)) for x in layer.lines])
    md = doc.to_markdown()
    assert "<table" not in md
    assert md.strip().split("\n\n") == PROSE


def test_a_real_table_is_not_taken_for_prose(tmp_path: Path) -> None:
    c, (_w, h) = _canvas(tmp_path / "table.pdf")
    rows = [("Site", "Spring", "Autumn", "Note")] + [
        (f"Station {k}", str(100 + 7 * k), str(90 + 5 * k), "dry" if k % 2 else "wet") for k in range(1, 12)
    ]
    for r, row in enumerate(rows):
        for k, cell in enumerate(row):
            c.setFont("Serif", 10)
            c.drawString(72 + 110 * k, h - 100 - 16 * r, cell)
    c.showPage()
    c.save()
    layer = read_text_layer(pdfium.PdfDocument(str(tmp_path / "table.pdf"))[0], 2.0)
    assert len(layer.lines) >= 12
    assert not looks_like_prose([(x.text, bbox_of(x.polygon)) for x in layer.lines])


def test_text_in_a_figure_reads_column_by_column() -> None:
    from scriba.pipeline.layout_order import Region, assemble_page

    def line(text: str, x: float, y: float) -> Line:
        return Line(text, 1.0, polygon_of_bbox(x, y, x + 300, y + 30))

    left = ["Notes on the survey", "first column goes on", "and ends down here"]
    right = ["Second column starts", "beside the first one", "and ends here too"]
    lines = [line(t, 100, 200 + 40 * k) for k, t in enumerate(left)]
    lines += [line(t, 600, 200 + 40 * k) for k, t in enumerate(right)]
    blocks = assemble_page([Region("figure", (50, 150, 1000, 400))], lines, 1100, 1400)
    figure = next(b for b in blocks if b.kind == "figure")
    assert [x.text for x in figure.lines] == left + right


def test_short_form_fields_are_not_joined_into_one_paragraph() -> None:
    from scriba import Document, Page

    def block(text: str, y: float) -> Block:
        line = Line(text, 1.0, polygon_of_bbox(100, y, 100 + 30 * len(text), y + 30))
        return Block(lines=[line], polygon=line.polygon)

    page = Page(
        width=1000, height=1400, blocks=[block("姓名", 100), block("地址", 160), block("电话号码", 220)]
    )
    assert Document(pages=[page]).to_markdown() == "姓名\n\n地址\n\n电话号码\n"


def test_body_text_the_layout_calls_a_header_stays_in_the_markdown() -> None:
    from scriba import Document, Page
    from scriba.pipeline.layout_order import Region, assemble_page

    def line(text: str, y: float) -> Line:
        return Line(text, 1.0, polygon_of_bbox(100, y, 900, y + 30))

    body = [line(t, 300 + 40 * k) for k, t in enumerate(PROSE[0].split(", "))]
    sentence = line("Table 3 lists the nine variables that every query reads.", 180)
    running_head = line("Journal of Coastal Studies", 40)
    regions = [
        Region("header", (90, 30, 910, 80)),  # a real running head, in the top margin
        Region("header", (90, 170, 910, 220)),  # a sentence of the body
        Region("header", (90, 290, 910, 300 + 40 * len(body))),  # paragraphs in the middle of the page
    ]
    blocks = assemble_page(regions, [running_head, sentence, *body], 1000, 1400)
    md = Document(pages=[Page(width=1000, height=1400, blocks=blocks)]).to_markdown()
    assert "Journal of Coastal Studies" not in md
    assert sentence.text in md and " ".join(x.text for x in body) in md


def test_running_head_row_with_a_page_number_leaves_the_paragraph() -> None:
    from scriba import Document, Page
    from scriba.pipeline.layout_order import Region, assemble_page

    def line(text: str, x0: float, y: float, x1: float) -> Line:
        return Line(text, 1.0, polygon_of_bbox(x0, y, x1, y + 24))

    body = [line(t, 100, 140 + 34 * k, 900) for k, t in enumerate(PROSE[1].split(", "))]
    head = [line("400", 100, 100, 140), line("BRITISH HUSBANDRY.", 380, 100, 620), line("[Ch. XIX.", 800, 100, 900)]
    foot = [line("Printed in the county of Kent", 100, 1330, 500), line("17", 860, 1330, 900)]
    blocks = assemble_page([Region("text", (90, 90, 910, 1360))], [*head, *body, *foot], 1000, 1400)
    md = Document(pages=[Page(width=1000, height=1400, blocks=blocks)]).to_markdown()
    assert md.strip() == " ".join(x.text for x in body)
    kinds = {b.text: b.kind for b in blocks}
    assert kinds["400"] == "page_number" and kinds["17"] == "page_number"
    assert kinds["BRITISH HUSBANDRY.\n[Ch. XIX."] == "header"

    # A numbered heading at the top of a page keeps its number: the gap after it is about one word.
    heading = [line("1", 100, 100, 116), line("Introduction", 140, 100, 330)]
    blocks = assemble_page([Region("text", (90, 90, 910, 1360))], [*heading, *body], 1000, 1400)
    md = Document(pages=[Page(width=1000, height=1400, blocks=blocks)]).to_markdown()
    assert "Introduction" in md and not any(b.kind == "page_number" for b in blocks)


def test_a_story_running_on_in_one_column_is_read_before_the_next_column() -> None:
    """A front page: a headline across the page, a story in two columns whose second column is short, a second
    story in the third column. The first column's paragraphs below the second column's end still come first."""
    from scriba.pipeline.layout_order import reading_order

    boxes = [
        (128, 146, 742, 195),  # masthead
        (128, 250, 805, 283),  # headline across the first two columns
        (128, 470, 521, 924),  # column 1, paragraph 1
        (618, 470, 1015, 691),  # column 2: the story's last lines
        (128, 959, 545, 1491),  # column 1, paragraph 2 (below column 2's end)
        (128, 1526, 545, 1864),  # column 1, paragraph 3
        (1108, 472, 1491, 552),  # column 3: second story's headline
        (1108, 581, 1512, 919),  # column 3: its text
    ]
    assert reading_order(boxes, min_gap=12.0, pad=30.0) == [0, 1, 2, 4, 5, 3, 6, 7]
    # Two columns that end together, then a paragraph across the page: the paragraph still comes last.
    boxes = [(100, 100, 480, 500), (520, 100, 900, 480), (100, 540, 900, 700)]
    assert reading_order(boxes, min_gap=12.0, pad=30.0) == [0, 1, 2]


def test_answer_choices_at_tab_stops_read_row_by_row() -> None:
    """Exam questions, each followed by four choices set in a row at tab stops: the choices are read in their
    row, after their question, not choice column by choice column."""
    from scriba import Document, Page
    from scriba.pipeline.layout_order import Region, assemble_page

    def line(text: str, x: float, y: float, width: float) -> Line:
        return Line(text, 1.0, polygon_of_bbox(x, y, x + width, y + 28))

    lines, expected = [], []
    stems = ["下列各数中，最大的数是", "计算的结果等于", "一个数的三倍比它的一半多十，这个数是"]
    for k, stem in enumerate(stems):
        y = 300 + 130 * k
        lines.append(line(f"{k + 1}. {stem}", 170, y, 30 * len(stem)))
        choices = [f"{c}. {10 * k + n}" for n, c in enumerate("ABCD")]
        lines += [line(c, 230 + 250 * n, y + 64, 60) for n, c in enumerate(choices)]
        expected += [f"{k + 1}. {stem}", " ".join(choices)]
    for regions in ([], [Region("text", (160, 290, 1300, 700))]):
        blocks = assemble_page(list(regions), list(lines), 1400, 2000)
        md = Document(pages=[Page(width=1400, height=2000, blocks=blocks)]).to_markdown()
        assert [p.replace("\n", " ") for p in md.strip().split("\n\n")] == expected
