"""Flags generated from the nested options dataclasses: the same names on the command line and over REST,
and the values land in the nested fields."""

from __future__ import annotations

import pytest

from scriba.options import build_options, option_flags
from scriba.pipeline.parse_options import ParseOptions


def test_flags_cover_the_nested_options() -> None:
    flags = {f.name: f for f in option_flags(ParseOptions)}
    assert {
        "ocr_mode",
        "ocr__model",
        "ocr__use_classifier",
        "ocr__rec_batching",
        "table__engine",
        "formula__model",
        "seal__enabled",
        "layout__enabled",
    } <= set(flags)
    assert flags["table__engine"].decls == ("--table",) and flags["table__engine"].rest_name == "table"
    assert flags["ocr__use_classifier"].rest_name == "classifier"
    assert flags["ocr__rec_batching"].default is False  # shown as the --exact switch
    assert not flags["threads"].rest  # the server sets its own threads


def test_values_land_in_nested_fields() -> None:
    opts = build_options(
        ParseOptions,
        {
            "ocr_mode": "always",
            "ocr__rec_batching": True,
            "ocr__use_classifier": False,
            "table__engine": "rules",
            "seal__enabled": True,
            "formula__threshold": 0.8,
        },
        figures_dir="out",
    )
    assert opts.ocr_mode == "always" and opts.figures_dir == "out"
    assert opts.ocr.rec_batching == "paddle" and opts.ocr.use_classifier is False
    assert opts.table.engine == "rules" and opts.seal.enabled and opts.formula.threshold == 0.8
    assert opts.layout.enabled  # untouched fields keep their defaults
    assert build_options(ParseOptions, {}) == ParseOptions()


def test_bad_values_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="table engine must be one of auto, slanet, rules"):
        build_options(ParseOptions, {"table__engine": "lattice"})
    with pytest.raises(ValueError, match="formula threshold"):
        build_options(ParseOptions, {"formula__threshold": 3.0})


def test_unknown_formula_model_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown formula model 'texify'; known: scriba-formula"):
        build_options(ParseOptions, {"formula__model": "texify"})
