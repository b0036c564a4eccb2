"""Recognition accuracy of registered models (their ONNX recognizers, Scriba's own inference) and of Tesseract
on the real crops in ../shared/data. Torch-free: it measures what users run."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np

from scriba.models.recognition.ctc import TextRecognizer
from scriba.models.registry import get_model
from scriba.models.runtime import RuntimeOptions
from scriba.train.evalsets import evaluate_recognizer


def onnx_predictor(model_name: str, threads: int = 0):
    rec = TextRecognizer(get_model(model_name).rec, RuntimeOptions(threads=threads))

    def predict(crops: list[np.ndarray]) -> list[str]:
        return [r.text for r in rec(crops)]

    return predict


def tesseract_predictor():
    exe = shutil.which("tesseract")
    if exe is None:
        raise FileNotFoundError("tesseract is not installed")

    def predict(crops: list[np.ndarray]) -> list[str]:
        out = []
        with tempfile.TemporaryDirectory() as tmp:
            for i, crop in enumerate(crops):
                p = Path(tmp) / f"{i}.png"
                cv2.imwrite(str(p), crop[:, :, ::-1])
                r = subprocess.run(
                    [exe, str(p), "stdout", "--psm", "7", "-l", "eng"],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                out.append(" ".join(r.stdout.split()))
        return out

    return predict


def evaluate_models(
    models: list[str], sets: list[str], tesseract: bool = False
) -> dict[str, dict[str, dict[str, float]]]:
    table = {}
    for name in models:
        table[name] = evaluate_recognizer(onnx_predictor(name), tuple(sets))
    if tesseract:
        table["tesseract"] = evaluate_recognizer(tesseract_predictor(), tuple(sets))
    return table
