"""The text layer of a PDF page: PDFium characters with boxes -> words -> lines, in page-image pixels.

Characters come in content-stream order with PDFium's generated spaces and line breaks. A word ends at
whitespace or at a jump (a gap, a step back, a change of baseline); words on one baseline and close together
form a line, and a wide gap (a table column or a page column gutter) starts a new line.
"""

from __future__ import annotations

import ctypes
import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from scriba.document import Line, Word, bbox_of, polygon_of_bbox, union_polygon
from scriba.pipeline.turns import from_upright, to_upright

# PDFium reports a hyphen it believes ends a line as one of these.
_SOFT_HYPHENS = {0x02, 0xAD, 0xFFFE}
_SPACES = {0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x3000, 0x2002, 0x2003, 0x2009}
# Spacing accents that TeX and other typesetters place as separate glyphs over (or under) a letter.
_ACCENTS = {
    0x00B4: "\u0301", 0x02CA: "\u0301", 0x02CB: "\u0300", 0x02C6: "\u0302", 0x02DC: "\u0303", 0x00A8: "\u0308",
    0x02C7: "\u030c", 0x02D8: "\u0306", 0x02D9: "\u0307", 0x02DA: "\u030a", 0x00AF: "\u0304", 0x02C9: "\u0304",
    0x00B8: "\u0327", 0x02DB: "\u0328", 0x02DD: "\u030b",
}  # fmt: skip


# Text set at a slant (more than 10 degrees off the page's axes: a watermark, a stamp, a chart's tilted labels)
# is not grouped with the page's lines; each run of it becomes one line with a slanted quad.
_SLANT = math.radians(10)
MARK = "\ufffc"  # stands for a glyph with no Unicode text while words and lines are built
SLANTED = -1
BOLD, ITALIC = 1, 2  # a character's style bits
_ITALIC_FLAG = 1 << 6  # PDF font descriptor flag


@dataclass
class TextLayer:
    lines: list[Line] = field(default_factory=list)
    n_chars: int = 0  # visible characters
    n_bad: int = 0  # characters without a usable Unicode mapping
    # Visible characters per quarter turn of their text (0, 90, 180, 270: how far the text is turned
    # clockwise on the page, the convention of scriba.pipeline.turns). A table printed sideways is 270.
    turns: dict[int, int] = field(default_factory=dict)
    # ids of the lines set entirely in a bold font (subheadings a layout region holds with its paragraph).
    bold_lines: set[int] = field(default_factory=set)
    # ids of the lines set entirely in italics (run-in subheadings of books and manuals).
    italic_lines: set[int] = field(default_factory=set)

    @property
    def turn(self) -> int:
        """The page's turn when most of its text is turned (a landscape page printed sideways), else 0."""
        if not self.turns:
            return 0
        turn, count = max(self.turns.items(), key=lambda kv: kv[1])
        return turn if turn and count >= 0.5 * max(self.n_chars, 1) else 0

    @property
    def usable(self) -> bool:
        """Enough characters, nearly all mapped to real Unicode (not a scan, not a broken font encoding)."""
        return self.n_chars >= 20 and self.n_bad <= 0.05 * self.n_chars

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]


def _device_affine(page: pdfium.PdfPage, scale: float) -> np.ndarray:
    """2x3 matrix from PDF user space to rendered-image pixels (handles page rotation and crop boxes)."""
    w, h = page.get_size()
    sx, sy = round(w * scale), round(h * scale)
    rot = {0: 0, 90: 1, 180: 2, 270: 3}.get(page.get_rotation(), 0)
    pts_src, pts_dst = [], []
    for px, py in ((0.0, 0.0), (1000.0, 0.0), (0.0, 1000.0)):
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, sx * 100, sy * 100, rot, px, py, dx, dy)
        pts_src.append((px, py))
        pts_dst.append((dx.value / 100.0, dy.value / 100.0))
    src = np.array([[x, y, 1.0] for x, y in pts_src])
    dst = np.array(pts_dst)
    return np.linalg.solve(src, dst).T  # (2, 3)


