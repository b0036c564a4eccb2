"""Pictures of text on text-layer pages: layout regions that should hold text, drawn by an image and holding no
text-layer characters, are read by OCR.

A region is read as the detector reads a whole page: at the page's own resolution, on some background around
it (text touching a crop's edge is found less reliably). PP-OCRv6's own setting (shortest side at least 736)
would enlarge a one-line strip six-fold, to twice the pixels of a full page. The 0/180 line classifier is off:
only upright pages come here, and on a few lines of capitals its page-level vote turned whole pictures upside
down. Both measured on 61 generated pages with pictures of known text (paragraphs, lines, scanned UW-III lines,
PubTabNet tables): no worse, at about half the OCR time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from scriba.document import Line, bbox_of
from scriba.pipeline.layout_order import Region
from scriba.pipeline.ocr import OCROptions
from scriba.pipeline.reading_order import Box, box_area, box_overlap, box_union

# Regions that should hold text: when the text layer has none there, the text is a picture and is OCRed.
TEXT_KINDS = {"text", "title", "table", "reference", "figure_caption", "table_caption"}
# Longest side (pixels) over which a region is shrunk for detection: pages never come near it.
DETECT_LIMIT = 4000
MARGIN = 32  # pixels of the crop's background added around it


def region_options(page: OCROptions) -> OCROptions:
    """The OCR settings for regions, from those for whole pages."""
    return replace(page, use_classifier=False, det_limit_type="max", det_limit_side_len=DETECT_LIMIT)


def picture_boxes(regions: list[Region], line_boxes: list[Box], image_boxes: list[Box]) -> list[Box]:
    """Boxes of the text regions drawn by an image (at least half their area) with no text-layer line centred in
    them. Regions that mostly overlap (the layout model often finds one block both as text and as a reference)
    are read once, as one box around both: read apart, their lines came out twice."""
    boxes: list[Box] = []
    for r in regions:
        if r.kind not in TEXT_KINDS or (r.box[2] - r.box[0]) < 20 or (r.box[3] - r.box[1]) < 12:
            continue
        if any(_centre_in(b, r.box) for b in line_boxes):
            continue
        if sum(box_overlap(r.box, b) for b in image_boxes) < 0.5 * r.area:
            continue
        for k, b in enumerate(boxes):
            if box_overlap(r.box, b) >= 0.5 * min(box_area(r.box), box_area(b)):
                boxes[k] = box_union(b, r.box)
                break
        else:
            boxes.append(r.box)
    return boxes


def read_pictures(ocr: Any, boxes: list[Box], crop: Callable[[Box], np.ndarray]) -> tuple[list[Line], int]:
    """OCR each box (`crop` gives its pixels); the lines in page coordinates, and how many boxes were read. A line
    centred in a box read before is left out (it was read there)."""
    lines: list[Line] = []
    done: list[Box] = []
    for box in boxes:
        pixels = crop(box)
        if pixels.size == 0:
            continue
        for line in ocr.ocr_image(_with_margin(pixels, MARGIN)).lines:
            _shift_line(line, box[0] - MARGIN, box[1] - MARGIN)
            if not any(_centre_in(bbox_of(line.polygon), b) for b in done):
                lines.append(line)
        done.append(box)
    return lines, len(done)


def _with_margin(image: np.ndarray, margin: int) -> np.ndarray:
    """`image` on a canvas `margin` pixels larger on every side, filled with the median colour of its edge."""
    edge = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    h, w = image.shape[:2]
    out = np.empty((h + 2 * margin, w + 2 * margin, *image.shape[2:]), dtype=image.dtype)
    out[...] = np.median(edge, axis=0).astype(image.dtype)
    out[margin : margin + h, margin : margin + w] = image
    return out


def _centre_in(b: Box, box: Box) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _shift_line(line: Line, dx: float, dy: float) -> None:
    line.polygon = [[x + dx, y + dy] for x, y in line.polygon]
    for w in line.words:
        w.polygon = [[x + dx, y + dy] for x, y in w.polygon]
