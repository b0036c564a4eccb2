"""Pages rendered from text we control, with their ground-truth Markdown: two-column and three-column English
articles (running text that continues across columns, never a table), a Chinese article and a two-column Chinese
page with section headings, an English-Chinese page, a report with a ruled table whose header has row and column
spans, a newspaper front page (a story running on in one column beside another story), a presentation slide, a
book page with running heads and a numbered list, an unruled financial statement, a coloured textbook page
with a diagonal watermark, a Chinese exam page, a magazine page (a large initial letter, a pull quote), and a
paper page with a numbered display equation. Written as born-digital PDFs (reportlab, real fonts); the benchmark also reads them as
scans (`--ocr always`)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

FONT_DIR = Path("/usr/share/fonts/truetype")
SERIF = FONT_DIR / "liberation" / "LiberationSerif-Regular.ttf"
SERIF_BOLD = FONT_DIR / "liberation" / "LiberationSerif-Bold.ttf"
CJK = FONT_DIR / "wqy" / "wqy-microhei.ttc"

EN_SENTENCES = [
    "The committee reviewed the proposal in detail before the annual meeting.",
    "Measurements were taken every morning at the same station near the river.",
    "Most of the samples showed a steady increase in temperature over the season.",
    "A second survey confirmed the trend across all of the northern districts.",
    "The results suggest that the new method reduces the cost of each test.",
    "Further work is needed to understand the effect of humidity on the sensors.",
    "Volunteers recorded the number of birds seen at each site during the spring.",
    "The library extended its opening hours to serve students during examinations.",
    "Several factories adopted the scheme after the first year of the pilot.",
    "Data from the older instruments were corrected using a simple linear model.",
    "The bridge was closed for repairs while engineers inspected the main cables.",
    "Rainfall in the eastern valleys was well below the long-term average.",
    "Each participant answered twelve questions about their daily travel habits.",
    "The report recommends a review of the budget before any new hiring.",
    "Local schools shared their timetables so that buses could be scheduled better.",
    "Energy use in public buildings fell by almost a fifth after the upgrade.",
]
ZH_SENTENCES = [
    "本报告总结了过去一年中各部门的主要工作和取得的成果。",
    "在全体员工的共同努力下，公司的营业收入同比增长了百分之十二。",
    "研究小组在三个城市进行了实地调查，收集了大量第一手资料。",
    "调查结果表明，新的管理方法能够有效降低运营成本。",
    "为了提高服务质量，我们对客户反馈进行了系统的分析和整理。",
    "下一阶段的工作重点是加强技术创新和人才培养。",
    "会议决定在明年春季启动第二期建设项目。",
    "各地区的数据显示，市场需求总体保持稳定增长的态势。",
    "专家组建议进一步完善相关制度，确保项目顺利实施。",
    "这个跨越式的发展令人瞩目，也为今后的工作奠定了坚实的基础。",
]


def _paragraphs(pool: list[str], n: int, per: tuple[int, int], seed: int, joiner: str) -> list[str]:
    rng = random.Random(seed)
    return [joiner.join(rng.sample(pool, rng.randint(*per))) for _ in range(n)]


def _fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "Serif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Serif", str(SERIF)))
        pdfmetrics.registerFont(TTFont("Serif-Bold", str(SERIF_BOLD)))
        pdfmetrics.registerFont(TTFont("CJK", str(CJK), subfontIndex=0))


def _styles() -> dict:
    from reportlab.lib.styles import ParagraphStyle

    return {
        "title": ParagraphStyle("t", fontName="Serif-Bold", fontSize=20, leading=26, spaceAfter=14),
        "h": ParagraphStyle("h", fontName="Serif-Bold", fontSize=13, leading=17, spaceBefore=8, spaceAfter=6),
        "p": ParagraphStyle("p", fontName="Serif", fontSize=10.5, leading=14, spaceAfter=8),
        "zt": ParagraphStyle("zt", fontName="CJK", fontSize=20, leading=28, spaceAfter=14, wordWrap="CJK"),
        "zp": ParagraphStyle("zp", fontName="CJK", fontSize=11, leading=17, spaceAfter=8, wordWrap="CJK",
                             firstLineIndent=22),
    }  # fmt: skip


def _build(path: Path, story: list, columns: int) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    w, h = A4
    margin, gap = 56, 18
    col = (w - 2 * margin - gap * (columns - 1)) / columns
    frames = [Frame(margin + k * (col + gap), margin, col, h - 2 * margin, id=f"c{k}") for k in range(columns)]
    doc = BaseDocTemplate(str(path), pagesize=A4)
    doc.addPageTemplates([PageTemplate(frames=frames)])
    doc.build(story)


def _article(path: Path, columns: int, seed: int) -> str:
    from reportlab.platypus import Paragraph

    s = _styles()
    title = "Field Notes on Regional Measurements" if columns == 2 else "Annual Review of Public Services"
    md, story = [f"# {title}"], [Paragraph(title, s["title"])]
    for k, head in enumerate(["1 Introduction", "2 Method", "3 Results"][: columns + 1]):
        md.append(f"## {head}")
        story.append(Paragraph(head, s["h"]))
        # Enough text to run on into the next column (and break a paragraph across the columns).
        for text in _paragraphs(EN_SENTENCES, 3, (4, 6) if columns == 2 else (6, 9), seed + k, " "):
            md.append(text)
            story.append(Paragraph(text, s["p"]))
    _build(path, story, columns)
    return "\n\n".join(md) + "\n"


def _chinese(path: Path, seed: int, mixed: bool) -> str:
    from reportlab.platypus import Paragraph

    s = _styles()
    title = "年度工作报告" if not mixed else "Project Summary 项目总结"
    md, story = [f"# {title}"], [Paragraph(title, s["zt"])]
    for k, text in enumerate(_paragraphs(ZH_SENTENCES, 4, (2, 4), seed, "")):
        if mixed and k % 2 == 0:
            text = " ".join(random.Random(seed + k).sample(EN_SENTENCES, 3))
            story.append(Paragraph(text, s["p"]))
        else:
            story.append(Paragraph(text, s["zp"]))
        md.append(text)
    _build(path, story, 1)
    return "\n\n".join(md) + "\n"


_TABLE_ROWS = [
    ["North", "1,204", "1,310", "8.8%"],
    ["South", "986", "1,022", "3.7%"],
    ["East", "1,530", "1,498", "-2.1%"],
    ["West", "712", "801", "12.5%"],
]


def _table_report(path: Path, seed: int) -> str:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    s = _styles()
    before, after = _paragraphs(EN_SENTENCES, 2, (3, 4), seed, " ")
    data = [["Region", "Visitors (thousands)", "", "Change"], ["", "2024", "2025", ""], *_TABLE_ROWS]
    table = Table(data, colWidths=[110, 90, 90, 80])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Serif", 10.5), ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
        ("SPAN", (1, 0), (2, 0)), ("SPAN", (0, 0), (0, 1)), ("SPAN", (3, 0), (3, 1)),
        ("ALIGN", (1, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))  # fmt: skip
    title = "Visitor Numbers by Region"
    story = [Paragraph(title, s["title"]), Paragraph(before, s["p"]), Spacer(1, 8), table, Spacer(1, 12),
             Paragraph(after, s["p"])]  # fmt: skip
    _build(path, story, 1)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in _TABLE_ROWS)
    html = ('<table><tr><td rowspan="2">Region</td><td colspan="2">Visitors (thousands)</td>'
            f'<td rowspan="2">Change</td></tr><tr><td>2024</td><td>2025</td></tr>{body}</table>')  # fmt: skip
    return f"# {title}\n\n{before}\n\n{html}\n\n{after}\n"


def _newspaper(path: Path, seed: int) -> str:
    """A front page: a masthead and a headline across the page, then three columns holding two stories (the
    first runs over two columns, the second fills the third), each with its own headline."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import BaseDocTemplate, Frame, FrameBreak, PageTemplate, Paragraph

    s = _styles()
    w, h = A4
    margin, gap, top = 40, 14, 120
    col = (w - 2 * margin - 2 * gap) / 3
    frames = [Frame(margin, h - margin - top, w - 2 * margin, top, id="head")]
    frames += [Frame(margin + k * (col + gap), margin, col, h - 2 * margin - top, id=f"c{k}") for k in range(3)]
    headline = "City Council Approves New Transport Plan"
    story, md = [Paragraph("THE VALLEY HERALD", s["title"]), Paragraph(headline, s["h"]), FrameBreak()], []
    md += ["# THE VALLEY HERALD", f"## {headline}"]
    for text in _paragraphs(EN_SENTENCES, 4, (4, 6), seed, " "):
        story.append(Paragraph(text, s["p"]))
        md.append(text)
    story.append(FrameBreak())
    second = "Library Hours Extended for Exams"
    story.append(Paragraph(second, s["h"]))
    md.append(f"## {second}")
    for text in _paragraphs(EN_SENTENCES, 2, (4, 5), seed + 1, " "):
        story.append(Paragraph(text, s["p"]))
        md.append(text)
    doc = BaseDocTemplate(str(path), pagesize=A4)
    doc.addPageTemplates([PageTemplate(frames=frames)])
    doc.build(story)
    return "\n\n".join(md) + "\n"


