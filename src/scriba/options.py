"""Command-line and REST parameters generated from (nested) options dataclasses.

A field exposed to users carries `metadata=flag("--table", "help text")`; nested dataclass fields are walked.
`option_flags(ParseOptions)` lists them; `cli_parameters` turns them into Typer options, `rest_parameters` into
FastAPI query parameters, and `build_options` puts the values back into the nested dataclasses. A new option
is then one field with its help text, and `scriba parse --help` and `/v1/parse` show it.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

T = TypeVar("T")


def flag(
    decls: str | Sequence[str],
    help: str,
    *,
    choices: Sequence[str] = (),
    cli_type: Any = None,
    to_field: Callable[[Any], Any] | None = None,
    from_field: Callable[[Any], Any] | None = None,
    rest: bool = True,
) -> dict[str, Any]:
    """Field metadata that exposes a field as a flag. `choices` restricts a string; a flag whose value differs
    from the field's (`--exact` for rec_batching='paddle') gives `cli_type` and the two conversions. rest=False
    keeps it off the REST API."""
    spec = {
        "decls": (decls,) if isinstance(decls, str) else tuple(decls),
        "help": help,
        "choices": tuple(choices),
        "cli_type": cli_type,
        "to_field": to_field,
        "from_field": from_field,
        "rest": rest,
    }
    return {"scriba_flag": spec}


@dataclass(frozen=True)
class OptionFlag:
    path: tuple[str, ...]  # field names from the root dataclass: ("table", "engine")
    decls: tuple[str, ...]
    help: str
    type: Any
    default: Any
    choices: tuple[str, ...]
    to_field: Callable[[Any], Any] | None
    rest: bool

    @property
    def name(self) -> str:
        """The parameter's Python name (unique across the tree)."""
        return "__".join(self.path)

    @property
    def rest_name(self) -> str:
        """The REST query name: the long flag without dashes, '--no-x' forms dropped ('--table' -> 'table')."""
        first = next(d for d in self.decls if d.startswith("--")).split("/")[0]
        return first[2:].replace("-", "_")

    def annotation(self) -> Any:
        if self.choices:
            base: Any = Literal[self.choices]  # type: ignore[valid-type]
            return base | None if self.default is None else base
        return self.type


def _field_type(owner: type, f: dataclasses.Field[Any]) -> Any:
    return typing.get_type_hints(owner)[f.name]


def option_flags(cls: type, prefix: tuple[str, ...] = ()) -> list[OptionFlag]:
    """Every flagged field of `cls` and of the dataclasses nested in it, in declaration order."""
    out: list[OptionFlag] = []
    instance = cls()
    for f in dataclasses.fields(cls):
        ftype = _field_type(cls, f)
        spec = f.metadata.get("scriba_flag")
        if spec is None and dataclasses.is_dataclass(ftype):
            out.extend(option_flags(ftype, prefix + (f.name,)))  # type: ignore[arg-type]
            continue
        if spec is None:
            continue
        default = getattr(instance, f.name)
        if spec["from_field"] is not None:
            default = spec["from_field"](default)
        out.append(
            OptionFlag(
                path=prefix + (f.name,),
                decls=spec["decls"],
                help=spec["help"],
                type=spec["cli_type"] or ftype,
                default=default,
                choices=spec["choices"],
                to_field=spec["to_field"],
                rest=spec["rest"],
            )
        )
    return out


def build_options(cls: type[T], values: dict[str, Any], **fixed: Any) -> T:
    """`cls` with the flags' values (keyed by OptionFlag.name) put into their nested fields; `fixed` sets
    top-level fields directly. Raises ValueError (from the dataclasses' checks) for bad values."""
    nested: dict[tuple[str, ...], dict[str, Any]] = {}
    for spec in option_flags(cls):
        if spec.name not in values:
            continue
        value = values[spec.name]
        if spec.to_field is not None:
            value = spec.to_field(value)
        nested.setdefault(spec.path[:-1], {})[spec.path[-1]] = value
    return _build(cls, (), nested, fixed)  # type: ignore[no-any-return]


def _build(cls: type, at: tuple[str, ...], nested: dict[tuple[str, ...], dict[str, Any]], fixed: dict[str, Any]) -> Any:
    kwargs = dict(nested.get(at, {}))
    for f in dataclasses.fields(cls):
        ftype = _field_type(cls, f)
        if dataclasses.is_dataclass(ftype) and any(k[: len(at) + 1] == at + (f.name,) for k in nested):
            kwargs[f.name] = _build(ftype, at + (f.name,), nested, {})  # type: ignore[arg-type]
    if not at:
        kwargs.update(fixed)
    return cls(**kwargs)


def cli_parameters(flags: list[OptionFlag]) -> list[inspect.Parameter]:
    """Typer options for the flags (keyword-only parameters of a command's generated signature)."""
    import typer

    return [
        inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=f.default,
            annotation=Annotated[f.annotation(), typer.Option(*f.decls, help=f.help)],
        )
        for f in flags
    ]


def rest_parameters(flags: list[OptionFlag]) -> list[inspect.Parameter]:
    """FastAPI query parameters for the flags that may be set over REST."""
    from fastapi import Query

    return [
        inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=f.default,
            annotation=Annotated[f.annotation(), Query(alias=f.rest_name, description=f.help)],
        )
        for f in flags
        if f.rest
    ]


def with_parameters(fn: Callable[..., Any], extra: list[inspect.Parameter]) -> Callable[..., Any]:
    """`fn` with `extra` keyword-only parameters added to the signature Typer or FastAPI read (fn takes
    them as **kwargs)."""
    sig = inspect.signature(fn, eval_str=True)  # the annotations themselves, not their source text
    params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    fn.__signature__ = sig.replace(parameters=params + extra)  # type: ignore[attr-defined]
    return fn


__all__ = ["OptionFlag", "build_options", "cli_parameters", "flag", "option_flags", "rest_parameters", "with_parameters"]