def _char_table(
    textpage: pdfium.PdfTextPage,
) -> tuple[list[int], np.ndarray, list[int], list[int], dict[int, float]]:
    """Codes, PDF boxes, quarter turns (clockwise, on the rendered page; SLANTED for text set at a slant) and
    style bits (BOLD, ITALIC) of the page's characters, and the font size of each slanted one."""
    n = textpage.count_chars()
    slanted_size: dict[int, float] = {}
    codes: list[int] = []
    turns: list[int] = []
    style: list[int] = []
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    font_style: dict[bytes, int] = {}
    boxes = np.zeros((n, 4), dtype=np.float64)
    rect = pdfium_c.FS_RECTF()
    turn = 0
    for i in range(n):
        codes.append(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
        if pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, i, rect):
            boxes[i] = (rect.left, rect.bottom, rect.right, rect.top)
        # Radians, measured on the page as PDFium sees it: a glyph turned to read upwards (rotated 90 degrees
        # counter-clockwise in PDF space) has pi/2 and its text is turned 270 degrees clockwise. -1: none.
        angle = pdfium_c.FPDFText_GetCharAngle(textpage.raw, i)
        if angle >= 0 and codes[-1] not in _SPACES:  # generated spaces and breaks follow the glyph before
            off = angle % (math.pi / 2)
            if min(off, math.pi / 2 - off) > _SLANT:
                turn = SLANTED
                slanted_size[i] = pdfium_c.FPDFText_GetFontSize(textpage.raw, i)
            else:
                turn = (360 - 90 * (round(angle / (math.pi / 2)) % 4)) % 360
                turn = (360 - turn) % 360 if turn % 180 else turn
        turns.append(turn)
        # Font weights are often missing (0); the font's name says it ('Arial-BoldMT', 'NimbusSans-Bold',
        # 'TimesNewRomanPS-ItalicMT'), or for italics the font descriptor's flags.
        pdfium_c.FPDFText_GetFontInfo(textpage.raw, i, name, len(name), ctypes.byref(flags))
        key = name.value
        if key not in font_style:
            low = key.lower()
            font_style[key] = (
                BOLD if any(m in low for m in (b"bold", b"black", b"heavy", b"semibold", b"demi")) else 0
            ) | (ITALIC if b"italic" in low or b"oblique" in low or flags.value & _ITALIC_FLAG else 0)
        weight = BOLD if pdfium_c.FPDFText_GetFontWeight(textpage.raw, i) >= 600 else 0
        style.append(font_style[key] | weight)
    return codes, boxes, turns, style, slanted_size


