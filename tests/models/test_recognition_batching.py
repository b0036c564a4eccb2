"""Packed, width-bucketed and parallel recognition read the same text as one line at a time and as PaddleOCR's
batching; the Latin-subset head reads Latin lines exactly as the full head does."""

from __future__ import annotations

import itertools
import string

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scriba.models.recognition.ctc import TextRecognizer, latin_classes
from scriba.models.recognition.packing import Row, Slot, pack_rows, step_ranges
from scriba.models.registry import get_model
from scriba.models.runtime import RuntimeOptions
from tests.conftest import font, render_lines

LINES = [
    "7",
    "Total",
    "Room 42",
    "Invoice date: 2026-03-14",
    "The quick brown fox jumps over the lazy dog",
    "Shipping address: 221B Baker Street, London NW1 6XE, United Kingdom",
    "Yes",
    "Page 3 of 12",
]


@pytest.fixture(scope="module")
def crops() -> list[np.ndarray]:
    out = []
    for k, text in enumerate(LINES):
        size, name = 26 + 4 * (k % 3), ["sans", "serif", "arial"][k % 3]
        width = int(font(name, size).getlength(text)) + 16
        out.append(render_lines([text], size=size, font_name=name, width=width, margin=8, spacing=1.3))
    return out


def test_packed_bucketed_parallel_match_one_by_one_and_paddle(crops: list[np.ndarray]) -> None:
    spec = get_model("ppocrv5").rec
    single = TextRecognizer(spec, RuntimeOptions(threads=1), batch_size=1, latin_subset=False)
    bucketed = TextRecognizer(spec, RuntimeOptions(threads=1), workers=2, batch_size=3, batching="bucketed")
    paddle = TextRecognizer(spec, RuntimeOptions(threads=1, fold_affine=False), batching="paddle")
    packed = TextRecognizer(spec, RuntimeOptions(threads=1), workers=2, batching="packed")
    expected = [single([c])[0].text for c in crops]
    assert expected == LINES
    assert [r.text for r in bucketed(crops)] == expected
    assert [r.text for r in paddle(crops)] == expected
    # Short lines share rows here ("7", "Total", "Yes", ... : those PaddleOCR pads to 320 columns): each still
    # reads alone, with its own confidence.
    many = crops * 2
    assert any(len(rows[0].slots) > 1 for rows, _ in packed.plan(many))
    result = packed(many)
    assert [r.text for r in result] == expected * 2
    for r in result:
        assert r.confidence > 0.8
        assert all(0.0 <= a <= b <= 1.0 for a, b in r.char_spans)
        assert len(r.char_spans) == len(r.text)


def test_packed_word_positions_stay_inside_their_crop(crops: list[np.ndarray]) -> None:
    """Character spans of a packed crop are fractions of that crop: "Room 42" has its digits on the right."""
    packed = TextRecognizer(get_model("ppocrv5").rec, RuntimeOptions(threads=1), batching="packed")
    short = [c for c, t in zip(crops, LINES) if len(t) <= 8]
    rec = packed(short)[[t for t in LINES if len(t) <= 8].index("Room 42")]
    assert rec.text == "Room 42"
    assert rec.char_spans[0][0] < 0.2 and rec.char_spans[-1][1] > 0.8


def test_latin_subset_reads_like_the_full_head(crops: list[np.ndarray]) -> None:
    spec = get_model("ppocrv5").rec
    full = TextRecognizer(spec, RuntimeOptions(threads=1), latin_subset=False, batching="paddle")
    fast = TextRecognizer(spec, RuntimeOptions(threads=1), batching="paddle")
    assert full.subset_session is None and fast.subset_session is not None
    keep = latin_classes(fast.characters)
    assert 500 < len(keep) < 2000 and keep[0] == 0
    kept = {fast.characters[i] for i in keep}
    assert set(string.printable.strip()) <= kept and "中" not in kept
    many = crops * 2
    a, b = full(many), fast(many)
    assert fast._session is None  # the subset and head sessions together are the whole model
    assert [r.text for r in b] == [r.text for r in a]
    for x, y in zip(a, b):
        assert abs(x.confidence - y.confidence) < 1e-3
    # The subset session's own output maps back to full-list indices.
    x = fast._batch_tensor(many[:1], [Row((Slot(0, 0, fast.content_width(many[0])),))], 320)
    idx_full = full.session.run(None, {full.input_name: x})[0]
    idx_fast = fast.subset_session.run(None, {fast.input_name: x})[0]
    assert np.array_equal(idx_full, idx_fast)


