"""Shared fixtures: pages rendered with real fonts, the shared evaluation data, a cached OCR engine."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parent.parent
FONT_DIR = Path("/usr/share/fonts/truetype")
FONTS = {
    "sans": FONT_DIR / "dejavu/DejaVuSans.ttf",
    "sans-bold": FONT_DIR / "dejavu/DejaVuSans-Bold.ttf",
    "serif": FONT_DIR / "liberation/LiberationSerif-Regular.ttf",
    "serif-bold": FONT_DIR / "liberation/LiberationSerif-Bold.ttf",
    "mono": FONT_DIR / "dejavu/DejaVuSansMono.ttf",
    "arial": FONT_DIR / "liberation/LiberationSans-Regular.ttf",
    "cjk": FONT_DIR / "wqy/wqy-microhei.ttc",  # Simplified/Traditional Chinese (fonts-wqy-microhei)
    "ja": Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),  # Japanese (fonts-ipafont-gothic)
}


def font(name: str = "sans", size: int = 36) -> ImageFont.FreeTypeFont:
    path = FONTS[name]
    if not path.is_file():
        pytest.skip(f"font {path} missing (install fonts-dejavu-core fonts-liberation)")
    return ImageFont.truetype(str(path), size)


def render_lines(
    lines: list[str],
    size: int = 36,
    font_name: str = "sans",
    width: int = 1400,
    margin: int = 60,
    spacing: float = 1.9,
) -> np.ndarray:
    """A white page with the given lines of black text, as an RGB uint8 array."""
    f = font(font_name, size)
    height = int(margin * 2 + spacing * size * max(len(lines), 1))
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    for k, text in enumerate(lines):
        d.text((margin, margin + int(k * spacing * size)), text, font=f, fill=(0, 0, 0))
    return np.asarray(img)


def shared_data_dir() -> Path | None:
    env = os.environ.get("SCRIBA_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("../shared/data is not present")
    return d


@pytest.fixture(scope="session")
def ocr_engine():
    from scriba import OCR

    return OCR(model="ppocrv5")


@pytest.fixture(autouse=True)
def _isolated_scriba_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """User-registered models go to a temporary SCRIBA_HOME, never to the developer's real one."""
    monkeypatch.setenv("SCRIBA_HOME", str(tmp_path_factory.mktemp("scriba_home")))


# Pages in two scripts, for checking that a page reads the same whatever was read before it.
LATIN_PAGE_LINES = [
    "The quarterly report was approved by the board.",
    "Revenue grew by twelve percent over last year.",
    "Operating costs remained flat in the period.",
    "Next meeting is scheduled for September.",
] * 3
CHINESE_PAGE_LINES = ["会议时间：2023年08月25日", "这个跨越式的发展令人瞩目。", "公司营业收入同比增长百分之十二。"]


def latin_page() -> np.ndarray:
    """Twelve English lines: enough batches for the recognizer to choose its Latin-only head."""
    return render_lines(LATIN_PAGE_LINES, font_name="serif")


def chinese_page() -> np.ndarray:
    return render_lines(CHINESE_PAGE_LINES, font_name="cjk", width=1000)