def _slides(path: Path) -> str:
    """A presentation slide (16:9): a large title and bulleted points."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

    w, h = 960, 540
    title_style = ParagraphStyle("st", fontName="Serif-Bold", fontSize=36, leading=44, spaceAfter=24)
    bullet = ParagraphStyle("sb", fontName="Serif", fontSize=22, leading=30, leftIndent=30, bulletIndent=8,
                            spaceAfter=10)  # fmt: skip
    title = "Quarterly Results and Next Steps"
    points = ["Revenue grew in every region this quarter", "Costs fell after the new suppliers started",
              "Two new offices open in the spring", "Hiring continues in research and support"]  # fmt: skip
    story = [Paragraph(title, title_style)] + [Paragraph(p, bullet, bulletText="\u2022") for p in points]
    doc = BaseDocTemplate(str(path), pagesize=(w, h))
    doc.addPageTemplates([PageTemplate(frames=[Frame(60, 40, w - 120, h - 80)])])
    doc.build(story)
    return f"# {title}\n\n" + "\n".join(f"- {p}" for p in points) + "\n"


def _book_page(path: Path, seed: int) -> str:
    """A book page: a running head with the page number, a section heading, body text, a numbered list, and a
    footer line; the running head and footer are page furniture, not in the ground truth."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

    s = _styles()
    w, h = A4

    def furniture(canvas: Any, _doc: Any) -> None:  # reportlab calls it on each page
        canvas.setFont("Serif", 9)
        canvas.drawString(56, h - 40, "CHAPTER 4. MEASURING THE SEASONS")
        canvas.drawRightString(w - 56, h - 40, "87")
        canvas.drawCentredString(w / 2, 30, "Field Methods for Students")

    head, steps = "4.2 Keeping a daily record", ["Write down the time of each reading.",
                                                  "Note the weather before taking a sample.",
                                                  "Store the samples in a cool, dark place."]  # fmt: skip
    paras = _paragraphs(EN_SENTENCES, 3, (4, 6), seed, " ")
    story = [Paragraph(head, s["h"]), Paragraph(paras[0], s["p"])]
    story += [Paragraph(f"{k + 1}. {t}", s["p"]) for k, t in enumerate(steps)]
    story += [Paragraph(p, s["p"]) for p in paras[1:]]
    doc = BaseDocTemplate(str(path), pagesize=A4)
    doc.addPageTemplates([PageTemplate(frames=[Frame(56, 56, w - 112, h - 130)], onPage=furniture)])
    doc.build(story)
    items = "\n".join(f"{k + 1}. {t}" for k, t in enumerate(steps))
    return f"## {head}\n\n{paras[0]}\n\n{items}\n\n" + "\n\n".join(paras[1:]) + "\n"


