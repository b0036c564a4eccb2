"""Photos of a screen: find the screen's pixel grid (moire) and take it out before the page is read.

A camera that photographs a screen samples the screen's sub-pixel grid (red, green and blue stripes, dark gaps
between pixel rows) at a ratio that is not a whole number, and the grid beats with the camera's own pixels: the
photo carries coloured stripes and dark lines a few pixels apart across the whole page (moire). Text is black on
white, so on an ordinary page each pixel's colour follows its brightness; on a screen photo the colour that
brightness does not explain (the chroma residual) is a periodic pattern, a sharp, strong peak in the spectrum of
every part of the page. That is the trigger: printed pages, scans and photos of paper (even under coloured
light) have no such peak and are left exactly as they are. When the camera's and the screen's pixels are almost
one to one, the beat is too long for a tile (50-300 pixels); it is then found in the page's column profile,
where it is one sinusoid of chroma at the same frequency all down the page.

A screen photo is read in grey (the mean of its channels: the grid's red, green and blue stripes add up to flat
grey), and in each tile of the page the grid's dark lines are notched out of the brightness spectrum. They beat at
the chroma peak's frequency turned by 90 degrees (screen and camera pixels are square); the tiles follow the
beat as it drifts over a page photographed at an angle. Last, the camera's blur is undone (a Wiener filter):
on the robustness benchmark's screen axis, blur costs small print more words than the grid itself.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class ScreenSettings:
    """How screen photos are found and cleaned; the defaults were chosen on benchmarks/robustness.py."""

    # Side of the square tiles whose spectra are examined and filtered (pixels; even).
    tile: int = 256
    # Periods longer than this (pixels) are colour shading, not a grid, and do not count.
    max_period: float = 64.0
    # A tile shows a grid when its chroma spectrum has a peak this many times the local mean around it...
    chroma_peak: float = 10.0
    # ... at least this many grey levels strong (screen grids: 4-20; the strongest peaks of printed pages, scans
    # and photos of paper: under 1).
    chroma_amplitude: float = 2.0
    # ... whose red and blue parts are out of phase by at least this |sine| (screens: about 0.87, the stripes a
    # third of a pixel apart; one colour repeating, as shaded table rows: 0).
    hue_turn: float = 0.3
    # The page is a screen photo when this share of the tiles examined (up to `probe_tiles`, spread evenly over
    # it) show a grid.
    share: float = 0.5
    probe_tiles: int = 12
    # Notch the grid's dark lines out of each tile's brightness (else the page is only made grey), with notches
    # this wide (standard deviation, bins of the tile's spectrum).
    notch: bool = True
    notch_width: float = 1.0
    # A beat too long for a tile (camera and screen pixels almost one to one: periods of 50-300 pixels) is
    # found in the page's column profile instead: in each of `strips` bands across the page, the chroma
    # averaged down its columns is one sinusoid (at least `beat_share` of its variance, `beat_amplitude` grey
    # levels, red and blue out of phase by `hue_turn`), at the same frequency in every band. Screen photos:
    # 0.83-0.97 of the variance and 14-22 grey levels; printed pages and scans: under 0.35 and 5.
    strips: int = 4
    beat_share: float = 0.6
    beat_amplitude: float = 6.0
    # The camera's blur (lens, focus, resampling the screen's pixels) is undone with a Wiener filter: a
    # Gaussian of this sigma (pixels), regularized by this noise-to-signal ratio; 0 leaves the page as it is.
    deblur_sigma: float = 1.0
    deblur_nsr: float = 0.05


DEFAULT = ScreenSettings()

Peak = tuple[float, float, float, float]  # fy, fx (cycles per pixel), strength (x local mean), amplitude


def _hann(n: int) -> np.ndarray:
    return np.outer(np.hanning(n), np.hanning(n)).astype(np.float32)


# Mirrored columns kept left of fx = 0 in a half spectrum, for the local means around the bins near it.
_LEFT = 8


def _peak_scores(mag: np.ndarray, max_period: float) -> np.ndarray:
    """How far each bin of a half spectrum (see _half_spectra) stands out: log(magnitude) minus the largest of
    three local means of log(magnitude) around it: over a 9 x 9 box, along its row (2-6 bins either side) and
    along its column. A grid gives an isolated point; the edges of coloured boxes and rules give ridges along the
    axes, which the row and column means take out. Frequencies under 1/max_period, and fx < 0 (the mirror image
    of fx > 0), are -inf."""
    n = mag.shape[0]
    log = np.log(mag + 1e-6).astype(np.float32)
    box = cv2.blur(log, (9, 9), borderType=cv2.BORDER_REFLECT)
    strip = np.zeros((1, 13), np.float32)
    strip[0, [0, 1, 2, 3, 4, 8, 9, 10, 11, 12]] = 0.1
    row = cv2.filter2D(log, -1, strip, borderType=cv2.BORDER_REFLECT)
    col = cv2.filter2D(log, -1, strip.T, borderType=cv2.BORDER_REFLECT)
    score = log - np.maximum(np.maximum(box, row), col)
    fy = (np.arange(n) - n // 2)[:, None] / n
    fx = (np.arange(mag.shape[1]) - _LEFT)[None, :] / n
    low = np.hypot(fy, fx) < 1.0 / max_period
    score[low | (fx < 0) | ((fx == 0) & (fy < 0))] = -np.inf
    return score


def _half(values: np.ndarray) -> np.ndarray:
    """A per-bin quantity over rfft2 bins (k, n, n/2 + 1) that is the same at a frequency and at its mirror
    image, fftshift-ed along y (row n/2 is fy = 0), with _LEFT mirrored columns before fx = 0 (column _LEFT):
    (k, n, n/2 + 1 + _LEFT)."""
    half = np.fft.fftshift(values, axes=1).astype(np.float32)
    # The value at (fy, -m) is the one at (-fy, m): row n/2 + fy <-> row n/2 - fy (mod n).
    flipped = np.roll(half[:, ::-1, 1 : _LEFT + 1], 1, axis=1)[:, :, ::-1]
    return np.concatenate([flipped, half], axis=2)


def _chroma_spectra(tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chroma residual of RGB tiles (k, n, n, 3): what is left of the red and of the blue channel once the
    part that follows the tile's brightness is taken out (a least squares fit). Returns, per bin of its
    windowed spectrum (half spectra, see _half): the magnitudes of the two summed, and how far the two are out
    of phase (|sine| of the phase between them). A screen's red, green and blue stripes lie a third of a pixel
    apart: its beat turns through the hues, red and blue a third of a period apart (|sine| about 0.87); one
    colour repeating (shaded table rows, a tint) keeps them in or against phase (0)."""
    n = tiles.shape[1]
    r, g, b = np.moveaxis(tiles, 3, 0).astype(np.float32)  # each channel contiguous
    mean = (r + g + b) / 3
    mean -= mean.mean(axis=(1, 2), keepdims=True)
    var = np.maximum(np.einsum("kij,kij->k", mean, mean) / (n * n), 1e-6)[:, None, None]
    win = _hann(n)
    spectra = []
    for xc in (r, b):
        xc -= xc.mean(axis=(1, 2), keepdims=True)
        a = (np.einsum("kij,kij->k", xc, mean) / (n * n))[:, None, None] / var
        spectra.append(np.fft.rfft2((xc - a * mean) * win))
    red, blue = spectra
    mag_r, mag_b = np.abs(red), np.abs(blue)
    turn = np.abs((red * np.conj(blue)).imag) / np.maximum(mag_r * mag_b, 1e-12)
    return _half(mag_r + mag_b), _half(turn)


