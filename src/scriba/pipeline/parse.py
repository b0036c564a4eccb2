"""Document parsing: PDF pages or images -> typed blocks (titles, paragraphs, tables, figures, formulas,
captions, headers/footers) in reading order -> Document (Markdown and JSON come from the tree).

Per page: text from the PDF text layer when it is usable (no high-resolution render: the layout model needs
only an 800 x 608 image), else OCR of the page turned upright; layout regions from PP-Layout (CDLA); tables
rebuilt from rules or word alignment; figure and formula regions cropped to files next to the Markdown.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from scriba.document import Document, Line, Page, Word, bbox_of, move_lines
from scriba.errors import Cancelled, InputError, check_cancel
from scriba.export.markdown import link_paragraphs
from scriba.io.images import MAX_PIXELS
from scriba.io.pdf import (
    MAX_FAILED_RUN,
    PDF_MAGIC,
    PDFIUM_LOCK,
    PageError,
    broken_page_tree,
    load_page,
    open_pdf,
    parse_page_range,
)
from scriba.io.sources import Source, expand_inputs, iter_pages
from scriba.io.textlayer import TextLayer, read_text_layer
from scriba.models.runtime import RuntimeOptions
from scriba.pipeline.ahead import one_ahead
from scriba.pipeline.layout_order import KIND_OF_CLASS, Region, assemble_page, split_bold_headings
from scriba.pipeline.levelling import MIN_LINES, MIN_SKEW, level_page, text_skew
from scriba.pipeline.page_edges import square_up
from scriba.pipeline.parse_options import (
    OCR_MODES,
    FormulaOptions,
    LayoutOptions,
    ParseOptions,
    SealOptions,
    TableOptions,
)
from scriba.pipeline.picture_text import picture_boxes, read_pictures, region_options
from scriba.pipeline.stages import PageContext, Stage, default_stages
from scriba.pipeline.table_engines import TABLE_ENGINES
from scriba.pipeline.turns import to_upright, upright_image


@dataclass
class ParsedPage:
    page: Page
    image: np.ndarray | None = None  # the image layout ran on (for overlays)
    image_scale: float = 1.0  # image pixels per page pixel
    unreadable: bool = False  # the PDF page itself could not be read (PageError), as opposed to a stage failing


S = TypeVar("S", bound=Stage)


@dataclass
class _PreparedPdfPage:
    """A PDF page with PDFium's part done (and the layout model's, on a text-layer page)."""

    page: pdfium.PdfPage
    reader: _PdfPageReader
    layer: TextLayer
    use_text: bool
    t0: float  # when the page's work began
    timings: dict[str, float]
    small: np.ndarray | None = None  # the render the layout model ran on
    small_scale: float = 1.0
    layout_job: Future[list[Region]] | None = None  # the layout model's regions, found on the layout thread

    def regions(self) -> list[Region]:
        return self.layout_job.result() if self.layout_job is not None else []

    def discard(self) -> None:
        if self.layout_job is not None:
            self.layout_job.cancel()
        _close_page(self.page)


def _close_page(page: pdfium.PdfPage) -> None:
    with PDFIUM_LOCK:
        page.close()


class _PdfPageReader:
    """Renders of one PDF page at the scales the parser needs, made on demand."""

    def __init__(self, page: pdfium.PdfPage, scale: float) -> None:
        self.page = page
        self.scale = scale
        self.w_pt, self.h_pt = page.get_size()
        self.width, self.height = round(self.w_pt * scale), round(self.h_pt * scale)
        self._full: np.ndarray | None = None
        self._images: list[tuple[float, float, float, float]] | None = None

    def render(self, scale: float, crop: tuple[float, float, float, float] = (0, 0, 0, 0)) -> np.ndarray:
        if self.w_pt * self.h_pt * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / (self.w_pt * self.h_pt)) ** 0.5
        with PDFIUM_LOCK:
            bitmap = self.page.render(scale=scale, crop=crop, rev_byteorder=True, fill_color=(255, 255, 255, 255))
            try:
                return np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
            finally:
                bitmap.close()

    def full(self) -> np.ndarray:
        if self._full is None:
            self._full = self.render(self.scale)
        return self._full

    def region(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """The page pixels inside `box`, rendered at the page scale (only that part is rendered)."""
        x0, y0, x1, y1 = (
            max(0.0, box[0]),
            max(0.0, box[1]),
            min(self.width, box[2]),
            min(self.height, box[3]),
        )
        if self._full is not None or self.rotation() != 0:
            img = self.full()
            return img[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))]
        s = self.scale
        crop = (x0 / s, self.h_pt - y1 / s, self.w_pt - x1 / s, y0 / s)
        return self.render(s, crop)

    def rotation(self) -> int:
        with PDFIUM_LOCK:
            return int(self.page.get_rotation())

    def image_boxes(self) -> list[tuple[float, float, float, float]]:
        """Boxes (page pixels, unrotated pages) of the image objects drawn on the page."""
        with PDFIUM_LOCK:
            return self._image_boxes()

    def _image_boxes(self) -> list[tuple[float, float, float, float]]:
        if self._images is None:
            self._images = []
            s = self.scale
            for obj in self.page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
                bounds = (
                    obj.get_bounds() if hasattr(obj, "get_bounds") else obj.get_pos()
                )  # renamed in pypdfium2 5
                left, bottom, right, top = bounds
                box = (
                    max(0.0, left) * s,
                    max(0.0, self.h_pt - top) * s,
                    min(self.w_pt, right) * s,
                    min(self.h_pt, self.h_pt - bottom) * s,
                )
                if box[2] > box[0] and box[3] > box[1]:
                    self._images.append(box)
        return self._images

    def image_area_share(self) -> float:
        """Share of the page covered by image objects (scans are one big image)."""
        total = sum((b[2] - b[0]) * (b[3] - b[1]) for b in self.image_boxes())
        return min(1.0, total / max(self.width * self.height, 1e-6))


class Parser:
    """`Parser(options)(inputs) -> Document` with typed blocks; `doc.to_markdown()` renders it.

    Inputs are paths, globs, folders, bytes, arrays or PIL images, as for OCR. Models load on first use:
    born-digital PDFs never load the OCR models.
    """

    def __init__(
        self, options: ParseOptions | None = None, stages: list[Stage] | None = None, **kwargs: Any
    ) -> None:
        """`stages`: the steps run on each assembled page (default: those `options` asks for, see
        scriba.pipeline.stages.default_stages); kwargs build a ParseOptions when none is given."""
        self.options = options or ParseOptions(**kwargs)
        self.runtime = RuntimeOptions(threads=self.options.threads)
        self._ocr: Any = None
        self._region_ocr: Any = None
        self._layout: Any = None
        self._orientation: Any = None
        self._layout_thread: ThreadPoolExecutor | None = None
        self._layout_lock = threading.Lock()
        self.stages = (
            stages if stages is not None else default_stages(self.options, self.runtime, lambda: self.ocr)
        )

    def stage(self, cls: type[S]) -> S | None:
        """The parser's stage of type `cls`, if it runs one."""
        return next((s for s in self.stages if isinstance(s, cls)), None)

    # -- models, loaded lazily --------------------------------------------------------------------------
    @property
    def ocr(self) -> Any:
        if self._ocr is None:
            from scriba.pipeline.ocr import OCR

            self._ocr = OCR(options=self._ocr_options())
        return self._ocr

    @property
    def region_ocr(self) -> Any:
        """The OCR for pictures of text on text-layer pages (scriba.pipeline.picture_text)."""
        if self._region_ocr is None:
            from scriba.pipeline.ocr import OCR

            self._region_ocr = OCR(options=region_options(self._ocr_options()))
        return self._region_ocr

    def _ocr_options(self) -> Any:
        o = self.options
        return replace(o.ocr, dpi=o.dpi, threads=o.threads or o.ocr.threads, seals=False)

    @property
    def layout(self) -> Any:
        with self._layout_lock:  # asked for by the layout thread and by image pages on the caller's
            if self._layout is None:
                from scriba.models.layout.picodet import LayoutDetector

                self._layout = LayoutDetector(runtime=self.runtime, thresholds=self.options.layout.thresholds)
        return self._layout

    @property
    def orientation(self) -> Any:
        if self._orientation is None:
            from scriba.models.classification.orientation import PageOrientation

            self._orientation = PageOrientation(runtime=self.runtime)
        return self._orientation

    # -- documents --------------------------------------------------------------------------------------
    def __call__(
        self, inputs: Any, pages: str | None = None, password: str | None = None, errors: str = "raise"
    ) -> Document:
        """Parse every input into one Document. errors='raise' stops at the first bad input; 'collect' records
        it as an empty page with `error` set and goes on."""
        doc = Document(metadata={"parser": "scriba.parse", "ocr": self.options.ocr_mode})
        for src in expand_inputs(inputs):
            try:
                doc.pages.extend(p.page for p in self.iter_source(src, pages=pages, password=password))
            except InputError as exc:
                if errors == "raise":
                    raise
                print(f"scriba: {exc}", file=sys.stderr)
                doc.pages.append(Page(width=0, height=0, source=src.name, error=exc.reason))
        link_paragraphs(doc)
        return doc

    def iter_source(
        self,
        source: Source,
        pages: str | None = None,
        password: str | None = None,
        stem: str | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[ParsedPage]:
        """Parse one source page by page (pages stream; a failing page is recorded in `page.error`).
        Once `cancel` is set the work stops at the next stage boundary (inside OCR: between recognition
        batches) with scriba.errors.Cancelled."""
        stem = stem or source.stem
        data: str | bytes | None = None
        if (
            source.obj is not None
            and isinstance(source.obj, (bytes, bytearray))
            and bytes(source.obj[:4]) == PDF_MAGIC
        ):
            data = bytes(source.obj)
        elif source.path and _is_pdf_file(source):
            data = source.path
        if data is None:
            for pimg in iter_pages(source, dpi=self.options.dpi, pages=pages, password=password):
                yield self._guard(
                    source.name, pimg.index, self.parse_image, pimg.image, source.name, pimg.index, stem,
                    None, None, cancel,
                )
            return
        pdf = open_pdf(source.name, data, password)
        try:
            with PDFIUM_LOCK:
                n = len(pdf)
            if n == 0:
                raise InputError(source.name, "PDF has no pages")
            try:
                selected = parse_page_range(pages, n)
            except ValueError as exc:
                raise InputError(source.name, str(exc)) from None
            failed_run = 0
            # Page n+1 is prepared (PDFium, layout model) on a helper thread while page n is finished here.
            prepared = one_ahead(
                selected,
                lambda i: self._load_pdf_page(pdf, source.name, i, cancel),
                _PreparedPdfPage.discard,
            )
            with contextlib.closing(prepared):
                for at, (i, take) in enumerate(zip(selected, prepared)):
                    if failed_run >= MAX_FAILED_RUN:
                        raise broken_page_tree(source.name, selected, at - 1)
                    parsed = self._guard(
                        source.name, i, self._finish_loaded, take, source.name, i, stem, cancel
                    )
                    failed_run = failed_run + 1 if parsed.unreadable else 0
                    yield parsed
        finally:
            with PDFIUM_LOCK:
                pdf.close()

    def _guard(self, source: str, index: int, fn: Any, *args: Any) -> ParsedPage:
        """Run one page; a failure becomes a page with `error` set, so the rest of the document goes on."""
        try:
            return fn(*args)  # type: ignore[no-any-return]
        except PageError as exc:  # this page only (unreadable, or an absurd size): said in its own words
            return ParsedPage(
                Page(width=0, height=0, index=index, source=source, metadata={"method": "failed"},
                     error=exc.page_reason),
                unreadable=True,
            )
        except (InputError, Cancelled):
            raise
        except Exception as exc:  # noqa: BLE001 - one bad page must not lose the document
            msg = f"{type(exc).__name__}: {exc}"
            return ParsedPage(
                Page(width=0, height=0, index=index, source=source, metadata={"method": "failed"}, error=msg)
            )

    def _load_pdf_page(
        self, pdf: pdfium.PdfDocument, source: str, index: int, cancel: threading.Event | None
    ) -> _PreparedPdfPage:
        check_cancel(cancel)
        page = load_page(pdf, source, index)  # size checked before the page is loaded or rendered
        try:
            return self._prepare_pdf_page(page)
        except BaseException:
            _close_page(page)
            raise

    def _finish_loaded(
        self,
        take: Callable[[], _PreparedPdfPage],
        source: str,
        index: int,
        stem: str,
        cancel: threading.Event | None,
    ) -> ParsedPage:
        prep = take()  # raises what loading or preparing the page raised
        try:
            return self._finish_pdf_page(prep, source, index, stem, cancel)
        finally:
            _close_page(prep.page)

    # -- pages ------------------------------------------------------------------------------------------
    def parse_pdf_page(
        self, pdf_page: pdfium.PdfPage, source: str, index: int, stem: str, cancel: threading.Event | None = None
    ) -> ParsedPage:
        check_cancel(cancel)
        return self._finish_pdf_page(self._prepare_pdf_page(pdf_page), source, index, stem, cancel)

    def _prepare_pdf_page(self, pdf_page: pdfium.PdfPage) -> _PreparedPdfPage:
        """PDFium's part of a page (text layer, renders) and, on a text-layer page, the layout model."""
        opts = self.options
        t0 = time.perf_counter()
        with PDFIUM_LOCK:  # the models run without the lock
            reader = _PdfPageReader(pdf_page, opts.dpi / 72.0)
            if reader.width < 1 or reader.height < 1:
                raise ValueError(f"page has no area ({reader.w_pt:.0f} x {reader.h_pt:.0f} pt)")
            layer = read_text_layer(pdf_page, reader.scale) if opts.ocr_mode != "always" else TextLayer()
            use_text = opts.ocr_mode == "never" or (
                opts.ocr_mode == "auto"
                and layer.usable
                and not (reader.image_area_share() > 0.5 and layer.n_chars < 200)
            )
        timings = {"text": round(time.perf_counter() - t0, 4)}
        prep = _PreparedPdfPage(pdf_page, reader, layer, use_text, t0, timings)
        if not use_text:
            reader.full()  # rendered here, ahead, for the OCR
            return prep
        # Text-layer page: layout on a small render, about the model's input size. A page whose text is mostly
        # turned (a landscape table printed sideways) is laid out and read turned upright.
        # The model runs on a thread of its own, so the next page's text layer is read meanwhile (a page's time
        # is then the longer of the two, not their sum).
        prep.small_scale = min(reader.scale, max(800 / reader.h_pt, 608 / reader.w_pt))
        prep.small = upright_image(reader.render(prep.small_scale), layer.turn)
        if self._layout_thread is None:
            self._layout_thread = ThreadPoolExecutor(1, thread_name_prefix="scriba-layout")
        prep.layout_job = self._layout_thread.submit(self._timed_regions, prep)
        return prep

    def _timed_regions(self, prep: _PreparedPdfPage) -> list[Region]:
        t1 = time.perf_counter()
        assert prep.small is not None
        regions = self._regions(prep.small, prep.reader.scale / prep.small_scale)
        prep.timings["layout"] = round(time.perf_counter() - t1, 4)
        return regions

    def _finish_pdf_page(
        self, prep: _PreparedPdfPage, source: str, index: int, stem: str, cancel: threading.Event | None
    ) -> ParsedPage:
        """OCR of the page or of its pictures of text, blocks in reading order, stages."""
        opts, reader, layer, timings, t0 = self.options, prep.reader, prep.layer, prep.timings, prep.t0
        if not prep.use_text:
            parsed = self.parse_image(
                reader.full(), source, index, stem, timings=timings, reader=reader, cancel=cancel
            )
            parsed.page.metadata["text_layer_chars"] = layer.n_chars
            return parsed
        check_cancel(cancel)
        turn, regions, small, small_scale = layer.turn, prep.regions(), prep.small, prep.small_scale
        lines = list(layer.lines)
        ocr_regions = 0
        if opts.ocr_mode == "auto" and not turn:
            ocr_regions = self._ocr_empty_regions(regions, lines, reader)
        width, height, crop = reader.width, reader.height, reader.region
        if turn:
            for line in lines:
                _turn_line(line, turn, reader.width, reader.height)
            if turn % 180:
                width, height = height, width
            crop = _TurnedCrop(reader, turn)
        # Without layout: text blocks only.
        styled = (layer.bold_lines, layer.italic_lines) if opts.layout.enabled else (set(), set())
        page = self._build_page(regions, lines, width, height, source, index, timings, styled)
        check_cancel(cancel)
        self._run_stages(PageContext(page, crop, stem, cancel=cancel, timings=timings))
        page.metadata.update(
            {
                "method": "text-layer" + ("+ocr" if ocr_regions else ""),
                "rotation": turn,
                "dpi": opts.dpi,
                "ocr_regions": ocr_regions,
            }
        )
        page.metadata["timings"]["total"] = round(time.perf_counter() - t0, 4)
        return ParsedPage(page, small, small_scale / reader.scale)

    def parse_image(
        self,
        image: np.ndarray,
        source: str = "",
        index: int = 0,
        stem: str = "page",
        timings: dict[str, float] | None = None,
        reader: _PdfPageReader | None = None,
        cancel: threading.Event | None = None,
    ) -> ParsedPage:
        """Parse one page image: orientation -> OCR -> layout -> blocks -> stages."""
        opts = self.options
        reads = opts.ocr_mode != "never"
        # A page of one colour (an empty PDF page) holds no text: OCR would find none, at the cost of a
        # full-page text detection (layout still runs: on a black page it finds a figure).
        blank = _one_colour(image)
        timings = dict(timings or {})
        t0 = time.perf_counter()
        rotation = 0
        if opts.layout.orientation and reads and not blank:
            rotation = self.orientation.detect(image)
            if rotation:
                image = upright_image(image, rotation)
        timings["orientation"] = round(time.perf_counter() - t0, 4)
        lines: list[Line] = []
        flipped = 0
        flat = None
        if reads and not blank:
            check_cancel(cancel)
            t1 = time.perf_counter()
            ocr_page, flat = self.ocr.ocr_image_flat(image, source=source, index=index, cancel=cancel)
            if flat is not None:  # a curled page: laid out flattened, as it was read
                image = flat
            lines = ocr_page.lines
            flipped = int(ocr_page.metadata.get("rotation", 0))
            timings["ocr"] = round(time.perf_counter() - t1, 4)
        if flipped:  # the OCR found the page still turned (upside down, or on its side): lay it out upright too
            h, w = image.shape[:2]
            image = upright_image(image, flipped)
            move_lines(lines, lambda p: to_upright(np.array(p), flipped, w, h).tolist())
            rotation = (rotation + flipped) % 360
        squared = square_up(image, lines) if lines and opts.ocr.unwarp != "off" else None
        if squared is not None:  # a photo of a page at an angle: laid out squared up by its edges
            image = squared.image
            squared.move(lines)
        level = level_page(image, text_skew(lines, MIN_SKEW, MIN_LINES)) if lines else None
        if level is not None:
            image = level.image
            level.move(lines)
        check_cancel(cancel)
        t2 = time.perf_counter()
        regions = self._regions(image, 1.0)
        timings["layout"] = round(time.perf_counter() - t2, 4)
        h, w = image.shape[:2]
        page_image = image

        def crop(box: tuple[float, float, float, float]) -> np.ndarray:
            return _crop(page_image, box)

        page = self._build_page(regions, lines, w, h, source, index, timings)
        self._run_stages(PageContext(page, crop, stem, image, reads, cancel, timings))
        page.metadata.update({"method": "ocr" if reads else "none", "rotation": rotation, "dpi": opts.dpi})
        if flat is not None:
            page.metadata["unwarped"] = True
        if squared is not None:
            page.metadata["page_corners"] = [[round(v, 1) for v in p] for p in squared.corners]
        if level is not None:
            page.metadata["deskew"] = round(level.degrees, 2)
        page.metadata["timings"]["total"] = round(sum(v for k, v in timings.items() if k != "total"), 4)
        return ParsedPage(page, image, 1.0)

    # -- steps ------------------------------------------------------------------------------------------
    def _regions(self, image: np.ndarray, to_page: float) -> list[Region]:
        if not self.options.layout.enabled:
            return []
        out = []
        for r in self.layout(image):
            box = tuple(v * to_page for v in r.box)
            out.append(Region(KIND_OF_CLASS.get(r.kind, "text"), box, r.score))  # type: ignore[arg-type]
        return out

    def _ocr_empty_regions(self, regions: list[Region], lines: list[Line], reader: _PdfPageReader) -> int:
        """Text, title and table regions drawn by an image and holding no text-layer characters are pictures
        of text: OCR them (their lines are added to `lines`); returns how many boxes were read."""
        images = reader.image_boxes() if reader.rotation() == 0 else []
        boxes = picture_boxes(regions, [bbox_of(x.polygon) for x in lines], images)
        if not boxes:
            return 0
        read, done = read_pictures(self.region_ocr, boxes, reader.region)
        lines.extend(read)
        return done

    def _build_page(
        self,
        regions: list[Region],
        lines: list[Line],
        width: int,
        height: int,
        source: str,
        index: int,
        timings: dict[str, float],
        styled: tuple[set[int], set[int]] = (set(), set()),
    ) -> Page:
        """Blocks in reading order, typed by the layout regions (the stages fill their payloads next). `styled`:
        ids of the text-layer lines set in bold and in italics, whose short leading lines become subheadings."""
        t0 = time.perf_counter()
        laid_out = self.options.layout.enabled
        blocks = split_bold_headings(assemble_page(regions, lines, width, height, laid_out), *styled)
        timings["order"] = round(time.perf_counter() - t0, 4)
        layout = [
            {"class": r.kind, "score": round(r.score, 3), "bbox": [round(v, 1) for v in r.box]}
            for r in regions
        ]
        return Page(
            width=int(width),
            height=int(height),
            index=index,
            source=source,
            blocks=blocks,
            metadata={"timings": timings, "layout": layout},
        )

    def _run_stages(self, ctx: PageContext) -> None:
        for stage in self.stages:
            stage.run(ctx)


def _is_pdf_file(source: Source) -> bool:
    try:
        with open(source.path or "", "rb") as fh:
            return fh.read(4) == PDF_MAGIC
    except OSError:
        return False


def _one_colour(image: np.ndarray) -> bool:
    """Every pixel is the same. A coarse sample is checked first, so that a page with anything on it costs
    next to nothing."""
    if image.size == 0:
        return False
    first = image[0, 0]
    return bool((image[::16, ::16] == first).all() and (image == first).all())


def _crop(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The pixels of `image` inside `box` (x0, y0, x1, y1), clipped at the top-left edge."""
    return image[int(max(0, box[1])) : int(np.ceil(box[3])), int(max(0, box[0])) : int(np.ceil(box[2]))]


class _TurnedCrop:
    """Crops of a turned page in its upright frame (the whole page is rendered once, on first use)."""

    def __init__(self, reader: _PdfPageReader, turn: int) -> None:
        self.reader, self.turn = reader, turn
        self._image: np.ndarray | None = None

    def __call__(self, box: tuple[float, float, float, float]) -> np.ndarray:
        if self._image is None:
            self._image = upright_image(self.reader.full(), self.turn)
        return _crop(self._image, box)


def _turn_line(line: Line, turn: int, width: int, height: int) -> None:
    """A line's polygons on the page as given -> on the page turned upright."""
    line.polygon = to_upright(np.array(line.polygon), turn, width, height).tolist()
    for w in line.words:
        w.polygon = to_upright(np.array(w.polygon), turn, width, height).tolist()


def parse(inputs: Any, **kwargs: Any) -> Document:
    """One-call convenience: `scriba.pipeline.parse.parse("paper.pdf").to_markdown()`."""
    return Parser(ParseOptions(**kwargs))(inputs)


__all__ = [
    "OCR_MODES",
    "TABLE_ENGINES",
    "FormulaOptions",
    "LayoutOptions",
    "ParseOptions",
    "ParsedPage",
    "Parser",
    "SealOptions",
    "TableOptions",
    "Word",
    "parse",
]
