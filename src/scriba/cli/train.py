"""`scriba train`: import the PP-OCR weights into PyTorch, train/fine-tune recognizers, export to ONNX, evaluate.

Needs the `train` extra (torch); torch is imported inside the commands so `scriba --help` works without it."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from scriba.cli.common import fail, output_folder

T = TypeVar("T")

app = typer.Typer(
    help="Train and fine-tune models in PyTorch (the `train` extra); export them to ONNX.",
    no_args_is_help=True,
)


def _need_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        fail("training needs PyTorch: pip install 'scriba[train]'")


@app.command("import-weights")
def import_weights(
    model: Annotated[str, typer.Argument(help="ppocrv5 or ppocrv4.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Checkpoint to write (.pt).")] = None,
    small: Annotated[bool, typer.Option(help="Check parity on a small input only (fast).")] = False,
) -> None:
    """Load the model's ONNX weights into the PyTorch modules and check parity against ONNX Runtime.

    Exits 1 when any model's max absolute difference exceeds 1e-3."""
    _need_torch()
    from scriba.train.import_weights import PARITY_TOLERANCE, import_ppocr, save_checkpoint

    if model not in ("ppocrv5", "ppocrv4"):
        fail(f"import-weights knows ppocrv5 and ppocrv4, not '{model}'")
    if out is not None:
        _writable(out)
    modules, results = import_ppocr(model, small=small)
    for r in results:
        status = "ok" if r.ok else f"FAIL (> {PARITY_TOLERANCE:g})"
        typer.echo(f"{model} {r.role}: {r.tensors} tensors, max abs diff {r.max_abs_diff:.3g} {status}")
    if out is not None:
        save_checkpoint(model, modules, results, str(out))
        typer.echo(f"wrote {out}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command("restrict-head")
def restrict_head_command(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint from `scriba train import-weights`.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Recognizer checkpoint to write (.pt).")],
    model: Annotated[str, typer.Option(help="The model the checkpoint was imported from.")] = "ppocrv5",
    keys: Annotated[
        Path | None, typer.Option(help="Key file (one character per line); default: English.")
    ] = None,
) -> None:
    """Keep the recognizer's backbone and neck, and only the head rows of the wanted characters."""
    _need_torch()
    from scriba.train.charset import ENGLISH_KEYS, CTCCodec
    from scriba.train.derive import restrict_head

    if not checkpoint.is_file():
        fail(f"{checkpoint}: no such checkpoint")
    if keys is not None and not keys.is_file():
        fail(f"{keys}: no such key file")
    _writable(out)
    codec = CTCCodec.from_file(keys) if keys else CTCCodec(ENGLISH_KEYS)
    try:
        report = restrict_head(checkpoint, model, codec, out)
    except (ValueError, KeyError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        fail(f"{checkpoint}: not a usable checkpoint ({' '.join(str(exc).split())})")
    typer.echo(json.dumps(report))


def _config(path: Path, loader: Callable[[Path], T], output: str | None = None, steps: int | None = None) -> T:
    """A training configuration with the command line's overrides of its output folder and step count, or one
    line saying what is wrong with the file."""
    import yaml

    if not path.is_file():
        fail(f"{path}: no such configuration file")
    try:
        cfg = loader(path)
    except (ValueError, TypeError, AttributeError, KeyError, yaml.YAMLError) as exc:
        fail(f"{path}: {' '.join(str(exc).split())}")  # YAML errors span lines
    if output:
        cfg.loop.output = output  # type: ignore[attr-defined]
    if steps:
        cfg.loop.optim.steps = steps  # type: ignore[attr-defined]
    return cfg


def _writable(path: Path) -> Path:
    """`path`'s folder, created if missing; one line and exit 2 when it cannot be."""
    output_folder(path.parent)
    return path


@app.command("rec")
def train_rec_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="YAML training configuration.")],
    output: Annotated[str | None, typer.Option(help="Override loop.output.")] = None,
    steps: Annotated[int | None, typer.Option(help="Override loop.optim.steps.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from OUTPUT/last.pt when present.")] = True,
) -> None:
    """Train or fine-tune a CTC recognizer (checkpoints, resume, EMA, cosine LR, validation on real sets)."""
    _need_torch()
    from scriba.train.config import load_rec_config
    from scriba.train.rec import train_rec

    cfg = _config(config, load_rec_config, output, steps)
    final = train_rec(cfg, resume=resume)
    typer.echo(f"final weights: {final}")


@app.command("formula")
def train_formula_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="YAML training configuration.")],
    output: Annotated[str | None, typer.Option(help="Override loop.output.")] = None,
    steps: Annotated[int | None, typer.Option(help="Override loop.optim.steps.")] = None,
) -> None:
    """Train the elastic formula recognizer (full network plus sampled sub-networks distilled in place);
    resumable: rerun to continue from OUTPUT/last.pt."""
    _need_torch()
    from scriba.train.formula import load_formula_config, train_formula

    cfg = _config(config, load_formula_config, output, steps)
    train_formula(cfg)
    typer.echo(f"final weights: {Path(cfg.loop.output) / 'final.pt'}")


@app.command("export-formula")
def export_formula_command(
    checkpoint: Annotated[
        Path, typer.Argument(help="An elastic formula checkpoint (.pt) from `scriba train formula`.")
    ],
    out: Annotated[
        Path,
        typer.Option("-o", "--out", help="Folder: one sub-folder per model (encoder.onnx, decoder.onnx)."),
    ],
    names: Annotated[
        str, typer.Option(help="Sub-networks to export, comma-separated.")
    ] = "scriba-formula,scriba-formula-s,scriba-formula-xs",
) -> None:
    """Export named sub-networks of an elastic formula checkpoint to ONNX (checked against PyTorch)."""
    _need_torch()
    from scriba.train.formula_export import export_named

    if not checkpoint.is_file():
        fail(f"{checkpoint}: no such checkpoint")
    for report in export_named(checkpoint, out, [n.strip() for n in names.split(",") if n.strip()]):
        typer.echo(json.dumps(report))


