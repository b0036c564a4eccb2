"""Real evaluation sets from ../shared/data (evaluation only: never train on them)."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from scriba.train.metrics import rec_metrics

REC_SETS = ("iiit5k", "uw3", "icdar15")


def shared_data_dir() -> Path | None:
    env = os.environ.get("SCRIBA_SHARED_DATA")
    here = Path(__file__).resolve()
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" / "data" for p in here.parents]
    return next((c for c in candidates if c.is_dir()), None)


def _rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise OSError(f"cannot read {path}")
    return bgr[:, :, ::-1].copy()


def load_rec_set(name: str, root: Path | None = None) -> list[tuple[np.ndarray, str]]:
    """(RGB crop, ground truth) pairs of one real recognition set."""
    root = root or shared_data_dir()
    if root is None:
        raise FileNotFoundError("shared data directory not found (set SCRIBA_SHARED_DATA)")
    if name == "iiit5k":
        d = root / "iiit5k_test"
        rows = [line.split("\t", 1) for line in (d / "labels.tsv").read_text().splitlines() if line.strip()]
        return [(_rgb(d / "images" / f if (d / "images" / f).exists() else d / f), t) for f, t in rows]
    if name == "uw3":
        d = root / "uw3_lines_calamari" / "lines"
        out = []
        for gt in sorted(d.glob("*.gt.txt")):
            img = gt.with_name(gt.name.replace(".gt.txt", ".bin.png"))
            out.append((_rgb(img), gt.read_text(encoding="utf-8").strip()))
        return out
    if name == "icdar15":
        d = root / "icdar2015_word_test"
        out = []
        for line in (d / "gt.txt").read_text(encoding="utf-8-sig").splitlines():
            if not line.strip():
                continue
            f, _, t = line.partition(", ")
            t = t.strip()
            if t.startswith('"') and t.endswith('"'):
                t = t[1:-1]
            img = d / "images" / f if (d / "images" / f).exists() else d / f
            out.append((_rgb(img), t.replace('\\"', '"').replace("\\\\", "\\")))
        return out
    raise ValueError(f"unknown recognition set {name!r}; known: {', '.join(REC_SETS)}")


def sroie_line_crops(root: Path | None = None, every: int = 3) -> list[tuple[np.ndarray, str]]:
    """Line crops cut from the SROIE receipts with their box files (x1,y1,...,x4,y4,text); every `every`-th box
    of each receipt, to keep evaluation short on a small CPU."""
    root = root or shared_data_dir()
    d = root / "sroie_receipts"
    out = []
    for box in sorted((d / "box").glob("*.csv")):
        imgs = [p for p in (d / "images").glob(box.stem + ".*")]
        if not imgs:
            continue
        page = _rgb(imgs[0])
        with open(box, encoding="utf-8", errors="ignore") as fh:
            for k, row in enumerate(csv.reader(fh)):
                if len(row) < 9 or k % every:
                    continue
                try:
                    pts = np.array([float(v) for v in row[:8]]).reshape(4, 2)
                except ValueError:
                    continue
                text = ",".join(row[8:]).strip()
                x0, y0 = np.floor(pts.min(axis=0)).astype(int)
                x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
                x0, y0 = max(0, x0), max(0, y0)
                crop = page[y0 : y1 + 1, x0 : x1 + 1]
                if text and crop.shape[0] >= 4 and crop.shape[1] >= 4:
                    out.append((crop, text))
    return out


def evaluate_recognizer(
    predict: Callable[[list[np.ndarray]], list[str]],
    sets: tuple[str, ...] = REC_SETS,
    normalize: Callable[[str], str] | None = None,
) -> dict[str, dict[str, float]]:
    """Metrics per set; `normalize` maps ground truth to what the model can write (e.g. drop unknown chars)."""
    results = {}
    for name in sets:
        data = sroie_line_crops() if name == "sroie" else load_rec_set(name)
        preds = predict([c for c, _ in data])
        gts = [normalize(t) if normalize else t for _, t in data]
        results[name] = rec_metrics([" ".join(p.split()) for p in preds], [" ".join(g.split()) for g in gts])
    return results
