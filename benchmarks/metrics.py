"""Text and detection metrics used by the benchmarks (importable, no side effects, numpy + OpenCV only).

- word F1: multiset ("bag of words") match of whitespace tokens holding a letter or digit, so engines are
  compared independently of their reading order; precision = matched / predicted, recall = matched / reference.
- edit distance / CER: Levenshtein on characters; CER = edits / reference length.
- detection Hmean: ICDAR 2015 style one-to-one matching at polygon IoU >= 0.5, with "don't care" (###) regions
  removed from both sides (a prediction is dropped when half or more of its area lies in a don't-care region).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Quad = Sequence[Sequence[float]]


@dataclass
class Counts:
    """Matched / predicted / reference counts; add them up over a data set, then read P, R, F1."""

    matched: int = 0
    predicted: int = 0
    reference: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.matched + other.matched, self.predicted + other.predicted, self.reference + other.reference
        )

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.reference if self.reference else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def normalize_text(text: str) -> str:
    """NFKC, unify quotes and dashes, collapse whitespace: differences no reader would call errors."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    return " ".join(text.split())


def words_of(text: str) -> list[str]:
    """Whitespace tokens that hold a letter or digit: punctuation-only tokens (dot leaders in a table of
    contents, stray bullets) say nothing about reading and would swamp a page's count."""
    return [w for w in normalize_text(text).split() if any(ch.isalnum() for ch in w)]


def bag_counts(predicted: Iterable[str], reference: Iterable[str]) -> Counts:
    """Multiset match of two token lists."""
    p, r = Counter(predicted), Counter(reference)
    return Counts(sum((p & r).values()), sum(p.values()), sum(r.values()))


def word_counts(predicted_text: str, reference_text: str) -> Counts:
    return bag_counts(words_of(predicted_text), words_of(reference_text))


def edit_distance(a: Sequence[object], b: Sequence[object]) -> int:
    """Levenshtein distance between two sequences (strings or token lists), O(len(a) * len(b)) time."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


def cer(predicted: str, reference: str) -> float:
    """Character error rate of one string pair (edits / reference length)."""
    return edit_distance(predicted, reference) / max(len(reference), 1)


def normalized_edit_distance(predicted: str, reference: str) -> float:
    """Edit distance / length of the longer string, in [0, 1] (the OmniDocBench-style text metric)."""
    return edit_distance(predicted, reference) / max(len(predicted), len(reference), 1)


# -- geometry ---------------------------------------------------------------------------------------------
def _convex(quad: Quad) -> np.ndarray:
    pts = np.asarray(quad, dtype=np.float32).reshape(-1, 2)
    return cv2.convexHull(pts).reshape(-1, 2)


def polygon_area(quad: Quad) -> float:
    return float(cv2.contourArea(_convex(quad)))


def intersection_area(a: Quad, b: Quad) -> float:
    area, _ = cv2.intersectConvexConvex(_convex(a), _convex(b))
    return float(max(area, 0.0))


def iou(a: Quad, b: Quad) -> float:
    inter = intersection_area(a, b)
    union = polygon_area(a) + polygon_area(b) - inter
    return inter / union if union > 0 else 0.0


def _greedy_pairs(scores: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """One-to-one pairs, best score first, each at or above the threshold."""
    pairs: list[tuple[int, int]] = []
    if scores.size == 0:
        return pairs
    used_r: set[int] = set()
    used_c: set[int] = set()
    for flat in np.argsort(-scores, axis=None):
        r, c = divmod(int(flat), scores.shape[1])
        if scores[r, c] < threshold:
            break
        if r in used_r or c in used_c:
            continue
        used_r.add(r)
        used_c.add(c)
        pairs.append((r, c))
    return pairs


def drop_dont_care(predicted: list[Quad], dont_care: list[Quad], share: float = 0.5) -> list[int]:
    """Indices of predictions that keep: those with less than `share` of their area inside a don't-care quad."""
    keep = []
    for k, p in enumerate(predicted):
        area = polygon_area(p)
        covered = max((intersection_area(p, d) for d in dont_care), default=0.0)
        if area <= 0 or covered / area < share:
            keep.append(k)
    return keep


def detection_counts(
    predicted: list[Quad],
    reference: list[Quad],
    dont_care: list[Quad] = (),
    threshold: float = 0.5,  # type: ignore[assignment]
) -> Counts:
    """ICDAR 2015 detection: one-to-one matches at IoU >= threshold, don't-care regions ignored."""
    kept = [predicted[k] for k in drop_dont_care(predicted, list(dont_care))]
    scores = np.array([[iou(p, r) for r in reference] for p in kept]).reshape(len(kept), len(reference))
    return Counts(len(_greedy_pairs(scores, threshold)), len(kept), len(reference))


def _e2e_text(text: str) -> str:
    """ICDAR end-to-end comparison: case-insensitive, leading/trailing punctuation ignored."""
    return re.sub(r"^[^\w]+|[^\w]+$", "", normalize_text(text)).lower()


def end_to_end_counts(
    predicted: list[tuple[Quad, str]],
    reference: list[tuple[Quad, str]],
    dont_care: list[Quad] = (),  # type: ignore[assignment]
    threshold: float = 0.5,
) -> Counts:
    """End-to-end word spotting: a predicted word counts when it overlaps a reference word at IoU >= threshold
    and reads the same (case-insensitive, ignoring surrounding punctuation)."""
    keep = drop_dont_care([q for q, _ in predicted], list(dont_care))
    preds = [predicted[k] for k in keep if _e2e_text(predicted[k][1])]
    scores = np.zeros((len(preds), len(reference)))
    for i, (pq, pt) in enumerate(preds):
        for j, (rq, rt) in enumerate(reference):
            if _e2e_text(pt) == _e2e_text(rt):
                scores[i, j] = iou(pq, rq)
    return Counts(len(_greedy_pairs(scores, threshold)), len(preds), len(reference))


def split_line_into_words(quad: Quad, text: str) -> list[tuple[list[list[float]], str]]:
    """Approximate word boxes for engines that return only line boxes: each word gets the share of the line's
    quad (TL, TR, BR, BL) proportional to its character offsets."""
    q = np.asarray(quad, dtype=np.float64).reshape(4, 2)
    tl, tr, br, bl = q
    n = max(len(text), 1)
    out = []
    for m in re.finditer(r"\S+", text):
        u0, u1 = m.start() / n, m.end() / n
        poly = [tl + (tr - tl) * u0, tl + (tr - tl) * u1, bl + (br - bl) * u1, bl + (br - bl) * u0]
        out.append(([[float(x), float(y)] for x, y in poly], m.group()))
    return out