def _to_pixels(boxes: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """PDF boxes (l, b, r, t) -> axis-aligned pixel boxes (x0, y0, x1, y1)."""
    corners_x = np.stack([boxes[:, 0], boxes[:, 2], boxes[:, 0], boxes[:, 2]], 1)
    corners_y = np.stack([boxes[:, 1], boxes[:, 1], boxes[:, 3], boxes[:, 3]], 1)
    px = affine[0, 0] * corners_x + affine[0, 1] * corners_y + affine[0, 2]
    py = affine[1, 0] * corners_x + affine[1, 1] * corners_y + affine[1, 2]
    return np.stack([px.min(1), py.min(1), px.max(1), py.max(1)], 1)


def _is_bad(code: int) -> bool:
    if code in (0xFFFD, 0):
        return True
    cat = unicodedata.category(chr(code)) if code < 0x110000 else "Cn"
    return cat in ("Cc", "Co", "Cn") and code not in _SOFT_HYPHENS


def _char_texts(codes: list[int], boxes: np.ndarray) -> list[str]:
    """Text of each character; a separate accent glyph is combined into the letter it sits on (and dropped
    itself), so 'J´an' reads 'Ján'."""
    texts = ["-" if c in _SOFT_HYPHENS else chr(c) for c in codes]
    # PDFium gives a character outside the BMP (math letters such as U+1D465) as two UTF-16 surrogates: one
    # character, on the first one's box. A lone surrogate is not text (and cannot be written as UTF-8).
    for i, c in enumerate(codes):
        if 0xD800 <= c <= 0xDBFF and i + 1 < len(codes) and 0xDC00 <= codes[i + 1] <= 0xDFFF:
            texts[i] = chr(0x10000 + ((c - 0xD800) << 10) + (codes[i + 1] - 0xDC00))
            texts[i + 1] = ""
        elif 0xD800 <= c <= 0xDFFF and texts[i] == chr(c):  # a lone half (a low half after a pair is '')
            texts[i] = ""
    accents = [i for i, c in enumerate(codes) if c in _ACCENTS]
    if not accents:
        return texts
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-3)
    letters = np.array([chr(c).isalpha() and c not in _ACCENTS for c in codes])
    for i in accents:
        near = letters & (np.abs(cy - cy[i]) < 0.5 * h[i]) & (np.abs(cx - cx[i]) < 0.6 * h[i])
        near &= (boxes[:, 0] - 0.15 * h[i] <= cx[i]) & (cx[i] <= boxes[:, 2] + 0.15 * h[i])
        cand = np.flatnonzero(near)
        if cand.size:
            j = int(cand[np.argmin(np.abs(cx[cand] - cx[i]))])
            texts[j] = unicodedata.normalize("NFC", texts[j] + _ACCENTS[codes[i]])
            texts[i] = ""
    return texts


def read_text_layer(page: pdfium.PdfPage, scale: float) -> TextLayer:
    """Words and lines of one page, with boxes in pixels of the page rendered at `scale` (= dpi / 72).

    Text turned on the page (a table printed sideways) is grouped into words and lines in its own upright
    frame; its polygons are quads on the page in reading order (the first corner is the text's top-left)."""
    textpage = page.get_textpage()
    try:
        codes, pdf_boxes, turns, style, sizes = _char_table(textpage)
    finally:
        textpage.close()
    layer = TextLayer()
    if not codes:
        return layer
    affine = _device_affine(page, scale)
    boxes = _to_pixels(pdf_boxes, affine)
    w, h = page.get_size()
    width, height = round(w * scale), round(h * scale)  # the rendered page's size, as in _device_affine
    turn_of = np.array(turns)
    layer.lines.extend(_slanted_lines(codes, boxes, np.flatnonzero(turn_of == SLANTED), sizes))
    for turn in sorted(set(turns) - {SLANTED}):
        idx = np.flatnonzero(turn_of == turn)
        sub_codes = [codes[i] for i in idx]
        sub_boxes = _turn_boxes(boxes[idx], turn, width, height)
        words, breaks_after, word_style = _words(sub_codes, sub_boxes, layer, turn, [style[i] for i in idx])
        lines = _words_to_lines(words, breaks_after)
        k = 0  # every word lands in one line, in order
        for line in lines:
            if all(st & BOLD for st in word_style[k : k + len(line.words)]):
                layer.bold_lines.add(id(line))
            if all(st & ITALIC for st in word_style[k : k + len(line.words)]):
                layer.italic_lines.add(id(line))
            k += len(line.words)
        lines = _bullets_from_marks(lines)
        if turn:
            for line in lines:
                _turn_back(line, turn, width, height)
        layer.lines.extend(lines)
    return layer


