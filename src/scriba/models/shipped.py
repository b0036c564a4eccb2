"""Models trained or derived by Scriba and shipped inside the package (model cards: docs/models.md).

Each pairs the PP-OCRv5 mobile detector and 0/180 classifier with one of our English recognizers."""

from __future__ import annotations

from scriba.models.registry import BUILTIN, ModelFile, ModelSpec, RecognizerSpec

_V5 = BUILTIN["ppocrv5"]


def _english(name: str, description: str, sha256: str, **rec: int) -> ModelSpec:
    """PP-OCRv5 detection and classification with the recognizer at models/weights/<name>/rec.onnx."""
    return ModelSpec(
        name=name,
        description=description,
        det=_V5.det,
        rec=RecognizerSpec(ModelFile(f"models/weights/{name}/rec.onnx", "scriba", sha256), **rec),
        cls=_V5.cls,
        languages=("en",),
        builtin=True,
    )


SHIPPED: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _english(
            "scriba-en",
            "PP-OCRv5 mobile detection and classification with Scriba's own English recognizer, trained "
            "from random weights on synthetic lines only (0.66M parameters, height 32; see docs/models.md)",
            "174f59c19bb66324017d4112c65611cbd58f29a30ebb1971c829f6e4625a7e24",
            height=32,
            min_width=64,
        ),
        _english(
            "ppocrv5-en",
            "PP-OCRv5 mobile with its recognizer's head restricted to English letters, digits, ASCII "
            "punctuation and space (1.9M parameters, derived from the PP-OCRv5 weights, not retrained)",
            "357487f7e58a59f5eff97780a49ceb7da93265793909cf67958f0ba4f7bfaf03",
            height=48,
        ),
        _english(
            "scriba-en-receipts",
            "PP-OCRv5 mobile detection and classification with ppocrv5-en's recognizer fine-tuned on "
            "Scriba's synthetic English and receipt-style lines (1.9M parameters; better on printed receipts)",
            "c3fb426b91e210ad366ba6cbcb18c6aca8f6110a89820705b56ef07895ec7074",
            height=48,
        ),
    )
}
