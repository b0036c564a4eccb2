"""hOCR 1.2: ocr_page > ocr_carea > ocr_par > ocr_line > ocrx_word, with bbox and x_wconf."""

from __future__ import annotations

from html import escape

from scriba.document import Document, bbox_of


def _bbox(polygon: list[list[float]]) -> str:
    x0, y0, x1, y1 = bbox_of(polygon)
    return f"bbox {int(x0)} {int(y0)} {round(x1)} {round(y1)}"


def to_hocr(doc: Document) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">'
        ),
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
        "<head>",
        "<title>scriba</title>",
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />',
        '<meta name="ocr-system" content="scriba" />',
        '<meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_par ocr_line ocrx_word" />',
        "</head>",
        "<body>",
    ]
    for p, page in enumerate(doc.pages, 1):
        title = f'image "{escape(page.source, quote=False)}"; bbox 0 0 {page.width} {page.height}; ppageno {page.index}'
        out.append(f"<div class='ocr_page' id='page_{p}' title='{escape(title)}'>")
        for b, block in enumerate(page.blocks, 1):
            if not block.lines:
                continue
            bid = f"{p}_{b}"
            out.append(f"<div class='ocr_carea' id='block_{bid}' title='{_bbox(block.polygon)}'>")
            out.append(f"<p class='ocr_par' id='par_{bid}' title='{_bbox(block.polygon)}'>")
            for n, line in enumerate(block.lines, 1):
                lid = f"{bid}_{n}"
                out.append(f"<span class='ocr_line' id='line_{lid}' title='{_bbox(line.polygon)}'>")
                for k, word in enumerate(line.words, 1):
                    conf = round(word.confidence * 100)
                    out.append(
                        f"<span class='ocrx_word' id='word_{lid}_{k}' title='{_bbox(word.polygon)}; x_wconf {conf}'>"
                        f"{escape(word.text)}</span>"
                    )
                out.append("</span>")
            out.append("</p>")
            out.append("</div>")
        out.append("</div>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