@app.command("eval-formula")
def eval_formula_command(
    models: Annotated[
        str,
        typer.Option(
            help="Comma-separated shipped formula models, or folders with encoder.onnx and decoder.onnx."
        ),
    ] = "scriba-formula,scriba-formula-s,scriba-formula-xs",
    synthetic: Annotated[
        Path | None, typer.Option(help="A held-out set from `scriba synth formulas`.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(help="Only synthetic formulas of at most this many tokens.")
    ] = None,
    im2latex: Annotated[bool, typer.Option(help="Also im2latex_sample from the shared data folder.")] = True,
    threads: Annotated[int, typer.Option(help="ONNX Runtime threads (0: all cores).")] = 0,
    limit: Annotated[int | None, typer.Option(help="Only the first N formulas of each set.")] = None,
) -> None:
    """Exact match, normalized token edit distance, emitted share and ms per formula of formula recognizers."""
    from scriba.formula.recognizer import FormulaRecognizer
    from scriba.train.formula_eval import evaluate, im2latex_set, synthetic_set

    sets = {}
    if synthetic:
        sets["synthetic" + (f"<={max_tokens}" if max_tokens else "")] = synthetic_set(synthetic, max_tokens)
    if im2latex:
        sets["im2latex_sample"] = im2latex_set()
    for name in [m.strip() for m in models.split(",") if m.strip()]:
        rec = (
            FormulaRecognizer.from_folder(name, threads=threads)
            if Path(name).is_dir()
            else FormulaRecognizer.named(name, threads=threads)
        )
        for set_name, items in sets.items():
            typer.echo(json.dumps({"model": name, "set": set_name, **evaluate(rec, items[:limit])}))


@app.command("cls")
def train_cls_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="YAML training configuration.")],
    output: Annotated[str | None, typer.Option(help="Override loop.output.")] = None,
    steps: Annotated[int | None, typer.Option(help="Override loop.optim.steps.")] = None,
) -> None:
    """Train or fine-tune the 0/180 line classifier on synthetic lines (rotated copies as the 180 class)."""
    _need_torch()
    from scriba.train.cls import load_cls_config, train_cls

    cfg = _config(config, load_cls_config, output, steps)
    typer.echo(f"final weights: {train_cls(cfg)}")


@app.command("det")
def train_det_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="YAML training configuration.")],
    output: Annotated[str | None, typer.Option(help="Override loop.output.")] = None,
    steps: Annotated[int | None, typer.Option(help="Override loop.optim.steps.")] = None,
) -> None:
    """Train or fine-tune the DB detector (probability map) on PaddleOCR detection labels or synthetic pages."""
    _need_torch()
    from scriba.train.det import load_det_config, train_det

    cfg = _config(config, load_det_config, output, steps)
    typer.echo(f"final weights: {train_det(cfg)}")


@app.command("export")
def export_command(
    checkpoint: Annotated[Path, typer.Argument(help="A recognizer checkpoint (.pt) from `scriba train`.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="ONNX file to write.")],
    register: Annotated[str | None, typer.Option(help="Also register it under this model name.")] = None,
    base: Annotated[str, typer.Option(help="Model whose detector and classifier are reused.")] = "ppocrv5",
) -> None:
    """Export a trained recognizer to ONNX (key list in the metadata) and optionally register it."""
    _need_torch()
    from scriba.train.export import export_rec

    if not checkpoint.is_file():
        fail(f"{checkpoint}: no such checkpoint")
    _writable(out)
    try:
        report = export_rec(checkpoint, out)
    except (ValueError, KeyError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        fail(f"{checkpoint}: not a usable checkpoint ({' '.join(str(exc).split())})")
    typer.echo(json.dumps(report))
    if register:
        from scriba.models.registry import register_model

        meta_min_width = None
        try:
            from scriba.models.runtime import model_metadata

            meta_min_width = int(model_metadata(str(out)).get("min_width", 0)) or None
        except (ValueError, OSError):
            pass
        settings: dict[str, object] = {"height": report["height"]}
        if meta_min_width:
            settings["min_width"] = meta_min_width
        spec = register_model(
            register, rec=str(out), base=base, description=f"trained recognizer {out.name}", **settings
        )
        typer.echo(f"registered '{spec.name}'")


@app.command("eval-rec")
def eval_rec_command(
    models: Annotated[
        str, typer.Option(help="Comma-separated model names (their ONNX recognizers).")
    ] = "ppocrv5",
    sets: Annotated[
        str, typer.Option(help="Comma-separated: iiit5k, uw3, icdar15, sroie.")
    ] = "iiit5k,uw3,icdar15",
    tesseract: Annotated[bool, typer.Option(help="Also run Tesseract (--psm 7) on the same crops.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Recognition accuracy of registered models on the real crops in ../shared/data (ONNX pipeline)."""
    from scriba.train.evaluate import evaluate_models

    try:
        table = evaluate_models(models.split(","), sets.split(","), tesseract)
    except FileNotFoundError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(table, indent=2))
        return
    typer.echo("| model | set | crops | exact | ignoring case | ignoring case and spaces | 1 - NED |")
    typer.echo("|---|---|---|---|---|---|---|")
    for model, per_set in table.items():
        for name, m in per_set.items():
            typer.echo(
                f"| {model} | {name} | {int(m['count'])} | {m['word_acc']:.3f} | {m['word_acc_nocase']:.3f} "
                f"| {m['word_acc_ci']:.3f} | {1 - m['ned']:.3f} |"
            )
