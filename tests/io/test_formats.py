"""Every supported input kind decodes to the same RGB page; PDFs honour --dpi and page ranges."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scriba.errors import InputError
from scriba.io.pdf import parse_page_range
from scriba.io.sources import Source, expand_inputs, iter_pages
from tests.conftest import FONTS, render_lines

TEXT = "Formats 2026 decode alike"


@pytest.fixture(scope="module")
def page_rgb() -> np.ndarray:
    return render_lines([TEXT], size=36, width=760, margin=40)


def _pages(path: Path | str, **kwargs: object) -> list[np.ndarray]:
    (src,) = expand_inputs([str(path)])
    return [p.image for p in iter_pages(src, **kwargs)]  # type: ignore[arg-type]


def _close(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    return a.shape == b.shape and float(np.abs(a.astype(int) - b.astype(int)).mean()) <= tol


@pytest.mark.parametrize(
    ("ext", "save_kwargs", "tol"),
    [
        ("png", {}, 0.0),
        ("bmp", {}, 0.0),
        ("webp", {"lossless": True}, 0.0),
        ("jpg", {"quality": 95}, 3.0),
        ("tif", {"compression": "tiff_lzw"}, 0.0),
    ],
)
def test_image_formats(tmp_path: Path, page_rgb: np.ndarray, ext: str, save_kwargs: dict, tol: float) -> None:
    path = tmp_path / f"page.{ext}"
    Image.fromarray(page_rgb).save(path, **save_kwargs)
    (image,) = _pages(path)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert _close(image, page_rgb, tol)


@pytest.mark.parametrize(
    ("ext", "orientation", "stored_as", "tol"),
    [
        ("jpg", 6, Image.Transpose.ROTATE_90, 3.0),  # a phone held upright: stored sideways, "turn 90 clockwise"
        ("png", 8, Image.Transpose.ROTATE_270, 0.0),
        ("png", 3, Image.Transpose.ROTATE_180, 0.0),
        ("tif", 2, Image.Transpose.FLIP_LEFT_RIGHT, 0.0),
    ],
)
def test_exif_orientation_is_applied(
    tmp_path: Path, page_rgb: np.ndarray, ext: str, orientation: int, stored_as: Image.Transpose, tol: float
) -> None:
    """Photos stored sideways with an EXIF Orientation tag come out as a viewer shows them."""
    stored = Image.fromarray(page_rgb).transpose(stored_as)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"photo.{ext}"
    stored.save(path, exif=exif.tobytes(), **({"quality": 95} if ext == "jpg" else {}))
    assert Image.open(path).getexif().get(0x0112) == orientation
    (image,) = _pages(path)
    assert _close(image, page_rgb, tol)


def test_multi_page_tiff_yields_every_page(tmp_path: Path, page_rgb: np.ndarray) -> None:
    second = render_lines(["The second TIFF page"], size=36, width=760, margin=40)
    path = tmp_path / "scan.tiff"
    Image.fromarray(page_rgb).save(path, save_all=True, append_images=[Image.fromarray(second)])
    images = _pages(path)
    assert len(images) == 2
    assert _close(images[0], page_rgb, 0) and _close(images[1], second, 0)


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "CMYK", "1"])
def test_colour_modes_become_rgb(tmp_path: Path, page_rgb: np.ndarray, mode: str) -> None:
    ext = "jpg" if mode == "CMYK" else "png"
    path = tmp_path / f"page_{mode}.{ext}"
    img = Image.fromarray(page_rgb).convert(mode)
    img.save(path, quality=95) if ext == "jpg" else img.save(path)
    (image,) = _pages(path)
    assert image.shape == page_rgb.shape and image.dtype == np.uint8
    # Text stays dark on a light page whatever the mode.
    gray = image.mean(axis=2)
    assert gray.max() > 200 and gray.min() < 60


def test_transparent_background_is_white(tmp_path: Path) -> None:
    rgba = np.zeros((40, 60, 4), dtype=np.uint8)  # fully transparent black
    rgba[10:20, 10:50] = (0, 0, 0, 255)  # opaque black ink
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(path)
    (image,) = _pages(path)
    assert (image[0, 0] == 255).all() and (image[15, 20] == 0).all()


def test_sixteen_bit_grayscale(tmp_path: Path, page_rgb: np.ndarray) -> None:
    gray16 = (page_rgb[:, :, 0].astype(np.uint16) * 257).astype(np.uint16)
    path = tmp_path / "gray16.png"
    Image.fromarray(gray16).save(path)
    assert Image.open(path).mode.startswith("I")
    (image,) = _pages(path)
    assert _close(image, np.repeat(page_rgb[:, :, :1], 3, axis=2), 1.0)


def test_in_memory_inputs(page_rgb: np.ndarray) -> None:
    buf = io.BytesIO()
    Image.fromarray(page_rgb).save(buf, format="PNG")
    as_float = page_rgb.astype(np.float32) / 255.0
    inputs = [page_rgb, page_rgb[:, :, 0], as_float, Image.fromarray(page_rgb), buf.getvalue()]
    sources = expand_inputs(inputs)
    assert [s.name for s in sources] == ["<array #0>", "<array #1>", "<array #2>", "<image #3>", "<bytes #4>"]
    for src in sources:
        (page,) = list(iter_pages(src))
        assert _close(page.image, page_rgb, 1.0), src.name


def test_folders_and_globs(tmp_path: Path, page_rgb: np.ndarray) -> None:
    for name in ("b.png", "a.jpg", "sub/c.bmp"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(page_rgb).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a document")
    names = [Path(s.name).name for s in expand_inputs([str(tmp_path)])]
    assert names == ["a.jpg", "b.png", "c.bmp"]
    names = [Path(s.name).name for s in expand_inputs([str(tmp_path / "*.png"), str(tmp_path / "**" / "*.bmp")])]
    assert names == ["b.png", "c.bmp"]


def test_a_folder_without_documents_is_reported_not_skipped(tmp_path: Path) -> None:
    empty = tmp_path / "scans"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a document")
    (source,) = expand_inputs([str(empty)])
    with pytest.raises(InputError, match="is a folder with no images or PDFs"):
        list(iter_pages(source))


def _write_pdf(path: Path, texts: list[str]) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONTS["sans"])))
    c = canvas.Canvas(str(path), pagesize=A4)
    for text in texts:
        c.setFont("DejaVuSans", 18)
        c.drawString(72, A4[1] - 100, text)
        c.showPage()
    c.save()


def _near(shape: tuple[int, ...], expected: tuple[int, int]) -> bool:
    return all(abs(a - b) <= 1 for a, b in zip(shape, expected))


def test_pdf_dpi_and_page_ranges(tmp_path: Path) -> None:
    if not FONTS["sans"].is_file():
        pytest.skip("DejaVu fonts missing")
    path = tmp_path / "three.pdf"
    _write_pdf(path, ["page one", "page two", "page three"])
    (src,) = expand_inputs([str(path)])
    pages = list(iter_pages(src, dpi=72, pages="2-3"))
    assert [p.index for p in pages] == [1, 2]
    assert _near(pages[0].image.shape[:2], (842, 595))  # A4 (595.3 x 841.9 pt) at 72 dpi
    assert pages[0].pdf_path == str(path)
    (big,) = list(iter_pages(src, dpi=144, pages="1"))
    assert _near(big.image.shape[:2], (1684, 1191))
    assert len(list(iter_pages(src, dpi=36))) == 3
    assert [p.index for p in iter_pages(Source("bytes", obj=path.read_bytes()), dpi=36, pages="3")] == [2]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("1-3", [0, 1, 2]), ("2,5", [1, 4]), ("4-", [3, 4, 5]), ("-2", [0, 1]), ("5-9", [4, 5]), ("6-", [5]), ("2,9", [1])],
)
def test_page_range_syntax(spec: str, expected: list[int]) -> None:
    assert parse_page_range(spec, 6) == expected


@pytest.mark.parametrize(
    ("spec", "reason"),
    [("0", "start at 1"), ("3-1", "ends before it starts"), ("x", "use e.g."), ("1-b", "use e.g."),
     ("7", "selects none of the document's 6 pages"), ("9-", "selects none"), ("8-12", "selects none")],
)
def test_bad_page_ranges_are_refused(spec: str, reason: str) -> None:
    with pytest.raises(ValueError, match="page range") as info:
        parse_page_range(spec, 6)
    assert reason in str(info.value)


def test_formats_read_the_same_text(tmp_path: Path, ocr_engine, page_rgb: np.ndarray) -> None:
    """Real inference through lossy and unusual encodings: JPEG, CMYK JPEG, 16-bit PNG, multi-page TIFF."""
    Image.fromarray(page_rgb).save(tmp_path / "a.jpg", quality=80)
    Image.fromarray(page_rgb).convert("CMYK").save(tmp_path / "b.jpg", quality=90)
    Image.fromarray(page_rgb[:, :, 0].astype(np.uint16) * 257).save(tmp_path / "c.png")
    Image.fromarray(page_rgb).save(tmp_path / "d.tif", save_all=True, append_images=[Image.fromarray(page_rgb)])
    doc = ocr_engine([str(tmp_path)])
    assert [p.source.rsplit("/", 1)[-1] for p in doc.pages] == ["a.jpg", "b.jpg", "c.png", "d.tif", "d.tif"]
    assert [p.index for p in doc.pages] == [0, 0, 0, 0, 1]
    assert [p.text for p in doc.pages] == [TEXT] * 5