def _chinese_columns(path: Path, seed: int) -> str:
    """A two-column Chinese page with section headings, paragraphs running on across the columns."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    s = _styles()
    zh = ParagraphStyle("zh", fontName="CJK", fontSize=13, leading=18, spaceBefore=6, spaceAfter=6)
    title = "城市交通发展研究"
    md, story = [f"# {title}"], [Paragraph(title, s["zt"])]
    for k, head in enumerate(["一、研究背景", "二、调查方法", "三、主要结论"]):
        md.append(f"## {head}")
        story.append(Paragraph(head, zh))
        for text in _paragraphs(ZH_SENTENCES, 2, (4, 6), seed + k, ""):
            md.append(text)
            story.append(Paragraph(text, s["zp"]))
    _build(path, story, 2)
    return "\n\n".join(md) + "\n"


def _borderless_statement(path: Path, seed: int) -> str:
    """A financial statement with no rules: a title, a units line, dated column headers and labelled rows of
    amounts, then a note paragraph."""
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    s = _styles()
    rows = [["Revenue", "12,480", "11,902"], ["Cost of sales", "7,215", "6,988"], ["Gross profit", "5,265", "4,914"],
            ["Operating expenses", "3,102", "2,975"], ["Operating income", "2,163", "1,939"],
            ["Income tax", "541", "485"], ["Net income", "1,622", "1,454"]]  # fmt: skip
    data = [["", "2025", "2024"], *rows]
    table = Table(data, colWidths=[200, 90, 90])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Serif", 10.5), ("ALIGN", (1, 0), (-1, -1), "RIGHT")]))
    title = "Consolidated Statement of Income"
    note = _paragraphs(EN_SENTENCES, 1, (3, 4), seed, " ")[0]
    story = [Paragraph(title, s["title"]), Paragraph("(In thousands of euros)", s["p"]), Spacer(1, 6), table,
             Spacer(1, 14), Paragraph(note, s["p"])]  # fmt: skip
    _build(path, story, 1)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    html = f"<table><tr><td></td><td>2025</td><td>2024</td></tr>{body}</table>"
    return f"# {title}\n\n(In thousands of euros)\n\n{html}\n\n{note}\n"


def _textbook(path: Path, seed: int) -> str:
    """A textbook page in colour: a heading on a coloured band, a paragraph in a tinted box, body text, and a
    light diagonal watermark across the page (not content: not in the ground truth)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Table, TableStyle

    s = _styles()
    w, h = A4

    def watermark(canvas: Any, _doc: Any) -> None:  # reportlab calls it on each page
        canvas.saveState()
        canvas.setFillColor(colors.Color(0.8, 0.8, 0.8))
        canvas.setFont("Serif-Bold", 64)
        canvas.translate(w / 2, h / 2)
        canvas.rotate(40)
        canvas.drawCentredString(0, 0, "SAMPLE COPY")
        canvas.restoreState()

    head = "Lesson 5: Water in the Landscape"
    box_text, *body = _paragraphs(EN_SENTENCES, 3, (3, 5), seed, " ")
    band = Table([[Paragraph(head, s["h"])]], colWidths=[w - 112])
    band.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.Color(0.75, 0.85, 0.95))]))
    tinted = Table([[Paragraph(box_text, s["p"])]], colWidths=[w - 112])
    tinted.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.Color(1.0, 0.93, 0.75)),
                                ("BOX", (0, 0), (-1, -1), 1, colors.Color(0.9, 0.6, 0.2))]))  # fmt: skip
    story = [band, Paragraph(body[0], s["p"]), tinted, Paragraph(body[1], s["p"])]
    doc = BaseDocTemplate(str(path), pagesize=A4)
    doc.addPageTemplates([PageTemplate(frames=[Frame(56, 56, w - 112, h - 112)], onPageEnd=watermark)])
    doc.build(story)
    return f"## {head}\n\n{body[0]}\n\n{box_text}\n\n{body[1]}\n"


