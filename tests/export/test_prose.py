"""Running text in Markdown: numbered entries (a reference list) stay one paragraph each."""

from __future__ import annotations

from scriba.document import Block, Document, Line, Page
from scriba.export.prose import numbered_items

REFERENCES = [
    "1 British American Tobacco. Social Report. http://www.bat.com/204pp.",
    "2 Wroe D. Tobacco ad campaign angers MPs. The Age (Melbourne) 2004; May",
    "17 http://www.theage.com.au/articles/2004/05/16/",  # a line that starts with a number inside entry 2
    "3 Hirschhorn N. Corporate social responsibility and the tobacco industry:",
    "hope or hype? Tobacco Control 2004;13:447-53.",
]


def _block(texts: list[str], kind: str = "reference") -> Block:
    lines = [
        Line(t, 1.0, [[0, 20 * k], [500, 20 * k], [500, 20 * k + 15], [0, 20 * k + 15]])
        for k, t in enumerate(texts)
    ]
    return Block(lines, [[0, 0], [500, 0], [500, 100], [0, 100]], kind=kind)


def test_entries_start_only_at_the_next_number() -> None:
    items = numbered_items(REFERENCES)
    assert items is not None and [len(i) for i in items] == [1, 2, 2]
    assert numbered_items(["12 apples were sold", "on the market", "in June"]) is None  # one entry: prose
    assert numbered_items(["[1] A. Author, Title.", "[2] B. Author, Other title."]) == [
        ["[1] A. Author, Title."],
        ["[2] B. Author, Other title."],
    ]


def test_markdown_writes_one_paragraph_per_entry() -> None:
    md = Document([Page(600, 200, blocks=[_block(REFERENCES)])]).to_markdown()
    assert md.split("\n\n") == [
        "1 British American Tobacco. Social Report. http://www.bat.com/204pp.",
        ("2 Wroe D. Tobacco ad campaign angers MPs. The Age (Melbourne) 2004; May 17 "
        "http://www.theage.com.au/articles/2004/05/16/"),
        ("3 Hirschhorn N. Corporate social responsibility and the tobacco industry: hope or hype? Tobacco "
        "Control 2004;13:447-53.\n"),
    ]
