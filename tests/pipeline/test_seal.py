"""Seal text: curved lines straightened and read along their arcs, on seals rendered here (circle and oval,
red ink, Latin and Chinese), alone and stamped on a page; and the geometry of the straightening itself."""

from __future__ import annotations

import numpy as np
import pytest

from scriba.models.registry import DEFAULT_MODEL
from scriba.pipeline.seal import SealReader, find_seals, orient_sides, rectify, split_sides, square_ends
from tests.conftest import render_lines, render_seal


@pytest.fixture(scope="module")
def engine():
    from scriba import OCR

    return OCR(model=DEFAULT_MODEL, seals=True)


@pytest.fixture(scope="module")
def reader(engine) -> SealReader:
    return SealReader(engine)


def _lines(blocks) -> list[str]:
    assert [b.kind for b in blocks] == ["seal"]
    return [ln.text for ln in blocks[0].lines]


def test_circular_latin_seal_reads_along_both_arcs(reader: SealReader) -> None:
    seal = render_seal("SCRIBA DOCUMENT SERVICES", middle=("APPROVED",), bottom="BERLIN 2026")
    assert _lines(reader(seal)) == ["SCRIBA DOCUMENT SERVICES", "APPROVED", "BERLIN 2026"]


def test_oval_chinese_seal(reader: SealReader) -> None:
    seal = render_seal("北京文字识别科技有限公司", middle=("合同专用章",), font_name="cjk", shape="oval", font_size=38)
    assert _lines(reader(seal)) == ["北京文字识别科技有限公司", "合同专用章"]


def test_circular_chinese_seal_over_more_than_half_the_ring(reader: SealReader) -> None:
    seal = render_seal("上海市数据识别技术服务有限公司", middle=("财务专用章",), font_name="cjk", font_size=40)
    assert _lines(reader(seal)) == ["上海市数据识别技术服务有限公司", "财务专用章"]


def test_oval_seal_with_accented_latin(reader: SealReader) -> None:
    seal = render_seal("ÉTUDE NOTARIALE DUPONT", middle=("PARIS",), bottom="CERTIFIÉ CONFORME", shape="oval")
    assert _lines(reader(seal)) == ["ÉTUDE NOTARIALE DUPONT", "PARIS", "CERTIFIÉ CONFORME"]


def test_seal_stamped_on_a_page_becomes_its_own_block(engine) -> None:
    text = ["Invoice number 2024-117", "Total due: 1,250.00 EUR", "Thank you for your business."]
    page = np.vstack([render_lines(text, size=30, width=1200), np.full((500, 1200, 3), 255, np.uint8)])
    seal = render_seal("SCRIBA DOCUMENT SERVICES", middle=("PAID",), bottom="BERLIN 2026", size=380)
    page[260:640, 700:1080] = np.minimum(page[260:640, 700:1080], seal)  # ink over paper
    result = engine.ocr_image(page)
    seals = [b for b in result.blocks if b.kind == "seal"]
    assert [ln.text for b in seals for ln in b.lines] == ["SCRIBA DOCUMENT SERVICES", "PAID", "BERLIN 2026"]
    others = [ln.text for b in result.blocks if b.kind != "seal" for ln in b.lines]
    assert others == text  # the page's own lines, none of them a piece of the seal
    x0, y0 = seals[0].polygon[0]
    assert 650 <= x0 <= 710 and 210 <= y0 <= 270  # on the page, where it was stamped


def test_pages_without_seals_are_unchanged(engine) -> None:
    page = render_lines(["A plain black page", "with no stamp on it"])
    assert find_seals(page) == []
    assert [b.kind for b in engine.ocr_image(page).blocks] == ["text"]


