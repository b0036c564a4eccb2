"""When is a page curled? The bow of the detector's text lines (scriba.pipeline.unwarp) on flat pages and on
curled ones, so that `--unwarp auto` flattens the curled pages and leaves every flat one as it is.

Flat: pages rendered here with real fonts (one column, two columns, short lines, skewed), the docling PDFs and
Debian PDFs rendered at 150 dpi, FUNSD forms, SROIE receipts, and docling/FUNSD pages put through
benchmarks/distortions.py's skew and perspective (a flat page photographed at an angle). Curled: the
page_dewarp phone photos, rendered pages curled over their whole width or near one side only, and
docling/FUNSD pages put through the curl and spine (curled near one side) distortions.

For every page: its long bands (unwarp.centre_curves), each one's bow (peak-to-peak distance from its straight
fit, in band thicknesses), and statistics of those bows; then per group the range of each statistic over its
pages and how many of them the trigger scriba uses (unwarp.is_curved) flattens.

    python benchmarks/unwarp_trigger.py                   # every page (a few minutes on 2 cores)
    python benchmarks/unwarp_trigger.py --per-set 6 --pages   # fewer pages, one row per page
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distortions import curl, perspective, skew, spine

REPO = Path(__file__).resolve().parent.parent
FONTS = {
    "sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "serif": "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "mono": "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
}
PROSE = (
    "The committee met on Tuesday to review the annual budget and the plans for the coming year. Members "
    "agreed that the library needs a new reading room, and that the old one should be kept for the "
    "archive. Funding for the project will come from three local sources, each of which has promised a "
    "share of the cost. A final decision is expected before the end of the month, once the architects "
    "have sent their drawings. Questions may be sent to the secretary of the committee, who keeps the "
    "minutes of every meeting in the main office and answers letters within a week. The building work "
    "itself should take about four months, during which the reading room will move to the hall on the "
    "ground floor."
)


# -- pages ------------------------------------------------------------------------------------------------
def _wrap(words: list[str], f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, cur = [], ""
    for w in words:
        nxt = f"{cur} {w}".strip()
        if cur and f.getlength(nxt) > width:
            lines.append(cur)
            cur = w
        else:
            cur = nxt
    return lines + ([cur] if cur else [])


def render_columns(font: str, size: int, columns: int = 1, width: int = 1240, repeat: int = 2) -> np.ndarray:
    """A page of justified-looking prose in one or more columns."""
    f = ImageFont.truetype(FONTS[font], size)
    margin, gap = 80, 50
    col_w = (width - 2 * margin - (columns - 1) * gap) // columns
    lines = _wrap(PROSE.split() * repeat, f, col_w)
    per_col = (len(lines) + columns - 1) // columns
    height = int(2 * margin + per_col * 1.6 * size)
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    for k, text in enumerate(lines):
        c, r = divmod(k, per_col)
        d.text((margin + c * (col_w + gap), margin + int(r * 1.6 * size)), text, font=f, fill=(0, 0, 0))
    return np.asarray(img)


def render_list(size: int = 28) -> np.ndarray:
    """Short lines: a list of items with prices, as on a menu or a form."""
    f = ImageFont.truetype(FONTS["sans"], size)
    items = ["Bread", "Milk, 1 litre", "Apples", "Coffee beans", "Rice", "Butter", "Cheese", "Tomatoes"] * 2
    img = Image.new("RGB", (1000, int(120 + len(items) * 1.8 * size)), "white")
    d = ImageDraw.Draw(img)
    for k, text in enumerate(items):
        y = 60 + int(k * 1.8 * size)
        d.text((80, y), text, font=f, fill=(0, 0, 0))
        d.text((760, y), f"{(k * 37) % 19 + 0.99:.2f}", font=f, fill=(0, 0, 0))
    return np.asarray(img)


def rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255))


def bend(img: np.ndarray, amp: float, reach: float = 1.0, right: bool = True) -> np.ndarray:
    """Rows displaced by amp * s(x): s = sin(pi x / w) over the whole width (reach 1), or, with reach < 1, a
    bend near one side only that grows as the square of the distance into the last `reach` of the width."""
    h, w = img.shape[:2]
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    t = u / w if right else 1.0 - u / w
    s = np.sin(np.pi * t) if reach >= 1.0 else np.clip((t - (1.0 - reach)) / reach, 0.0, 1.0) ** 2
    return cv2.remap(img, u, (v - amp * s).astype(np.float32), cv2.INTER_LINEAR, borderValue=(255, 255, 255))


Pages = Iterator[tuple[str, Callable[[], np.ndarray]]]  # (name, the page on demand)


def rendered_flat() -> Pages:
    yield "sans 30", lambda: render_columns("sans", 30)
    yield "serif 24", lambda: render_columns("serif", 24)
    yield "mono 22", lambda: render_columns("mono", 22)
    yield "two columns serif 22", lambda: render_columns("serif", 22, columns=2, repeat=3)
    yield "three columns sans 18", lambda: render_columns("sans", 18, columns=3, width=1600, repeat=4)
    yield "short lines", lambda: render_list()
    yield "sans 30 skewed 3", lambda: rotate(render_columns("sans", 30), 3.0)
    yield "two columns skewed -5", lambda: rotate(render_columns("serif", 22, columns=2, repeat=3), -5.0)


def rendered_curled() -> Pages:
    yield "sans 30 bowed 24px", lambda: bend(render_columns("sans", 30), 24)
    yield "serif 24 bowed 16px", lambda: bend(render_columns("serif", 24), 16)
    yield "sans 30 spine right 40% 30px", lambda: bend(render_columns("sans", 30), 30, reach=0.4)
    yield (
        "serif 24 spine left 30% 24px",
        lambda: bend(render_columns("serif", 24), 24, reach=0.3, right=False),
    )
    yield (
        "two columns spine right 35% 30px",
        lambda: bend(render_columns("serif", 22, columns=2, repeat=3), 30, reach=0.35),
    )


def photos(root: Path) -> Pages:
    """Read as scriba reads them: turned upright by their EXIF orientation."""
    from scriba.io.images import to_rgb_array, upright

    def load(path: Path) -> np.ndarray:
        with Image.open(path) as im:
            return to_rgb_array(upright(im))

    for path in sorted((root / "page_dewarp_photos_nogt" / "images").glob("*.jpg")):
        yield path.stem, lambda path=path: load(path)


def distorted(items: list, axis: str, fn: Callable, seeds: range) -> Pages:
    """The same seeding as benchmarks/robustness.py: seed 0 gives the pages it reads."""
    from robustness import page_dpi

    def make(item, seed: int) -> np.ndarray:
        image = item.image()
        rng = np.random.default_rng([seed, zlib.crc32(f"{item.set}/{item.key}/{axis}".encode())])
        return fn(image, page_dpi(item, image), rng)

    for item in items:
        for seed in seeds:
            yield f"{item.set}/{item.key} s{seed}", lambda item=item, seed=seed: make(item, seed)


def groups(root: Path, per_set: int | None, seeds: int) -> Iterator[tuple[str, str, Callable[[], Pages]]]:
    """(flat|curled, group, pages) triples; pages are produced lazily, one at a time."""
    import pagesets
    from ocr import _spread, load_docling, load_funsd, load_sroie

    def spread(items: list) -> list:
        return _spread(items, per_set)

    def plain(loader: Callable) -> Callable[[], Pages]:
        return lambda: ((it.key, it.image) for it in spread(loader(root)))

    def debian() -> Pages:
        for page in pagesets.debian_pages(per_pdf=3):
            yield page.name, lambda page=page: page.image

    def mixed(axis: str, fn: Callable, n: int) -> Callable[[], Pages]:
        return lambda: distorted(spread(load_docling(root)) + spread(load_funsd(root)), axis, fn, range(n))

    yield "flat", "rendered", rendered_flat
    yield "flat", "docling", plain(load_docling)
    yield "flat", "debian", debian
    yield "flat", "funsd", plain(load_funsd)
    yield "flat", "sroie", plain(load_sroie)
    yield "flat", "skew", mixed("skew", skew, 1)
    yield "flat", "perspective", mixed("perspective", perspective, 1)
    yield "curled", "photos", lambda: photos(root)
    yield "curled", "rendered", rendered_curled
    yield "curled", "curl", mixed("curl", curl, seeds)
    yield "curled", "spine", mixed("spine", spine, seeds)


# -- measurement ------------------------------------------------------------------------------------------
def measure(engine, image: np.ndarray) -> list[list[float]]:
    """[bow, length, thickness] of every long band of the page (length and thickness in page pixels)."""
    from scriba.pipeline import unwarp

    h, w = image.shape[:2]
    curves = unwarp.centre_curves(engine.detector.probability_map(image), w, h)
    return [[unwarp.bow(c), unwarp.length(c), c.thickness] for c in curves]


def stats(lines: list[list[float]]) -> dict[str, float]:
    from scriba.pipeline import unwarp

    arr = np.asarray(lines, np.float64).reshape(-1, 3)
    bows, length, thick = arr[:, 0], arr[:, 1], arr[:, 2]
    long = bows[length >= unwarp.LONG_LINE * np.maximum(thick, 1.0)]
    n_long, n_bowed = unwarp.bowed_long_lines(bows, length, thick)

    def pct(a: np.ndarray, q: float) -> float:
        return float(np.percentile(a, q)) if len(a) else float("nan")

    return {
        "bands": len(bows),
        "median": pct(bows, 50),
        "p75": pct(bows, 75),
        "p90": pct(bows, 90),
        "long": n_long,
        "long p90": pct(long, 90),
        "bowed": n_bowed,
        "bowed share": n_bowed / n_long if n_long else 0.0,
        "curled": float(len(bows) >= unwarp.MIN_LINES and unwarp.curled(n_long, n_bowed)),
    }


def collect(
    root: Path, per_set: int | None, seeds: int, cache: dict, cache_path: str | None
) -> list[tuple[str, str, str, list[list[float]]]]:
    out, engine = [], None
    for kind, group, pages in groups(root, per_set, seeds):
        for name, image in pages():
            key = f"{kind}|{group}|{name}"
            if key not in cache:
                if engine is None:
                    from scriba import OCR

                    engine = OCR()
                cache[key] = measure(engine, image())
                if cache_path:
                    Path(cache_path).write_text(json.dumps(cache))
            out.append((kind, group, name, cache[key]))
            print(f"  {key}: {len(cache[key])} bands", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_data = os.environ.get("SCRIBA_SHARED_DATA", str(REPO.parent / "shared" / "data"))
    ap.add_argument("--data", default=default_data, help="The shared evaluation data folder.")
    ap.add_argument(
        "--per-set", type=int, default=None, help="Pages per data set (evenly spaced; default all)."
    )
    ap.add_argument(
        "--seeds", type=int, default=2, help="Distortion seeds per page on the curl and spine axes."
    )
    ap.add_argument(
        "--cache", default=None, metavar="JSON", help="Keep each page's bands here and reuse them."
    )
    ap.add_argument("--pages", action="store_true", help="Also print one row per page.")
    args = ap.parse_args(argv)
    os.environ.setdefault("SCRIBA_SHARED_DATA", args.data)  # for benchmarks/pagesets.py

    from scriba.pipeline import unwarp

    cache = json.loads(Path(args.cache).read_text()) if args.cache and Path(args.cache).is_file() else {}
    pages = collect(Path(args.data), args.per_set, args.seeds, cache, args.cache)
    rows = [(kind, group, name, stats(lines)) for kind, group, name, lines in pages]

    cols = [c for c in rows[0][3] if c != "curled"]

    def fmt(v: float) -> str:
        return f"{v:.0f}" if isinstance(v, int) else ("-" if np.isnan(v) else f"{v:.2f}")

    print(
        f"Long line: at least {unwarp.LONG_LINE:g} times longer than thick; bowed: peak to peak off its straight fit"
        f" >= {unwarp.BOWED:g} thickness.\nTrigger (curled): at least {unwarp.MIN_BOWED} bowed long lines and at"
        f" least {unwarp.BOWED_SHARE:g} of the long lines bowed (and {unwarp.MIN_LINES} bands).\n"
    )
    if args.pages:
        print("| page | " + " | ".join(cols) + " | curled |")
        print("|---|" + "---|" * (len(cols) + 1))
        for kind, group, name, s in rows:
            flag = "yes" if s["curled"] else ""
            print(f"| {kind} {group}: {name} | " + " | ".join(fmt(s[c]) for c in cols) + f" | {flag} |")
        print()
    # Per group, over its pages: the range of each statistic (for flat pages the highest value matters, for
    # curled ones the lowest), the page-median of the bow statistics, and how many pages the trigger flattens.
    print("Per group: min-max over pages (page-median in brackets for the bow statistics).\n")
    print("| pages | n | " + " | ".join(cols) + " | curled |")
    print("|---|---|" + "---|" * (len(cols) + 1))
    for kind, group in dict.fromkeys((k, g) for k, g, _, _ in rows):
        sel = [s for k, g, _, s in rows if (k, g) == (kind, group)]
        cells = []
        for c in cols:
            vals = np.array([s[c] for s in sel], np.float64)
            vals = vals[~np.isnan(vals)]
            if not len(vals):
                cells.append("-")
            elif c in ("bands", "long", "bowed"):
                cells.append(f"{vals.min():.0f}-{vals.max():.0f}")
            else:
                cells.append(f"{vals.min():.2f}-{vals.max():.2f} ({np.median(vals):.2f})")
        hit = int(sum(s["curled"] for s in sel))
        print(f"| {kind} {group} | {len(sel)} | " + " | ".join(cells) + f" | {hit}/{len(sel)} |")
    for kind, group, name, s in rows:
        if s["curled"] and kind == "flat":
            print(f"  flat page flattened: {group} {name}")
        if kind == "curled" and group == "photos":
            print(f"  photo {name}: {'flattened' if s['curled'] else 'left as it is'}")


if __name__ == "__main__":
    main()
