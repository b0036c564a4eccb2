"""Recognition metrics: word accuracy and normalized edit distance (1 - NED is PaddleOCR's `norm_edit_dis`)."""

from __future__ import annotations


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def rec_metrics(preds: list[str], gts: list[str]) -> dict[str, float]:
    """word_acc: exact match; word_acc_nocase: ignoring case only (SROIE's labels are all upper case);
    word_acc_ci: ignoring case and spaces; ned: mean normalized edit distance (case-sensitive)."""
    n = max(len(gts), 1)
    exact = sum(p == g for p, g in zip(preds, gts))
    nocase = sum(p.lower() == g.lower() for p, g in zip(preds, gts))
    ci = sum(p.replace(" ", "").lower() == g.replace(" ", "").lower() for p, g in zip(preds, gts))
    ned = sum(edit_distance(p, g) / max(len(p), len(g), 1) for p, g in zip(preds, gts))
    return {
        "word_acc": exact / n,
        "word_acc_nocase": nocase / n,
        "word_acc_ci": ci / n,
        "ned": ned / n,
        "count": float(len(gts)),
    }