def test_recheck_reads_weak_lines_exactly_as_the_full_head(crops: list[np.ndarray]) -> None:
    """Rechecked lines are re-read by the full head from the features of their own batch, so they read exactly
    as with the full head from the start, confidences included; here the weaker half of the lines is rechecked."""
    spec = get_model("ppocrv5").rec
    full = TextRecognizer(spec, RuntimeOptions(threads=1), latin_subset=False, batching="paddle", batch_size=3)
    fast = TextRecognizer(spec, RuntimeOptions(threads=1), batching="paddle", batch_size=3)
    many = crops * 2

    def subset_only() -> list:
        return fast._in_order(len(many), fast._start_jobs(many, fast.plan(many), "subset")())

    fast.recheck_below = 0.0
    subset_conf = [r.confidence for r in subset_only()]
    fast.recheck_below = float(np.median(subset_conf))
    a, b = full(many), subset_only()
    assert [r.text for r in a] == [r.text for r in b]
    rechecked = [k for k, c in enumerate(subset_conf) if c < fast.recheck_below]
    assert 0 < len(rechecked) < len(many)
    for k in rechecked:
        assert a[k].confidence == pytest.approx(b[k].confidence, abs=1e-6)


def test_pack_rows_fills_rows_without_overlap() -> None:
    widths = [300, 40, 50, 310, 700, 120, 60, 319, 320, 8, 100, 150]
    rows, wide = pack_rows(widths, 320, 16)
    assert sorted(wide) == [i for i, w in enumerate(widths) if w >= 320]
    placed = sorted(s.index for r in rows for s in r.slots)
    assert placed == [i for i, w in enumerate(widths) if w < 320]
    for row in rows:
        for s in row.slots:
            assert s.offset % 8 == 0 and s.offset + s.width <= 320 and s.width == widths[s.index]
        for a, b in zip(row.slots, row.slots[1:]):
            assert b.offset >= a.offset + a.width + 16
        ranges = step_ranges(row, 40, 8)
        assert ranges[0][0] == 0 and ranges[-1][1] == 40
        assert all(r0[1] == r1[0] for r0, r1 in itertools.pairwise(ranges))
        for s, (t0, t1) in zip(row.slots, ranges):
            assert t0 * 8 <= s.offset + 8 and t1 * 8 >= s.offset + s.width - 8
    assert len(rows) < len(placed)


def test_plan_covers_every_crop_once_within_limits(crops: list[np.ndarray]) -> None:
    rec = TextRecognizer(get_model("ppocrv5").rec, batch_size=3, max_batch_width=1500, batching="bucketed")
    many = crops * 4
    plan = rec.plan_batches(many)
    ids = sorted(i for batch, _ in plan for i in batch)
    assert ids == list(range(len(many)))
    for batch, width in plan:
        assert len(batch) <= 3
        assert all(rec.content_width(many[i]) <= width for i in batch)
        assert len(batch) == 1 or len(batch) * width <= 1500
    packed = TextRecognizer(get_model("ppocrv5").rec, batch_size=3, max_batch_width=1500, batching="packed")
    assert sorted(i for batch, _ in packed.plan_batches(many) for i in batch) == list(range(len(many)))


def test_unknown_batching_is_refused() -> None:
    with pytest.raises(ValueError):
        TextRecognizer(get_model("ppocrv5").rec, batching="random")


