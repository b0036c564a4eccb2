"""Lines into running text: how two pieces of text join (a space, nothing between CJK characters, a mended
hyphen) and whether a paragraph goes on in the next block (across a line gap, a column or a page).

Conservative on purpose: a paragraph is continued only when the first ends mid-sentence and the next starts
like a continuation, and a hyphen is dropped only between two lower-case letters.
"""

from __future__ import annotations

import re

from scriba.document import Block, bbox_of

# Han, kana and CJK punctuation are written without spaces. Hangul is not: Korean puts spaces between words.
_CJK_CHARS = "\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK = re.compile(f"[{_CJK_CHARS}]")
_CJK_SPACE = re.compile(f"(?<=[{_CJK_CHARS}])[ \t]+(?=[{_CJK_CHARS}])")
# A Latin word broken at the line end: "docu-" (a lower-case letter before the hyphen).
_HYPHEN_END = re.compile(r"[a-zà-ÿ]-$")
# Ends that close a sentence or a unit (quotes and brackets too: what follows is likely something new).
_CLOSED_END = re.compile(r"[.!?:;。！？：；…\"”’)\]）」』】〕>]$")
# Block kinds of running text (the layout model calls some body columns 'reference').
PROSE_KINDS = {"text", "reference"}
_LIST_START = re.compile(r"^([-*•·▪◦]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")


def tidy_line(text: str) -> str:
    """One line's text with the spaces OCR puts between CJK characters taken out (a space between a CJK
    character and a Latin word stays)."""
    return _CJK_SPACE.sub("", text.strip())


def join_pair(left: str, right: str) -> str:
    """`left` and `right` as one run of text: nothing between CJK characters, a Latin word hyphenated at the
    break mended ('docu-' + 'ment'), else one space."""
    if not left or not right:
        return left or right
    if CJK.match(left[-1]) and CJK.match(right[0]):
        return left + right
    if _HYPHEN_END.search(left) and right[0].islower():
        return left[:-1] + right
    return left + " " + right


def join_lines(texts: list[str]) -> str:
    out = ""
    for text in texts:
        out = join_pair(out, tidy_line(text))
    return out


_ITEM_NUMBER = re.compile(r"^\[?(\d{1,3})[\].)]?\s+\S")
_LIST_NUMBER = re.compile(r"^\d{1,3}[.)]\s")
_BULLET = re.compile(r"^[•·▪◦●○■□➢►]\s*")


def numbered_items(texts: list[str]) -> list[list[str]] | None:
    """A block's lines split into its entries (a reference list '1 Smith J. ...', '[2] ...', a numbered list
    '3. ...', a bulleted list '• ...'), or None when it is not one. A numbered entry starts only at the next
    number in sequence, so a line that happens to start with a number ('17 May 2004' inside entry 2) stays in
    its entry."""
    if not texts:
        return None
    if _BULLET.match(texts[0]):
        items: list[list[str]] = []
        for text in texts:
            if _BULLET.match(text) or not items:
                items.append([text])
            else:
                items[-1].append(text)
        return items
    first = _ITEM_NUMBER.match(texts[0])
    if first is None:
        # A lead (a form's question) followed by ticked or bulleted options: the lead, then one entry each.
        if sum(bool(_BULLET.match(t)) for t in texts[1:]) < 2:
            return None
        return _split_bullets([texts])
    items, expected = [[texts[0]]], int(first.group(1)) + 1
    for text in texts[1:]:
        m = _ITEM_NUMBER.match(text)
        if m and int(m.group(1)) == expected:
            items.append([text])
            expected += 1
        else:
            items[-1].append(text)
    if sum(bool(_BULLET.match(t)) for t in texts[1:]) >= 2:
        items = _split_bullets(items)
    return items if len(items) >= 2 else None


def _split_bullets(items: list[list[str]]) -> list[list[str]]:
    """Each entry cut again where a line starts with a bullet or a box (a numbered question's options)."""
    out: list[list[str]] = []
    for item in items:
        out.append([item[0]])
        for text in item[1:]:
            if _BULLET.match(text):
                out.append([text])
            else:
                out[-1].append(text)
    return out


def is_bullet(text: str) -> bool:
    return bool(_BULLET.match(text))


def list_markdown(items: list[str]) -> str | None:
    """Entries as a Markdown list ('- ' for bullets, '1. ' kept), one line each, or None for entries that are
    not list items in Markdown's sense (references '1 Smith', '[1] Smith'): those stay paragraphs."""
    if all(_BULLET.match(t) for t in items):
        return "\n".join("- " + _BULLET.sub("", t) for t in items)
    if all(_LIST_NUMBER.match(t) for t in items):
        return "\n".join(items)
    return None


def _line_height(block: Block) -> float:
    hs = sorted(bbox_of(x.polygon)[3] - bbox_of(x.polygon)[1] for x in block.lines)
    return hs[len(hs) // 2] if hs else 0.0


def continues(prev: Block, prev_text: str, nxt: Block, nxt_text: str) -> bool:
    """Whether `nxt` is the rest of the paragraph `prev` (e.g. cut by a column or page break): `prev` ends
    mid-sentence, its last line runs to its full width, and `nxt` starts lower-case (or, after CJK text, with a
    CJK character) on a line that is not indented."""
    if prev.kind not in PROSE_KINDS or nxt.kind not in PROSE_KINDS or not prev.lines or not nxt.lines:
        return False
    if not prev_text or not nxt_text or _CLOSED_END.search(prev_text) or _LIST_START.match(nxt_text):
        return False
    cjk = CJK.match(prev_text[-1]) is not None
    if cjk:
        if not CJK.match(nxt_text[0]) or nxt_text[0] in "\u3000「『（【〔":
            return False
    elif not nxt_text[0].islower():
        return False
    # A line of running text holds a dozen characters or more; form labels and table-like fragments do not.
    if len("".join(prev.lines[-1].text.split())) < 12:
        return False
    h = max(_line_height(prev), _line_height(nxt), 1.0)
    pb, nb = bbox_of(prev.polygon), bbox_of(nxt.polygon)
    last, first = bbox_of(prev.lines[-1].polygon), bbox_of(nxt.lines[0].polygon)
    # The last line of `prev` is about full: it ends near the right edge of its paragraph (ragged-right text
    # leaves up to a long word's width), and a one-line `prev` is about as wide as the text it continues into
    # (a short heading-like line is not).
    if last[2] < pb[2] - max(2 * h, 0.25 * (pb[2] - pb[0])):
        return False
    if len(prev.lines) == 1 and pb[2] - pb[0] < 0.8 * (nb[2] - nb[0]):
        return False
    # The first line of `nxt` is not indented: against the rest of `nxt`, or, when `nxt` is one line, against
    # the left edge of `prev` (same column) or of `nxt` itself.
    rest = [bbox_of(x.polygon)[0] for x in nxt.lines[1:]]
    left = min(rest) if rest else min(pb[0], nb[0]) if abs(pb[0] - nb[0]) < 3 * h else nb[0]
    return first[0] <= left + 0.8 * h
