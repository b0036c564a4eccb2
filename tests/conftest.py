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


def render_seal(
    top: str,
    middle: tuple[str, ...] = (),
    bottom: str = "",
    shape: str = "circle",
    font_name: str = "sans",
    font_size: int = 34,
    ink: tuple[int, int, int] = (215, 35, 35),
    size: int = 440,
    page: tuple[int, int] | None = None,
    at: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """A seal as stamps make them: a ring, `top` along the inside of its upper arc (letters' tops pointing out,
    read clockwise), straight `middle` lines, `bottom` along the lower arc (letters upright, read left to
    right). "oval": 1.4 times as wide as tall. Drawn in `ink` on white, alone or at `at` on a white page."""
    f = font(font_name, font_size)
    w, h = (int(size * 1.4), size) if shape == "oval" else (size, size)
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    border = max(4, size // 60)
    d.ellipse([border, border, w - border - 1, h - border - 1], outline=ink, width=border)
    cx, cy = w / 2, h / 2
    pad = 2 * border + font_size * 0.62

    def along(text: str, a: float, b: float, centre_t: float, direction: float, outward: bool) -> None:
        ts = np.linspace(-2 * np.pi, 2 * np.pi, 8000)  # text may run past the half circle either way
        pts = np.stack([a * np.cos(ts), b * np.sin(ts)], axis=1)
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
        adv = [f.getlength(ch) * 1.08 for ch in text]
        total = sum(adv)
        s0 = float(np.interp(centre_t, ts, arc)) - direction * total / 2
        run = 0.0
        for ch, step in zip(text, adv):
            s = s0 + direction * (run + step / 2)
            run += step
            t = float(np.interp(s, arc, ts))
            x, y = cx + a * np.cos(t), cy + b * np.sin(t)
            phi = np.degrees(np.arctan2(a * np.sin(t), b * np.cos(t)))  # outward normal
            angle = -(phi + 90) if outward else -(phi - 90)
            box = f.getbbox(ch)
            tile = Image.new("RGBA", (int(step + 8), font_size + 16), (0, 0, 0, 0))
            ImageDraw.Draw(tile).text((4, 8 - box[1] + (font_size - (box[3] - box[1])) / 2), ch, font=f,
                                      fill=ink + (255,))
            tile = tile.rotate(angle, resample=Image.BICUBIC, expand=True)
            img.paste(tile, (int(x - tile.width / 2), int(y - tile.height / 2)), tile)

    a, b = cx - pad, cy - pad
    if top:
        along(top, a, b, -np.pi / 2, 1.0, True)
    if bottom:
        along(bottom, a - font_size * 0.1, b - font_size * 0.1, np.pi / 2, -1.0, False)
    for k, text in enumerate(middle):
        tw = f.getlength(text)
        y = cy - (len(middle) * font_size * 1.3) / 2 + k * font_size * 1.3
        d.text((cx - tw / 2, y), text, font=f, fill=ink)
    if page is None:
        return np.asarray(img)
    canvas = Image.new("RGB", page, "white")
    canvas.paste(img, at)
    return np.asarray(canvas)


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