def test_large_head_without_a_matmul_falls_back_to_the_full_head(tmp_path) -> None:
    """A user's recognizer with many classes but no MatMul -> Add -> Softmax head still loads (no subset)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from scriba.models.registry import ModelFile, RecognizerSpec

    classes = 2100
    w = np.random.default_rng(0).normal(0, 0.1, (classes, 3, 1, 1)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w"], ["c"], strides=[1, 8]),
            helper.make_node("ReduceMean", ["c"], ["m"], axes=[2], keepdims=0),
            helper.make_node("Transpose", ["m"], ["t"], perm=[0, 2, 1]),
            helper.make_node("Softmax", ["t"], ["probs"], axis=-1),
        ],
        "toy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 48, "w"])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["n", "t", classes])],
        [numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, tmp_path / "rec.onnx")
    keys = [chr(0x4E00 + i) for i in range(classes - 200)] + [chr(0x41 + i % 26) for i in range(198)]
    (tmp_path / "keys.txt").write_text("\n".join(keys) + "\n", encoding="utf-8")
    spec = RecognizerSpec(ModelFile(str(tmp_path / "rec.onnx")), keys=ModelFile(str(tmp_path / "keys.txt")))
    rec = TextRecognizer(spec, RuntimeOptions(threads=1, fold_affine=False))
    assert rec.subset_session is None
    out = rec([np.full((32, 200, 3), 255, np.uint8)])
    assert len(out) == 1


@pytest.mark.parametrize("wide_pad", [0.0, 0.08])
def test_packed_mode_groups_wide_lines_by_width_with_a_right_margin(crops: list[np.ndarray], wide_pad: float) -> None:
    """Wide crops are batched by width, not in PaddleOCR's sixes: every one keeps at least `wide_margin` columns
    plus `wide_pad` of its width as padding on its right, and still reads its text."""
    spec = get_model("ppocrv5").rec
    packed = TextRecognizer(spec, RuntimeOptions(threads=1), batching="packed", batch_size=3, wide_pad=wide_pad)
    many = crops * 3
    wide = {k for k, c in enumerate(many) if packed.content_width(c) >= spec.min_width}
    assert 3 <= len(wide) < len(many)
    for rows, width in packed.plan(many):
        for row in rows:
            if row.slots[0].index in wide:
                assert len(row.slots) == 1 and width % 8 == 0
                w = row.slots[0].width
                assert width - w >= min(packed.wide_margin + int(packed.wide_pad * w), spec.max_width - w)
    result = packed(many)
    assert [result[k].text for k in sorted(wide)] == [(LINES * 3)[k] for k in sorted(wide)]


def test_weak_packed_lines_are_read_again_alone(crops: list[np.ndarray]) -> None:
    """A packed line read under recheck_below is read again alone at the row width: with every line below it,
    every shared line reads exactly as in PaddleOCR's batching."""
    spec = get_model("ppocrv5").rec
    paddle = TextRecognizer(spec, RuntimeOptions(threads=1), batching="paddle", latin_subset=False)
    packed = TextRecognizer(spec, RuntimeOptions(threads=1), batching="packed", latin_subset=False, recheck_below=1.01)
    many = crops * 2
    shared = {s.index for rows, _ in packed.plan(many) for row in rows if len(row.slots) > 1 for s in row.slots}
    assert shared
    a, b = paddle(many), packed(many)
    for k in shared:
        assert b[k].text == a[k].text
        assert b[k].confidence == pytest.approx(a[k].confidence, abs=1e-6)


def test_a_foreign_line_among_latin_lines_is_read_by_the_full_head() -> None:
    """Lines in other scripts are found line by line (not from the lines read before): in one batch of Latin
    lines, the Chinese and Japanese ones read as the full head reads them, Han and kana characters included."""
    spec = get_model("ppocrv5").rec
    full = TextRecognizer(spec, RuntimeOptions(threads=1), latin_subset=False, batching="packed")
    fast = TextRecognizer(spec, RuntimeOptions(threads=1), batching="packed")
    texts = ["Invoice 2026-11-23", "日期 2023年08月25日", "Total due: 42.50", "東京都千代田区", "Tel 电话 138", "Thank you"]
    crops = []
    for t in texts:
        f = font("sans" if t.isascii() else "cjk", 36)
        x0, y0, x1, y1 = f.getbbox(t)
        img = Image.new("RGB", (x1 - x0 + 16, y1 - y0 + 16), "white")
        ImageDraw.Draw(img).text((8 - x0, 8 - y0), t, font=f, fill="black")
        crops.append(np.asarray(img))
    fast.recheck_below = 0.0  # only the script guard may call the full head
    a, b = [r.text for r in full(crops)], [r.text for r in fast(crops)]
    assert b == a
    assert "年" in b[1] and "東京" in b[3] and "电话" in b[4]