def _exam(path: Path, seed: int) -> str:
    """A Chinese exam page: numbered questions, each with four short answers set in a row at tab stops (aligned
    from question to question like a grid of figures, but not a table)."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    s = _styles()
    q = ParagraphStyle("q", fontName="CJK", fontSize=11.5, leading=18, spaceBefore=6, spaceAfter=4)
    rng = random.Random(seed)
    title = "数学单元测试（第三章）"
    md, story = [f"# {title}"], [Paragraph(title, s["zt"])]
    stems = ["下列各数中，最大的数是", "计算的结果等于", "方程的解是", "一个数的三倍比它的一半多十，这个数是",
             "下列运算正确的结果是", "某商品打八折后的价格是"]  # fmt: skip
    for k, stem in enumerate(stems):
        nums = rng.sample(range(2, 60), 4)
        md.append(f"{k + 1}. {stem}（ ）")
        story.append(Paragraph(f"{k + 1}. {stem}（ ）", q))
        opts = [f"{letter}. {n}" for letter, n in zip("ABCD", nums)]
        md.append("   ".join(opts))
        spaced = "".join(f"{o}" + "&nbsp;" * 24 for o in opts).rstrip("&nbsp;")
        story.append(Paragraph(spaced, ParagraphStyle("o", parent=q, leftIndent=22, fontName="Serif")))
    _build(path, story, 1)
    return "\n\n".join(md) + "\n"


def _magazine(path: Path, seed: int) -> str:
    """A two-column magazine page: a large title, a first paragraph opening with a large initial letter, and a
    pull quote set larger in italics between the paragraphs."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    s = _styles()
    paras = _paragraphs(EN_SENTENCES, 5, (4, 6), seed, " ")
    title = "The Quiet Return of the River Birds"
    opening = ParagraphStyle("open", parent=s["p"], autoLeading="max")
    quote_style = ParagraphStyle("quote", parent=s["p"], fontSize=16, leading=22, leftIndent=10, spaceBefore=10,
                                 spaceAfter=10)  # fmt: skip
    quote = "The birds came back before anyone expected them."
    story = [Paragraph(title, s["title"]), Paragraph(f'<font size="30">{paras[0][0]}</font>{paras[0][1:]}', opening)]
    story += [Paragraph(p, s["p"]) for p in paras[1:3]]
    story.append(Paragraph(f"<i>{quote}</i>", quote_style))
    story += [Paragraph(p, s["p"]) for p in paras[3:]]
    _build(path, story, 2)
    return "\n\n".join([f"# {title}", *paras[:3], quote, *paras[3:]]) + "\n"