def _slanted_lines(
    codes: list[int], boxes: np.ndarray, idx: np.ndarray, sizes: dict[int, float]
) -> list[Line]:
    """Runs of slanted characters (consecutive in the content stream) -> one line each, its words split at
    spaces, with quads along the run's direction (first corner: the text's top-left)."""
    runs: list[list[int]] = []
    for i in idx.tolist():
        if runs and i == runs[-1][-1] + 1 and not _jump(boxes, runs[-1], i, codes, sizes):
            runs[-1].append(i)
        else:
            runs.append([i])
    lines: list[Line] = []
    for run in runs:
        # Text as the upright lines get it (surrogate pairs, separate accents, soft hyphens); None at a break.
        texts = [
            None if codes[i] in _SPACES or _is_bad(codes[i]) else t
            for i, t in zip(run, _char_texts([codes[i] for i in run], boxes[run]))
        ]
        glyphs = [i for i, t in zip(run, texts) if t]
        if not glyphs:
            continue
        centre = (boxes[glyphs, :2] + boxes[glyphs, 2:]) / 2
        d = centre[-1] - centre[0]
        u = d / np.linalg.norm(d) if len(glyphs) > 1 and np.linalg.norm(d) > 0 else np.array([1.0, 0.0])
        words: list[Word] = []
        word: list[tuple[int, str]] = []
        for i, t in [*zip(run, texts), (-1, None)]:
            if t:
                word.append((i, t))
            elif t is None and word:
                words.append(Word("".join(x for _, x in word), 1.0, _quad(boxes[[k for k, _ in word]], u)))
                word = []
        if words:
            lines.append(Line(" ".join(w.text for w in words), 1.0, _quad(boxes[glyphs], u), words))
    return lines


def _jump(boxes: np.ndarray, run: list[int], i: int, codes: list[int], sizes: dict[int, float]) -> bool:
    """Whether glyph `i` starts a new run: far from the run's last glyph, or in another font size (a
    watermark drawn right after a small tilted label)."""
    if codes[i] in _SPACES:
        return False
    last = next((k for k in reversed(run) if codes[k] not in _SPACES), None)
    if last is None:
        return False
    a, b = boxes[last], boxes[i]
    reach = max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1])
    far = np.hypot(*((a[:2] + a[2:]) / 2 - (b[:2] + b[2:]) / 2)) > 2.5 * reach
    size_a, size_b = sizes.get(last, 0.0), sizes.get(i, 0.0)
    return bool(far or abs(size_a - size_b) > 0.2 * max(size_a, size_b))


def _quad(boxes: np.ndarray, u: np.ndarray) -> list[list[float]]:
    """The rectangle along direction `u` (pixels) around the axis-aligned glyph boxes, as a reading quad."""
    up = np.array([u[1], -u[0]])
    corners = np.concatenate([boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [2, 3]], boxes[:, [0, 3]]])
    a, v = corners @ u, corners @ up
    # The glyph boxes are axis-aligned around turned glyphs: shrink across the run to the middle half.
    v_lo, v_hi = np.percentile(v, 25), np.percentile(v, 75)
    pts = [a.min() * u + v_hi * up, a.max() * u + v_hi * up, a.max() * u + v_lo * up, a.min() * u + v_lo * up]
    return [[float(p[0]), float(p[1])] for p in pts]


def _turn_boxes(boxes: np.ndarray, turn: int, width: int, height: int) -> np.ndarray:
    """Pixel boxes on the page -> boxes on the page turned so that text turned by `turn` reads upright."""
    if turn == 0:
        return boxes
    corners = np.stack([boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [2, 3]], boxes[:, [0, 3]]], 1)
    up = to_upright(corners, turn, width, height)
    return np.stack([up[..., 0].min(1), up[..., 1].min(1), up[..., 0].max(1), up[..., 1].max(1)], 1)


def _turn_back(line: Line, turn: int, width: int, height: int) -> None:
    """A line grouped in its upright frame -> its quad (and its words') on the page, corners as read."""
    line.polygon = from_upright(np.array(line.polygon), turn, width, height).tolist()
    for word in line.words:
        word.polygon = from_upright(np.array(word.polygon), turn, width, height).tolist()