def _grid_peaks(mag: np.ndarray, turn: np.ndarray, s: ScreenSettings) -> list[Peak]:
    """The chroma peaks of one tile's half spectrum that show a screen's grid, strongest first."""
    n = mag.shape[0]
    score = _peak_scores(mag, s.max_period)
    # A sinusoid of amplitude A (grey levels) in each of the two channels gives A * sum(window) in their sum.
    amp = mag / float(_hann(n).sum())
    is_max = (score == cv2.dilate(score, np.ones((5, 5), np.uint8))) & (score > np.log(s.chroma_peak))
    is_max &= (amp >= s.chroma_amplitude) & (turn >= s.hue_turn)
    ys, xs = np.nonzero(is_max)
    peaks = [
        ((y - n // 2) / n, (x - _LEFT) / n, float(np.exp(score[y, x])), float(amp[y, x]))
        for y, x in zip(ys, xs)
    ]
    return sorted(peaks, key=lambda p: -p[2])


def _probe_origins(h: int, w: int, s: ScreenSettings) -> list[tuple[int, int]]:
    """Top-left corners of up to `probe_tiles` tiles spread evenly over a page (h, w)."""
    n = s.tile
    rows = max(1, min(h // n, round(np.sqrt(s.probe_tiles * h / w))))
    cols = max(1, min(w // n, s.probe_tiles // rows))
    ys = np.linspace(0, h - n, rows + 2)[1:-1] if rows > 1 else [(h - n) / 2]
    xs = np.linspace(0, w - n, cols + 2)[1:-1] if cols > 1 else [(w - n) / 2]
    return [(int(y), int(x)) for y in ys for x in xs]


def grid_share(image: np.ndarray, s: ScreenSettings = DEFAULT) -> float:
    """The share of the tiles examined (spread over the page) whose chroma shows a screen's grid; 0 for grey
    images and pages smaller than a tile."""
    if image.ndim != 3 or image.shape[2] < 3:
        return 0.0
    h, w = image.shape[:2]
    n = s.tile
    if h < n or w < n:
        return 0.0
    origins = _probe_origins(h, w, s)
    tiles = np.stack([image[y : y + n, x : x + n, :3] for y, x in origins])
    mags, turns = _chroma_spectra(tiles)
    return sum(bool(_grid_peaks(m, t, s)) for m, t in zip(mags, turns)) / len(origins)


def _strip_beat(profile: np.ndarray, s: ScreenSettings) -> float | None:
    """The frequency (cycles per pixel) of the sinusoid that a screen's beat leaves in the chroma of a column
    profile (w, 3: a band of the page averaged down its columns), or None when there is none."""
    w = profile.shape[0]
    mean = profile.mean(axis=1) - profile.mean()
    var = max(float(mean @ mean), 1e-6)
    t = np.arange(w, dtype=np.float32)
    residuals = []
    for c in (0, 2):
        p = profile[:, c] - profile[:, c].mean()
        p = p - float(p @ mean) / var * mean
        # A tint that shades across the page is no beat: its straight-line trend is taken out.
        residuals.append(p - np.polyval(np.polyfit(t, p, 1), t))
    n = 1 << int(np.ceil(np.log2(4 * w)))  # zero-padded: the frequency to a quarter of a bin
    red, blue = (np.fft.rfft(p, n) for p in residuals)
    power = np.abs(red) ** 2 + np.abs(blue) ** 2
    power[np.fft.rfftfreq(n) < 1.5 / w] = 0  # at least one and a half periods across the page
    i = int(np.argmax(power))
    total = sum(float(p @ p) for p in residuals)
    # A sinusoid of amplitude A over w samples: |X| = A w / 2 and a variance sum of A^2 w / 2.
    share = 2 * float(power[i]) / w / max(total, 1e-6)
    amplitude = 2 * np.sqrt(power[i] / 2) / w
    turn = abs((red[i] * np.conj(blue[i])).imag) / max(abs(red[i]) * abs(blue[i]), 1e-12)
    ok = share >= s.beat_share and amplitude >= s.beat_amplitude and turn >= s.hue_turn
    return i / n if ok else None


def has_column_beat(image: np.ndarray, s: ScreenSettings = DEFAULT) -> bool:
    """Every band across the page shows the same screen beat in its column profile (see _strip_beat): a
    screen photographed square on, at any beat period up to two thirds of the page's width."""
    if image.ndim != 3 or image.shape[2] < 3 or image.shape[0] < 16 * s.strips or image.shape[1] < 64:
        return False
    h, w = image.shape[:2]
    rows = np.linspace(0, h, s.strips + 1).astype(int)
    freqs = []
    for a, b in itertools.pairwise(rows):
        f = _strip_beat(image[a:b, :, :3].mean(axis=0, dtype=np.float32), s)
        if f is None:
            return False
        freqs.append(f)
    return max(freqs) - min(freqs) <= 1.0 / w  # within a bin of the page's own spectrum


def is_screen_photo(image: np.ndarray, s: ScreenSettings = DEFAULT) -> bool:
    """The page is a photo of a screen: most of it carries a screen's grid (see grid_share), or its columns
    carry a long beat (see has_column_beat)."""
    return has_column_beat(image, s) or grid_share(image, s) >= s.share


def deblur(g: np.ndarray, sigma: float, nsr: float) -> np.ndarray:
    """A Wiener filter for a Gaussian blur of `sigma` pixels (noise-to-signal ratio `nsr`) on a grey page,
    float32; the page is mirrored at its edges so that they do not ring."""
    h, w = g.shape
    m = int(np.ceil(4 * sigma)) + 1
    ph, pw = cv2.getOptimalDFTSize(h + 2 * m), cv2.getOptimalDFTSize(w + 2 * m)
    padded = cv2.copyMakeBorder(g, m, ph - h - m, m, pw - w - m, cv2.BORDER_REFLECT)
    fy = np.fft.fftfreq(ph).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(pw).astype(np.float32)[None, :]
    otf = np.exp(-2 * np.pi**2 * sigma**2 * (fx**2 + fy**2))
    # Scaled to pass the mean brightness unchanged (the plain Wiener gain at zero frequency is 1 / (1 + nsr)).
    gain = otf * (1 + nsr) / (otf * otf + nsr)
    out = np.fft.irfft2(np.fft.rfft2(padded) * gain, s=(ph, pw))
    return out[m : m + h, m : m + w].astype(np.float32)


def _notch(gain: np.ndarray, fy: float, fx: float, width: float) -> None:
    """Multiply `gain` (an rfft2 layout, n x n/2+1) by a Gaussian notch `width` bins wide at (fy, fx) cycles
    per pixel and at its mirror image, in place."""
    n = gain.shape[0]
    r = int(np.ceil(4 * width))
    for sy, sx in ((fy * n, fx * n), (-fy * n, -fx * n)):
        if sx < -r:
            continue
        ys = np.arange(round(sy) - r, round(sy) + r + 1)
        xs = np.arange(max(round(sx) - r, 0), min(round(sx) + r, n // 2) + 1)
        if not len(xs):
            continue
        d2 = (ys[:, None] - sy) ** 2 + (xs[None, :] - sx) ** 2
        gain[np.ix_(ys % n, xs)] *= (1 - np.exp(-d2 / (2 * width**2))).astype(np.float32)


def descreen(image: np.ndarray, s: ScreenSettings = DEFAULT) -> np.ndarray:
    """The page in grey (the mean of its channels), with each tile's grid lines notched out of its brightness:
    tiles of `tile` pixels overlapping by half, each windowed, filtered at the frequencies its own chroma shows
    turned by 90 degrees, and added back together; then deblurred (see deblur). RGB uint8, the same size."""
    g = image[..., :3].astype(np.float32).mean(axis=2)
    n = s.tile
    h, w = g.shape
    if s.notch and h >= n and w >= n:
        hop = n // 2
        pad = ((hop, hop + (-h) % hop), (hop, hop + (-w) % hop))
        gp = np.pad(g, pad, mode="reflect")
        rgb = np.pad(image[..., :3], (*pad, (0, 0)), mode="reflect")
        out = np.zeros_like(gp)
        # Periodic Hann windows at half overlap add up to one: their square roots, on the way in and on the
        # way out, leave an unfiltered page as it was.
        hann1 = np.sin(np.pi * np.arange(n) / n) ** 2
        win = np.sqrt(np.outer(hann1, hann1)).astype(np.float32)
        xs = range(0, gp.shape[1] - n + 1, hop)
        for y in range(0, gp.shape[0] - n + 1, hop):
            mags, turns = _chroma_spectra(np.stack([rgb[y : y + n, x : x + n] for x in xs]))
            tiles = np.stack([gp[y : y + n, x : x + n] for x in xs])
            gains = np.ones((len(xs), n, n // 2 + 1), np.float32)
            for k, (mag, turn) in enumerate(zip(mags, turns)):
                for fy, fx, _, _ in _grid_peaks(mag, turn, s):
                    # The dark lines: the stripes' beat turned by 90 degrees.
                    _notch(gains[k], fx, -fy, s.notch_width)
            spec = np.fft.rfft2(tiles * win)
            filtered = np.fft.irfft2(spec * gains, s=(n, n)).astype(np.float32)
            for k, x in enumerate(xs):
                out[y : y + n, x : x + n] += filtered[k] * win
        g = out[hop : hop + h, hop : hop + w]
    if s.deblur_sigma > 0:
        g = deblur(g, s.deblur_sigma, s.deblur_nsr)
    grey = np.clip(g + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def clean(image: np.ndarray, s: ScreenSettings = DEFAULT) -> np.ndarray:
    """The page with a screen's grid taken out when it is a photo of a screen; otherwise the page itself (the same
    array, untouched)."""
    return descreen(image, s) if is_screen_photo(image, s) else image
