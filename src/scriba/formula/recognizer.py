"""Formula image -> LaTeX on ONNX Runtime: the encoder once, then greedy decoding one token at a time with a
self-attention cache, up to a cap on the output length.

A result is `emitted` (has `latex`) only when the decoder ended the formula itself, its confidence (the
geometric mean of the chosen tokens' probabilities, end token included) reaches the threshold, and the LaTeX
is well formed (`scriba.formula.latex.check`: balanced braces and \\left/\\right, known commands, arguments
present). Otherwise `latex` is None and `reason` says why; the caller keeps the image.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scriba.formula.latex import BOS, EOS, PAD, check
from scriba.formula.preprocess import prepare

DEFAULT_THRESHOLD = 0.9
MAX_TOKENS = 150


@dataclass
class FormulaResult:
    latex: str | None  # None: not emitted (see reason)
    confidence: float
    latex_tokens: str = ""  # what the decoder wrote, emitted or not
    reason: str | None = None  # why latex is None: low-confidence | no-end | malformed: ... | empty
    token_confidences: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"latex": self.latex, "confidence": round(self.confidence, 4), "reason": self.reason}


class FormulaRecognizer:
    """Reads cropped formula images. `FormulaRecognizer("scriba-formula")` loads a registered model."""

    def __init__(
        self,
        encoder: str,
        decoder: str,
        threshold: float = DEFAULT_THRESHOLD,
        max_tokens: int = MAX_TOKENS,
        threads: int = 0,
    ) -> None:
        from scriba.models.runtime import RuntimeOptions, get_session, model_metadata

        opts = RuntimeOptions(threads=threads, fold_affine=False)
        self.encoder = get_session(encoder, opts)
        self.decoder = get_session(decoder, opts)
        meta = model_metadata(decoder)
        self.vocab = meta["vocab"].split("\n")
        arch = json.loads(meta["arch"])
        self.layers, self.heads, self.head_dim = arch["dec_layers"], arch["dec_heads"], arch["head_dim"]
        self.max_tokens = max(1, min(max_tokens, int(arch["max_len"]) - 1))
        self.threshold = threshold
        self.bos, self.eos, self.pad = self.vocab.index(BOS), self.vocab.index(EOS), self.vocab.index(PAD)

    @classmethod
    def from_folder(cls, folder: str | Path, **kwargs: Any) -> FormulaRecognizer:
        folder = Path(folder)
        return cls(str(folder / "encoder.onnx"), str(folder / "decoder.onnx"), **kwargs)

    @classmethod
    def named(cls, name: str = "scriba-formula", **kwargs: Any) -> FormulaRecognizer:
        from scriba.formula.registry import formula_model

        spec = formula_model(name)
        return cls(spec.encoder.resolve(), spec.decoder.resolve(), **kwargs)

    def __call__(self, images: list[np.ndarray]) -> list[FormulaResult]:
        """Formula crops (H x W or H x W x 3 uint8, dark ink on light paper) -> one result each."""
        return [self.read_prepared(prepare(img)) for img in images]

    def read_prepared(self, x: np.ndarray) -> FormulaResult:
        """One preprocessed image (1 x HEIGHT x W float32, `scriba.formula.preprocess.prepare`)."""
        ck, cv = self.encoder.run(None, {"image": x[None].astype(np.float32)})
        past = np.zeros((self.layers, 1, self.heads, 0, self.head_dim), np.float32)
        pk, pv = past, past
        token = np.array([[self.bos]], np.int64)
        ids: list[int] = []
        probs: list[float] = []
        ended = False
        for t in range(self.max_tokens + 1):
            lp, pk, pv = self.decoder.run(
                None,
                {
                    "token": token,
                    "pos": np.array([t], np.int64),
                    "past_k": pk,
                    "past_v": pv,
                    "cross_k": ck,
                    "cross_v": cv,
                },
            )
            i = int(lp[0].argmax())
            probs.append(float(np.exp(lp[0, i])))
            if i == self.eos:
                ended = True
                break
            if len(ids) == self.max_tokens:
                break
            ids.append(i)
            token = np.array([[i]], np.int64)
        text = " ".join(self.vocab[i] for i in ids if i not in (self.bos, self.pad))
        conf = float(np.exp(np.mean(np.log(np.maximum(probs, 1e-9))))) if probs else 0.0
        result = FormulaResult(None, conf, text, None, probs)
        if not ended:
            result.reason = "no-end"  # reached the length cap: a runaway decode
            result.confidence = min(conf, 0.0)
        elif not text:
            result.reason = "empty"
        elif problems := check(text):
            result.reason = "malformed: " + "; ".join(problems)
        elif conf < self.threshold:
            result.reason = "low-confidence"
        else:
            result.latex = text
        return result