def _words(
    codes: list[int], boxes: np.ndarray, layer: TextLayer, turn: int, style: list[int]
) -> tuple[list[tuple[str, np.ndarray]], set[int], list[int]]:
    """Characters (in content-stream order, boxes upright) -> words with boxes, the indices of the words
    followed by an explicit line break, and each word's style bits (those most of its characters have). Counts
    visible and unmapped characters into `layer`."""
    words: list[tuple[str, np.ndarray]] = []
    word_style: list[int] = []
    chars: list[str] = []
    cstyle: list[int] = []
    wbox: list[list[float]] = []
    breaks_after: set[int] = set()
    space_pending = False

    def close_word() -> None:
        if chars:
            text = _plain_tex(_quotes("".join(chars)))
            if text:  # else nothing was left of a TeX fragment
                words.append(
                    (
                        text,
                        np.array(
                            [
                                min(b[0] for b in wbox),
                                min(b[1] for b in wbox),
                                max(b[2] for b in wbox),
                                max(b[3] for b in wbox),
                            ]
                        ),
                    )
                )
                # A style the word has in most of its characters.
                word_style.append(
                    sum(b for b in (BOLD, ITALIC) if 2 * sum(bool(c & b) for c in cstyle) > len(cstyle))
                )
            chars.clear()
            cstyle.clear()
            wbox.clear()

    # Python floats: this loop runs once per character, and numpy scalars are slow to compute with one by one.
    for code, text, box, char_style in zip(codes, _char_texts(codes, boxes), boxes.tolist(), style):
        if not text:
            continue
        if code in (0x0A, 0x0D):
            close_word()
            space_pending = False
            if words:
                breaks_after.add(len(words) - 1)
            continue
        if code in _SPACES or box[2] - box[0] <= 0 and box[3] - box[1] <= 0:
            space_pending = True  # decided at the next character: PDFium adds spaces where glyphs jump
            continue
        layer.n_chars += 1
        layer.turns[turn] = layer.turns.get(turn, 0) + 1
        if _is_bad(code):
            layer.n_bad += 1
            text = MARK  # a symbol-font glyph with no text: a bullet where it opens a line, else nothing
        if wbox:
            prev = wbox[-1]
            h = max(prev[3] - prev[1], box[3] - box[1], 1e-3)
            gap = box[0] - prev[2]
            same_row = abs((box[1] + box[3]) / 2 - (prev[1] + prev[3]) / 2) < 0.5 * h
            # A space between two glyphs that touch is an artefact (e.g. after a separate accent glyph).
            touching = same_row and abs(gap) < 0.05 * h
            # Stepping back left starts a new word; ligature parts share one box, so compare left edges.
            if (
                (space_pending and not touching)
                or not same_row
                or gap > 0.25 * h
                or box[0] < prev[0] - 0.1 * h
            ):
                close_word()
        space_pending = False
        chars.append(text)
        cstyle.append(char_style)
        wbox.append(box)
    close_word()
    # Marks count only as a word of their own (a bullet or box opening a line); inside a word they are dropped
    # (which leaves it its other characters: no word is marks and letters without some of the latter).
    words = [(t if set(t) == {MARK} else t.replace(MARK, ""), box) for t, box in words]
    return words, breaks_after, word_style


def _bullets_from_marks(lines: list[Line]) -> list[Line]:
    """A mark word opening a line becomes a bullet ("•"); a line of marks alone is the bullet of the line just
    right of it in its row (Word sets a symbol-font bullet a tab stop away from its text). Other marks go."""
    out: list[Line] = []
    for line in lines:
        words = [w for k, w in enumerate(line.words) if k == 0 or set(w.text) != {MARK}]
        if words and set(words[0].text) == {MARK}:
            words[0] = Word(text="•", confidence=1.0, polygon=words[0].polygon)
        line.words = words
        line.text = " ".join(w.text for w in words)
        if words:
            out.append(line)
    marks = [x for x in out if x.text == "•"]
    for mark in marks:
        m = bbox_of(mark.polygon)
        h = m[3] - m[1]
        beside = [
            x
            for x in out
            if x is not mark
            and x.text != "•"
            and 0 <= bbox_of(x.polygon)[0] - m[2] <= 3 * h
            and abs((bbox_of(x.polygon)[1] + bbox_of(x.polygon)[3]) - (m[1] + m[3])) < h
        ]
        if beside:
            text_line = min(beside, key=lambda x: bbox_of(x.polygon)[0])
            text_line.words = [*mark.words, *text_line.words]
            text_line.text = "• " + text_line.text
    out = [x for x in out if x.text != "•"]
    for line in out:
        if len(line.words) > 1 and line.words[0].text == "•":
            # A symbol font's box is taller than the text's: the line keeps its text's height.
            _, y0, _, y1 = bbox_of(union_polygon([w.polygon for w in line.words[1:]]))
            x0, _, x1, _ = bbox_of(line.words[0].polygon)
            line.words[0].polygon = polygon_of_bbox(x0, y0, x1, y1)
            line.polygon = union_polygon([w.polygon for w in line.words])
    return out


