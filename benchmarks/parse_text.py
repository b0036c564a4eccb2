"""Does the parser keep every recognized word, and join lines and paragraphs right? Two measures for
benchmarks/parse.py:

(e) lost text on the shared data pages: the words of every line the parser read (its JSON) against the words of
    its Markdown for that page (multiset difference); headers, footers and page numbers are left out of the
    Markdown on purpose, so they count as kept.
(f) generated pages with known text: Chinese paragraphs (rendered image, OCR path), English prose in two and
    three columns with hyphenated line breaks (PDF: text-layer and OCR paths), a paragraph running over a page
    break: text edit distance of the Markdown against the known text, the share of paragraphs that come out
    whole as one Markdown paragraph, and `<table>`s where there is none.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

SKIPPED = {"header", "footer", "page_number"}
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_FONTS = Path("/usr/share/fonts/truetype")


def tokens(text: str) -> list[str]:
    """Words, lower-cased; each CJK character is a word (CJK text has no spaces to split on)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"([A-Za-z])-\s+(?=[a-z])", r"\1", text)  # a word hyphenated at a line break is one word
    return _TOKEN.findall(text)


def lost_words(page: Any, markdown: str, strip: Callable[[str], str]) -> tuple[int, int, int]:
    """(words of the page's lines missing from its Markdown, words of its lines, words of its header, footer and
    page-number lines)."""
    read = Counter(tokens(" ".join(x.text for b in page.blocks if b.kind not in SKIPPED for x in b.lines)))
    margins = tokens(" ".join(x.text for b in page.blocks if b.kind in SKIPPED for x in b.lines))
    kept = Counter(tokens(strip(markdown)))
    return sum((read - kept).values()), sum(read.values()), len(margins)


def lost_page_sets(data: Path) -> list[tuple[str, list[Path]]]:
    olmo = sorted((data / "olmocr_bench_sample" / "pdfs").rglob("*.pdf"))
    docling = [
        p
        for p in sorted((data / "docling_pdf_regression" / "pdfs").glob("*.pdf"))
        if "right_to_left" not in p.stem
    ]
    funsd = sorted((data / "funsd_test" / "images").glob("*.png"))[:10]
    return [("olmOCR-bench sample PDFs", olmo), ("docling PDFs", docling), ("FUNSD forms (10)", funsd)]