def _arc_band(r_in: float, r_out: float, start: float, stop: float, n: int = 40) -> np.ndarray:
    """A band between two circles around (300, 300) from angle `start` to `stop` (image angles: clockwise),
    as a polygon: outer arc forward, inner arc back."""
    t = np.linspace(start, stop, n)
    outer = np.stack([300 + r_out * np.cos(t), 300 + r_out * np.sin(t)], axis=1)
    inner = np.stack([300 + r_in * np.cos(t), 300 + r_in * np.sin(t)], axis=1)[::-1]
    return np.vstack([outer, inner]).astype(np.float32)


def test_sides_of_an_arc_band_are_its_two_arcs_top_outside_running_clockwise() -> None:
    band = _arc_band(200, 240, np.radians(-160), np.radians(-20))
    for poly in (band, np.roll(band, 17, axis=0), band[::-1]):  # any start point, either winding
        top, bottom = orient_sides(*split_sides(poly))
        # (the two sides meet at the middle of each end, where the cut is: square_ends trims that)
        assert np.allclose(np.linalg.norm(top[3:-3] - 300, axis=1), 240, atol=4)
        assert np.allclose(np.linalg.norm(bottom[3:-3] - 300, axis=1), 200, atol=4)
        assert top[0][0] < top[-1][0]  # the upper arc runs left to right
        gap = np.linalg.norm(np.subtract(*square_ends(top, bottom)), axis=1)
        assert gap.min() > 30 and abs(float(np.median(gap)) - 40) < 4  # no longer pinched at the ends


def test_a_straight_band_is_read_left_to_right_top_up() -> None:
    poly = np.array([[400, 100], [400, 140], [100, 140], [100, 100]], np.float32)
    top, bottom = square_ends(*orient_sides(*split_sides(poly)))
    assert top[0][0] < top[-1][0]
    assert np.allclose(top[:, 1], 100, atol=1) and np.allclose(bottom[:, 1], 140, atol=1)


def test_rectified_strip_has_the_bands_length_and_height() -> None:
    image = np.full((600, 600, 3), 255, np.uint8)
    strip = rectify(image, _arc_band(200, 240, np.radians(-150), np.radians(-30)))
    mid_length = 220 * np.radians(120)
    assert 40 <= strip.shape[0] <= 60  # the band's 40 px and a margin
    assert 0.95 * mid_length <= strip.shape[1] <= 1.3 * mid_length


def _stamped_page(tmp_path) -> str:
    from PIL import Image

    text = ["Delivery note 88-2026", "Received in good order."]
    page = np.vstack([render_lines(text, size=30, width=1100), np.full((460, 1100, 3), 255, np.uint8)])
    seal = render_seal("SCRIBA DOCUMENT SERVICES", middle=("PAID",), bottom="BERLIN 2026", size=380)
    page[180:560, 620:1000] = np.minimum(page[180:560, 620:1000], seal)
    path = tmp_path / "stamped.png"
    Image.fromarray(page).save(path)
    return str(path)


def test_cli_ocr_and_parse_read_seals(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from scriba.cli.main import app

    path = _stamped_page(tmp_path)
    result = CliRunner().invoke(app, ["ocr", path, "--seals", "-f", "json"])
    assert result.exit_code == 0, result.output
    blocks = json.loads(result.output)["pages"][0]["blocks"]
    assert [b["text"] for b in blocks if b["type"] == "seal"] == ["SCRIBA DOCUMENT SERVICES\nPAID\nBERLIN 2026"]
    result = CliRunner().invoke(app, ["parse", path, "-o", str(tmp_path / "out"), "--seals"])
    assert result.exit_code == 0, result.output
    parsed = json.loads((tmp_path / "out" / "stamped.json").read_text())
    kinds = [(b["type"], b["text"]) for b in parsed["pages"][0]["blocks"]]
    assert ("seal", "SCRIBA DOCUMENT SERVICES\nPAID\nBERLIN 2026") in kinds
    assert "SCRIBA DOCUMENT SERVICES PAID BERLIN 2026" in (tmp_path / "out" / "stamped.md").read_text()
