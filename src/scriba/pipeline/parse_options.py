"""The parser's options: one typed dataclass per part, nested in ParseOptions.

Fields with `flag(...)` metadata become `scriba parse` flags and `/v1/parse` query parameters
(scriba.options), so an option added here is offered everywhere with the same name and help.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scriba.options import flag
from scriba.pipeline.ocr import OCROptions
from scriba.pipeline.table_engines import TABLE_ENGINES

OCR_MODES = ("auto", "always", "never")


@dataclass
class LayoutOptions:
    enabled: bool = field(
        default=True,
        metadata=flag(
            "--layout/--no-layout",
            "Find titles, tables, figures and formulas with the layout model (off: text blocks only).",
        ),
    )
    # Turn scanned pages upright (0/90/180/270) before they are read.
    orientation: bool = field(
        default=True,
        metadata=flag("--orientation/--no-orientation", "Turn scanned pages upright (0/90/180/270) first."),
    )
    # Score a region needs per layout class (e.g. {"table": 0.4}); the model's defaults elsewhere.
    thresholds: dict[str, float] = field(default_factory=dict)


@dataclass
class TableOptions:
    enabled: bool = field(
        default=True,
        metadata=flag("--tables/--no-tables", "Rebuild table structure (rows, columns, spans) as HTML."),
    )
    engine: str = field(
        default="auto",
        metadata=flag(
            "--table",
            "auto: ruling lines where a table is drawn as a full grid, the SLANet-plus model elsewhere; slanet: "
            "the model for every table; rules: ruling lines or word alignment only.",
            choices=TABLE_ENGINES,
        ),
    )

    def __post_init__(self) -> None:
        if self.engine not in TABLE_ENGINES:
            raise ValueError(f"table engine must be one of {', '.join(TABLE_ENGINES)}, not {self.engine!r}")


@dataclass
class FormulaOptions:
    model: str | None = field(
        default=None,
        metadata=flag(
            "--formulas",
            "Formula recognizer network that writes LaTeX for formula blocks when confident (scriba-formula, "
            "scriba-formula-s, scriba-formula-xs; default: none, LaTeX from the text read, see --formula-text).",
        ),
    )
    threshold: float = field(
        default=0.9,
        metadata=flag("--formula-threshold", "Confidence a formula's LaTeX needs to be written (0-1)."),
    )
    from_text: bool = field(
        default=True,
        metadata=flag(
            "--formula-text/--no-formula-text",
            "Where no recognizer is chosen or it is not confident, write LaTeX built from the text read in the "
            "formula and its glyphs' positions (fractions, scripts, limits, roots); off: latex is null.",
        ),
    )
    text_threshold: float = field(
        default=0.5,
        metadata=flag(
            "--formula-text-threshold", "Mean character confidence that LaTeX from text needs (0-1)."
        ),
    )

    def __post_init__(self) -> None:
        from scriba.formula.registry import FORMULA_MODELS

        if self.model is not None and self.model not in FORMULA_MODELS:
            raise ValueError(f"unknown formula model {self.model!r}; known: {', '.join(FORMULA_MODELS)}")
        for name, value in (("threshold", self.threshold), ("text threshold", self.text_threshold)):
            if not 0 <= value <= 1:
                raise ValueError(f"formula {name} must be between 0 and 1, not {value}")


@dataclass
class SealOptions:
    enabled: bool = field(
        default=False,
        metadata=flag("--seals", "Read seals (red or blue stamps) on OCR'd pages into 'seal' blocks."),
    )


@dataclass
class ParseOptions:
    """Settings of the parser.

    dpi: resolution of page coordinates, OCR renders and figure crops. ocr_mode: 'auto' reads the text layer
    where it is usable and OCRs the rest, 'always' OCRs every page, 'never' uses only the text layer.
    ocr: the OCR pipeline's own options (model, classifier, unwarp, ...) for pages and regions it reads.
    figures_dir: where figure and formula crops are written (None: not written; blocks then carry no image).
    """

    dpi: float = field(
        default=200,
        metadata=flag("--dpi", "Resolution of page coordinates, OCR renders and figure crops.", rest=False),
    )
    ocr_mode: str = field(
        default="auto",
        metadata=flag(
            "--ocr",
            "auto: text layer where usable, OCR elsewhere; always: OCR every page; never: text layer only.",
            choices=OCR_MODES,
        ),
    )
    ocr: OCROptions = field(default_factory=OCROptions)
    layout: LayoutOptions = field(default_factory=LayoutOptions)
    table: TableOptions = field(default_factory=TableOptions)
    formula: FormulaOptions = field(default_factory=FormulaOptions)
    seal: SealOptions = field(default_factory=SealOptions)
    figures_dir: str | None = None
    threads: int = field(
        default=0, metadata=flag("--threads", "ONNX Runtime threads (0: all cores).", rest=False)
    )

    def __post_init__(self) -> None:
        if self.ocr_mode not in OCR_MODES:
            raise ValueError(f"ocr mode must be one of {', '.join(OCR_MODES)}, not {self.ocr_mode!r}")
        if self.dpi <= 0:
            raise ValueError(f"dpi must be positive, not {self.dpi}")
        if self.threads < 0:
            raise ValueError(f"threads must be 0 (all cores) or more, not {self.threads}")


__all__ = ["OCR_MODES", "FormulaOptions", "LayoutOptions", "ParseOptions", "SealOptions", "TableOptions"]
