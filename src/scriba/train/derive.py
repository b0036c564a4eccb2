"""Derive a smaller recognizer from a bigger one by restricting its CTC head to a character subset: the backbone
and neck are kept, and the head keeps only the rows of the wanted characters (blank and space included).
Decoding is then confined to those characters, which also removes look-alike confusions with the dropped ones."""

from __future__ import annotations

from pathlib import Path

import torch

from scriba.models.recognition.ctc import load_characters
from scriba.models.registry import get_model
from scriba.train.charset import CTCCodec


def restrict_head(
    source_ckpt: str | Path, source_model: str, codec: CTCCodec, out: str | Path
) -> dict[str, int]:
    """From an `import-weights` checkpoint, writes a recognizer checkpoint whose head predicts codec's classes."""
    ck = torch.load(source_ckpt, map_location="cpu", weights_only=False)
    state = dict(ck["rec"] if "rec" in ck else ck["model"])
    chars = load_characters(get_model(source_model).rec)
    index = {c: i for i, c in enumerate(chars) if i > 0}
    rows = [0]
    missing = []
    for c in codec.characters[1:]:
        if c in index:
            rows.append(index[c])
        else:
            missing.append(c)
            rows.append(0)  # unknown to the source: starts as a copy of blank, learns in fine-tuning
    rows_t = torch.tensor(rows)
    state["head.weight"] = state["head.weight"][rows_t].clone()
    state["head.bias"] = state["head.bias"][rows_t].clone()
    if missing:
        state["head.bias"][[i for i, c in enumerate(codec.characters) if c in missing]] -= 10.0
    meta = {
        "task": "rec",
        "arch": f"{source_model}_rec",
        "arch_args": {},
        "keys": codec.keys,
        "use_space_char": True,
        "height": get_model(source_model).rec.height,
        "min_width": get_model(source_model).rec.min_width,
        "derived_from": source_model,
    }
    torch.save({"model": state, "meta": meta}, out)
    return {
        "classes": len(rows),
        "missing": len(missing),
        "params": sum(v.numel() for k, v in state.items() if "running" not in k and "num_batches" not in k),
    }