# TeX control words a PDF may carry as the "actual text" of a formula, as the characters they typeset.
_TEX_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Pi": "Π", "Sigma": "Σ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "times": "×", "cdot": "·", "leq": "≤", "le": "≤", "geq": "≥",
    "ge": "≥", "neq": "≠", "ne": "≠", "pm": "±", "infty": "∞", "sum": "∑", "prod": "∏", "int": "∫",
    "partial": "∂", "nabla": "∇", "rightarrow": "→", "to": "→", "leftarrow": "←", "approx": "≈", "sim": "∼",
    "in": "∈", "sqrt": "√", "ldots": "…", "cdots": "⋯", "prime": "′", "circ": "∘", "propto": "∝",
}  # fmt: skip
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")


def _plain_tex(word: str) -> str:
    """A word of TeX source (a formula's actual text, often cut into fragments such as '$\\frac}$') as the
    characters it stands for: a/b for a fraction, symbols for control words, no dollars or braces. The parser
    has no formula recognizer, and a fragment of LaTeX is neither valid math nor readable text. Only words
    with TeX math markup (a dollar with braces, scripts or a backslash) or a known TeX command are touched, so
    '$5', 'a_b' and a path like 'C:\\Users' stay as they are."""
    if word == "$":
        return word  # a currency sign set apart (a statement's column of '$'), not TeX
    if set(word) <= set("${}\\^_"):
        return ""  # a fragment of pure TeX markup ('}{', '$$')
    in_math = "$" in word and any(c in word for c in "\\{}^_")
    commands = _TEX_COMMAND.findall(word)
    if not in_math and not any(c in _TEX_SYMBOLS or c in ("frac", "dfrac", "tfrac") for c in commands):
        return word
    word = _FRAC.sub(r"\1/\2", word)
    word = _TEX_COMMAND.sub(lambda m: _TEX_SYMBOLS.get(m.group(1), ""), word)
    return re.sub(r"[${}\\]", "", word)


def _quotes(word: str) -> str:
    """Two single quotes typeset as a double quote (TeX's `` and '') read as one double quote."""
    if "\u2018\u2018" in word or "\u2019\u2019" in word:
        word = word.replace("\u2018\u2018", "\u201c").replace("\u2019\u2019", "\u201d")
    return word


def _words_to_lines(words: list[tuple[str, np.ndarray]], breaks_after: set[int]) -> list[Line]:
    lines: list[Line] = []
    current: list[tuple[str, np.ndarray]] = []

    def close_line() -> None:
        if current:
            b = np.array([w[1] for w in current])
            bbox = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))
            ws = [Word(text=t, confidence=1.0, polygon=polygon_of_bbox(*map(float, wb))) for t, wb in current]
            lines.append(
                Line(
                    text=" ".join(w.text for w in ws),
                    confidence=1.0,
                    polygon=polygon_of_bbox(*bbox),
                    words=ws,
                )
            )
            current.clear()

    for k, (text, box) in enumerate(words):
        if current:
            prev = current[-1][1]
            h = max(min(prev[3] - prev[1], box[3] - box[1]), 1e-3)
            gap = box[0] - prev[2]
            v_overlap = min(prev[3], box[3]) - max(prev[1], box[1])
            if v_overlap < 0.5 * h or gap > 0.9 * h or gap < -0.5 * h:
                close_line()
        current.append((text, box))
        if k in breaks_after:
            close_line()
    close_line()
    return lines