def bench_lost(parser: Any, data: Path, strip: Callable[[str], str]) -> tuple[list[str], dict[str, Any]]:
    from scriba.document import Document

    rows, raw = [], {}
    for label, files in lost_page_sets(data):
        lost = total = margins = pages = 0
        worst: list[tuple[float, str]] = []
        for f in files:
            for page in parser(f).pages:
                md = Document(pages=[page]).to_markdown()
                a, b, m = lost_words(page, md, strip)
                lost, total, margins, pages = lost + a, total + b, margins + m, pages + 1
                if b:
                    worst.append((a / b, f"{f.name}#{page.index + 1}"))
                    raw[f"{f.name}#{page.index + 1}"] = [a, b, m]
        worst.sort(reverse=True)
        named = ", ".join(f"{n} {100 * s:.0f}%" for s, n in worst[:3] if s > 0.02) or "none over 2%"
        share = 100 * margins / max(total + margins, 1)
        rows.append(
            f"| {label} | {pages} | {total} | {100 * lost / max(total, 1):.1f} | {share:.1f} | {named} |"
        )
    lines = [
        (
            "Lost text: words of the lines the parser read (JSON) that are missing from its Markdown for the page; "
            "headers, footers and page numbers are left out on purpose and counted apart (their share of all words):"
        ),
        "",
        "| pages | n | words read | lost % | in headers/footers % | worst pages (lost) |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    return lines, raw


# -- generated pages with known text --------------------------------------------------------------------------
ZH = [
    (
        "这个跨越三十年的研究项目记录了城市河流的水质变化，研究人员每个月在十二个地点采集样本，并把结果整理成公开的数据集，"
        "供其他学者和政府部门参考使用。"
    ),
    (
        "结果表明，工业排放减少以后，河水中的重金属含量逐年下降，而生活污水处理能力的提高也让夏季的藻类爆发明显减少，"
        "沿岸居民对环境的满意度随之上升。"
    ),
    (
        "作者最后指出，长期监测需要稳定的资金和统一的方法，如果采样时间和分析仪器经常变化，不同年份的数据就很难直接比较，"
        "因此建议建立全国统一的标准。"
    ),
]
EN = [
    (
        "The survey of coastal wetlands began in the spring, when the first teams walked the salt marshes at low tide and "
        "counted the nesting birds along every transect that the planners had marked on the maps during the winter."
    ),
    (
        "Water samples were taken at each station twice a week, filtered on the spot, and carried back to the laboratory "
        "in cool boxes, where the technicians measured salinity, nitrate and the concentration of suspended sediment."
    ),
    (
        "By the end of the season the records showed a clear pattern: stations close to the river mouth held more "
        "sediment and fewer birds, while the outer marshes, flushed by the tide, supported the richest communities."
    ),
    (
        "The authors recommend that future surveys keep the same stations and methods, so that the changes expected from "
        "rising sea levels can be told apart from the ordinary differences between one year and the next."
    ),
    (
        "They also thank the volunteers from the nearby villages, whose knowledge of the channels and the weather made "
        "the fieldwork safer, and the harbour office, which lent its boats for the longest crossings."
    ),
    (
        "Finally, every measurement and photograph has been deposited in the regional archive, where teachers and "
        "students can use them freely for their own projects on the ecology of the estuary."
    ),
]


def _wrap(text: str, width: float, measure: Callable[[str], float], cjk: bool) -> list[str]:
    """Greedy line breaking; Latin words that do not fit are hyphenated when a piece of 4+ letters fits."""
    if cjk:
        lines, cur = [], ""
        for ch in text:
            if measure(cur + ch) > width and cur:
                lines.append(cur)
                cur = ""
            cur += ch
        return [*lines, cur] if cur else lines
    lines, cur = [], ""
    for word in text.split():
        cand = f"{cur} {word}".strip()
        if measure(cand) <= width:
            cur = cand
            continue
        cut = max(
            (
                k
                for k in range(4, len(word) - 2)
                if word[:k].isalpha() and measure(f"{cur} {word[:k]}-") <= width
            ),
            default=0,
        )
        if cut:
            lines.append(f"{cur} {word[:cut]}-")
            cur = word[cut:]
        else:
            lines.append(cur)
            cur = word
    return [*lines, cur] if cur else lines


def chinese_page(path: Path) -> list[str]:
    """A rendered page (PNG) of three Chinese paragraphs, first lines indented by two characters."""
    from PIL import Image, ImageDraw, ImageFont

    f = ImageFont.truetype(str(_FONTS / "wqy" / "wqy-microhei.ttc"), 34)
    img = Image.new("RGB", (1400, 1100), "white")
    d = ImageDraw.Draw(img)
    y = 90
    for para in ZH:
        lines = _wrap("\u3000\u3000" + para, 1200, lambda s: d.textlength(s, font=f), cjk=True)
        for line in lines:
            d.text((100, y), line, font=f, fill=(0, 0, 0))
            y += 56
        y += 40
    img.save(path)
    return ZH


def columns_pdf(path: Path, n_cols: int, paragraphs: list[str], pages: int = 1) -> list[str]:
    """Prose set in `n_cols` columns over `pages` pages, paragraphs flowing on from column to column and page to
    page (so one continues across a column or page break), with hyphenated line breaks."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("BenchSerif", str(_FONTS / "liberation" / "LiberationSerif-Regular.ttf")))
    size, lead = 10.5, 13.5
    w, h = A4
    gutter, margin = 18, 56
    col_w = (w - 2 * margin - (n_cols - 1) * gutter) / n_cols
    lines: list[tuple[str, bool]] = []  # (text, last line of its paragraph)
    for para in paragraphs:
        wrapped = _wrap(para, col_w, lambda s: pdfmetrics.stringWidth(s, "BenchSerif", size), cjk=False)
        lines += [(x, k == len(wrapped) - 1) for k, x in enumerate(wrapped)]
    # Two lines more than an even share per column: paragraphs (which wrap to about the same length) are cut by
    # the column and page breaks instead of ending just before them.
    per_col = -(-len(lines) // (n_cols * pages)) + 2
    while any(lines[min(k, len(lines)) - 1][1] for k in range(per_col, len(lines), per_col)):
        per_col += 1
    c = canvas.Canvas(str(path), pagesize=A4)
    k = 0
    for _ in range(pages):
        for col in range(n_cols):
            y = h - margin
            for _ in range(per_col):
                if k >= len(lines):
                    break
                text, last = lines[k]
                c.setFont("BenchSerif", size)
                c.drawString(margin + col * (col_w + gutter), y, text)
                y -= lead + (6 if last else 0)
                k += 1
        c.showPage()
    c.save()
    return paragraphs


def _paragraphs_whole(md: str, truth: list[str], strip: Callable[[str], str]) -> int:
    """Known paragraphs that come out inside one Markdown paragraph (its first and last eight words there)."""
    parts = [" ".join(tokens(strip(p))) for p in md.split("\n\n")]
    n = 0
    for para in truth:
        t = tokens(para)
        head, tail = " ".join(t[:8]), " ".join(t[-8:])
        n += any(head in p and tail in p for p in parts)
    return n


def bench_generated(
    strip: Callable[[str], str], ned: Callable[[Any, Any], float], dpi: float
) -> tuple[list[str], dict[str, Any]]:
    from scriba import ParseOptions, Parser

    # Parsers of their own, with their figures written as `scriba parse -o` writes them. A page reads the same
    # after any other (no state carries from page to page: tests/pipeline/test_cross_page_scripts.py).
    parsers = {
        "scriba-parse": Parser(ParseOptions(dpi=dpi, figures_dir=tempfile.mkdtemp())),
        "scriba-parse-ocr": Parser(ParseOptions(dpi=dpi, ocr_mode="always", figures_dir=tempfile.mkdtemp())),
    }
    tmp = Path(tempfile.mkdtemp())
    cases: list[tuple[str, Path, list[str], bool]] = [
        ("Chinese, 3 paragraphs (image, OCR)", tmp / "zh.png", [], True)
    ]
    cases[0] = (cases[0][0], cases[0][1], chinese_page(cases[0][1]), True)
    for n_cols, pages in ((2, 1), (3, 1), (2, 2)):
        p = tmp / f"cols{n_cols}_{pages}.pdf"
        label = f"English, {n_cols} columns" + (", over a page break" if pages > 1 else "")
        cases.append((label, p, columns_pdf(p, n_cols, EN, pages), False))
    rows, raw = [], {}
    for label, path, truth, image_only in cases:
        gt = strip(" ".join(truth))  # normalized as the Markdown is (NFKC: full-width commas too)
        for name in ("scriba-parse",) if image_only else ("scriba-parse", "scriba-parse-ocr"):
            md = parsers[name](path).to_markdown()
            # Known CJK text has no spaces inside a paragraph: a space put between two characters is an edit.
            d = ned(strip(md), gt)
            whole = _paragraphs_whole(md, truth, strip)
            tables = md.count("<table")
            rows.append(f"| {label} | {name} | {d:.3f} | {whole}/{len(truth)} | {tables} |")
            raw[f"{label} / {name}"] = {"ned": d, "whole": whole, "tables": tables}
    lines = [
        (
            "Generated pages with known text (text edit distance of the Markdown, markup stripped; paragraphs that come "
            "out whole as one Markdown paragraph; `<table>`s in the Markdown, where there is none):"
        ),
        "",
        "| page | system | text edit | whole paragraphs | tables |",
        "|---|---|---|---|---|",
        *rows,
    ]
    return lines, raw