def _paper(path: Path, seed: int) -> str:
    """A two-column paper page: numbered section headings (the first at the top of the page) and a display
    equation with its number at the right margin."""
    from reportlab.platypus import Paragraph, Table, TableStyle

    s = _styles()
    paras = _paragraphs(EN_SENTENCES, 4, (3, 5), seed, " ")
    equation = Table([["y = a x + b", "(1)"]], colWidths=[190, 40])
    equation.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Serif", 10.5), ("ALIGN", (0, 0), (0, 0), "CENTER"),
                                  ("ALIGN", (1, 0), (1, 0), "RIGHT")]))  # fmt: skip
    story = [Paragraph("2 Method", s["h"]), Paragraph(paras[0], s["p"]), equation, Paragraph(paras[1], s["p"]),
             Paragraph("3 Results", s["h"]), Paragraph(paras[2], s["p"]), Paragraph(paras[3], s["p"])]  # fmt: skip
    _build(path, story, 2)
    md = ["## 2 Method", paras[0], "$$y = a x + b$$", paras[1], "## 3 Results", paras[2], paras[3]]
    return "\n\n".join(md) + "\n"


def make_pages(out: Path) -> list[tuple[str, Path, str]]:
    """(name, PDF, ground-truth Markdown) for every rendered page, written under `out`."""
    _fonts()
    out.mkdir(parents=True, exist_ok=True)
    makers = {
        "two_column_en": lambda p: _article(p, 2, 1),
        "three_column_en": lambda p: _article(p, 3, 7),
        "chinese_article": lambda p: _chinese(p, 3, mixed=False),
        "english_chinese": lambda p: _chinese(p, 5, mixed=True),
        "table_with_spans": lambda p: _table_report(p, 11),
        "newspaper": lambda p: _newspaper(p, 13),
        "slide": lambda p: _slides(p),
        "book_page": lambda p: _book_page(p, 17),
        "chinese_columns": lambda p: _chinese_columns(p, 19),
        "borderless_statement": lambda p: _borderless_statement(p, 23),
        "textbook_colour": lambda p: _textbook(p, 29),
        "exam_paper": lambda p: _exam(p, 31),
        "magazine": lambda p: _magazine(p, 41),
        "paper_with_equation": lambda p: _paper(p, 43),
    }
    pages = []
    for name, make in makers.items():
        pdf = out / f"{name}.pdf"
        pages.append((name, pdf, make(pdf)))
    return pages
