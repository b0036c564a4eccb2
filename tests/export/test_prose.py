"""Running text in Markdown: numbered entries (a reference list) stay one paragraph each; a figure between a
paragraph and its rest follows the whole paragraph."""

from __future__ import annotations

from scriba.document import Block, Document, Line, Page, polygon_of_bbox, union_polygon
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
        (
            "2 Wroe D. Tobacco ad campaign angers MPs. The Age (Melbourne) 2004; May 17 "
            "http://www.theage.com.au/articles/2004/05/16/"
        ),
        (
            "3 Hirschhorn N. Corporate social responsibility and the tobacco industry: hope or hype? Tobacco "
            "Control 2004;13:447-53.\n"
        ),
    ]


def test_numbered_list_is_one_markdown_list() -> None:
    steps = ["1. Open the valve slowly.", "2. Wait until the gauge reads", "four bar.", "3. Close the valve."]
    md = Document([Page(600, 200, blocks=[_block(steps, kind="text")])]).to_markdown()
    assert md == "1. Open the valve slowly.\n2. Wait until the gauge reads four bar.\n3. Close the valve.\n"


def test_bullets_in_a_pdf_become_a_markdown_list(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Bullet signs the text layer keeps apart from their items (they stand in the margin) join them, and
    the items are written as a Markdown list, a wrapped item as one line."""
    from scriba import ParseOptions, Parser
    from tests.pipeline.parse_fixtures import _canvas

    c, (_, h) = _canvas(tmp_path / "list.pdf")
    c.setFont("Serif", 11)
    c.drawString(72, h - 90, "The early machines were used in offices for three tasks:")
    items = [["Letters typed once and printed many times over the", "course of a working day."],
             ["Reports revised without retyping the pages."], ["Forms filled in from stored records."]]  # fmt: skip
    y = h - 115
    for item in items:
        c.drawString(80, y, "•")
        for k, text in enumerate(item):
            c.drawString(96, y - 14 * k, text)
        y -= 14 * len(item) + 6
    c.drawString(
        72, y - 10, "Secretarial pools benefited most from these machines in the years that followed."
    )
    c.showPage()
    c.save()
    md = Parser(ParseOptions(dpi=144))(tmp_path / "list.pdf").to_markdown()
    assert (
        "- Letters typed once and printed many times over the course of a working day.\n"
        "- Reports revised without retyping the pages.\n"
        "- Forms filled in from stored records."
    ) in md


def test_a_question_and_its_ticked_options_are_a_lead_and_a_list() -> None:
    """A form's question (numbered or not) followed by box or bullet options: the question stays one
    paragraph and its options become a Markdown list right under it, one entry each (an option may wrap)."""
    numbered = [
        "24. Do the staff lawyers coordinate to uniformly challenge common",
        "violations of due process rights?",
        "■ Yes, at the national (federal) level",
        "■ Yes, at regional (district) level",
        "■ No",
    ]
    plain = [
        "Which of these apply?",
        "□ They work in parallel",
        "□ They coordinate appointments of",
        "practitioners",
    ]
    md = Document(
        [Page(600, 300, blocks=[_block(numbered, kind="text"), _block(plain, kind="text")])]
    ).to_markdown()
    assert md.split("\n\n") == [
        (
            "24. Do the staff lawyers coordinate to uniformly challenge common violations of due process rights?\n"
            "- Yes, at the national (federal) level\n- Yes, at regional (district) level\n- No"
        ),
        "Which of these apply?\n- They work in parallel\n- They coordinate appointments of practitioners\n",
    ]
    # One box in running text is not a list.
    assert numbered_items(["Tick the box ■ when done and", "■ sign below."]) is None


def test_questions_with_options_in_blocks_of_their_own_stay_apart() -> None:
    q1 = ["24. Is there a limit?", "■ Yes", "■ No"]
    q2 = ["25. Is there a second limit?", "■ Yes", "■ No"]
    md = Document([Page(600, 300, blocks=[_block(q1, kind="text"), _block(q2, kind="text")])]).to_markdown()
    assert md == "24. Is there a limit?\n- Yes\n- No\n\n25. Is there a second limit?\n- Yes\n- No\n"


def _column_block(texts: list[str], x0: float, y0: float, kind: str = "text") -> Block:
    lines = [
        Line(t, 1.0, polygon_of_bbox(x0, y0 + 30 * k, x0 + 400, y0 + 30 * k + 24))
        for k, t in enumerate(texts)
    ]
    return Block(lines=lines, polygon=union_polygon([x.polygon for x in lines]), kind=kind)


def test_a_figure_between_a_paragraph_and_its_rest_follows_the_whole_paragraph() -> None:
    head = _column_block(
        ["The spring keeps the two sections a distance", "apart so that the threads of each are"], 50, 900
    )
    figure = Block(lines=[], polygon=polygon_of_bbox(50, 1000, 450, 1300), kind="figure")
    caption = _column_block(["Figure 3. Two kinds of nut."], 50, 1310, "figure_caption")
    rest = _column_block(["out of phase, and the nut holds fast.", "It is made in three sizes."], 500, 100)
    doc = Document(pages=[Page(width=1000, height=1400, blocks=[head, figure, caption, rest])])
    parts = doc.to_markdown().strip().split("\n\n")
    assert parts[0] == (
        "The spring keeps the two sections a distance apart so that the threads of each are out of phase, "
        "and the nut holds fast. It is made in three sizes."
    )
    assert parts[1:] == ["*Figure 3. Two kinds of nut.*"]  # a figure without a crop writes nothing
    # A paragraph that ended keeps the figure where it stands.
    ended = _column_block(
        ["The spring keeps the two sections a distance", "apart, as the figure shows."], 50, 900
    )
    doc = Document(pages=[Page(width=1000, height=1400, blocks=[ended, caption, rest])])
    assert doc.to_markdown().strip().split("\n\n")[1] == "*Figure 3. Two kinds of nut.*"
