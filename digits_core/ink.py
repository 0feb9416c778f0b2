"""Ink analysis shared by single-digit preprocessing and segmentation.

Grayscale of any size and polarity → an ink map (0..1, 1 = full ink) with the paper removed
(uneven lighting included), its noise floor subtracted, and labelled ink components with specks
and page edges dropped. Everything runs at a working resolution of at most WORK_SIDE pixels.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digits_core import morphology
from digits_core.forms import rule_mask, ruled_page, stroke_width
from digits_core.paper import paper_level, paper_up
from digits_core.tint import tint_mask

WORK_SIDE = 1024  # longer side the analysis runs at; digits end up 20 px anyway
# Ink darker than the paper by less than this share is faint: pencil, a pen running dry, or
# blank paper's residue (grain, lighting), which the ink alone cannot tell apart. It is read
# all the same, and the models' confidence flags it (`digits_core.imaging.locate_digit`).
MIN_CONTRAST = 0.2
MASK_LEVEL = 0.25  # a pixel is ink when it reaches this share of the typical stroke level
NOISE_SIGMAS = 4.0  # ... and stands this many noise deviations above the paper
NOISY = 0.03  # paper grain (σ relative to paper) above which the ink map is smoothed
SPECK_SHARE = 0.02  # components smaller than this share of the largest are specks
EDGE_BAND = 0.25  # a component along an edge, half its length and at most this thick, is no ink
EDGE_CONTACT = 0.5  # ... when it lies on the border for at least this share of its length
HAIRLINE_PEAK = 0.5  # a component whose ink stays below this share of the stroke level, ...
HAIRLINE_LENGTH = 4.0  # ... at least this many times longer than thick ...
HAIRLINE_WIDTH = 0.3  # ... and thinner than this share of the handwriting's strokes is a faint line
EDGE_LEVEL_SHARE = 0.8  # writing this much lighter than the page edges is measured without them
FAINT = 0.02  # ink below this share of the stroke level is paper (lighting residue), not rim


@dataclass(frozen=True)
class Ink:
    """The ink of one image at working resolution."""

    ink: np.ndarray  # float32 0..1 with the noise floor removed (crop with the labels)
    labels: np.ndarray  # int32 kept components 1..n, 0 = paper
    areas: np.ndarray  # int64 pixels per component (index = label - 1)
    boxes: list[tuple[slice, slice]]  # bounding slices per component (index = label - 1)
    scale: float  # working pixels per input pixel (> 1 only when a tiny image was upscaled)
    contrast: float  # typical stroke darkness relative to the paper, 0 when there is no ink
    light: np.ndarray  # the working image with paper bright, before lighting removal

    @property
    def count(self) -> int:
        return len(self.boxes)

    @property
    def faint(self) -> bool:
        """Whether all the ink is faint (under MIN_CONTRAST)."""
        return self.contrast < MIN_CONTRAST


def to_working(gray: np.ndarray, side: int = WORK_SIDE, least: int = 1) -> tuple[np.ndarray, float]:
    """Box-downscale so the longer side is at most `side`, or upscale (bicubic) an image whose
    shorter side is under `least` until it is `least` or the longer one `side`; returns
    (image, scale)."""
    height, width = gray.shape
    longer, shorter = max(height, width), min(height, width)
    if longer > side:
        scale, method = side / longer, Image.Resampling.BOX
    elif shorter < least and longer < side:
        scale, method = min(least / shorter, side / longer), Image.Resampling.BICUBIC
    else:
        return gray, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = Image.fromarray(np.asarray(gray, dtype=np.float32), mode="F")
    return np.clip(np.asarray(image.resize(size, method)), 0.0, 255.0), scale


def noise_stats(ink: np.ndarray) -> tuple[float, float]:
    """(paper offset, noise deviation) of the ink map, from a subsample: paper is the majority,
    or else (an image cut to a bold digit) what lies within MIN_CONTRAST of the paper."""
    step = max(1, int(np.sqrt(ink.size / 10_000)))
    sample = ink[::step, ::step].ravel()
    middle = float(np.median(sample))
    if middle > MIN_CONTRAST:  # the median pixel is ink
        near = sample[sample < MIN_CONTRAST]
        if near.size:
            sample, middle = near, float(np.median(near))
    spread = 1.4826 * float(np.median(np.abs(sample - middle)))
    return middle, spread


def stroke_level(ink: np.ndarray, noise: float) -> float | None:
    """The typical stroke darkness: the 90th percentile of the ink that stands out of the
    noise (from a subsample); None when none does."""
    candidates = ink[ink > max(NOISE_SIGMAS * noise, 0.1)]
    if candidates.size == 0:
        return None
    return float(np.percentile(candidates[:: max(1, candidates.size // 10_000)], 90))


def border_contact(labels: np.ndarray, count: int) -> np.ndarray:
    """Pixels on the left or right border, per component."""
    sides = np.concatenate([labels[:, 0], labels[:, -1]])
    return np.bincount(sides, minlength=count + 1)[1:]


def page_edges(boxes: list[tuple[slice, slice]], labels: np.ndarray) -> np.ndarray:
    """Flags per component: page edges and shadow lines along the border.

    An edge at a side lies on the border for much of its length; a digit that the image's
    crop merely touches (the first or last digit of a number cropped to its ink) meets it at
    a few points. Along the top or bottom, half the width of a number is no digit, so any
    flat piece touching there goes, as a tilted page edge in a photo must.
    """
    height, width = labels.shape
    on_side = border_contact(labels, len(boxes))
    edges = np.zeros(len(boxes), dtype=bool)
    for index, (rows, cols) in enumerate(boxes):
        tall, wide = rows.stop - rows.start, cols.stop - cols.start
        flat_edge = rows.start == 0 or rows.stop == height
        along_side = (
            on_side[index] >= EDGE_CONTACT * tall
            and tall >= 0.5 * height
            and wide <= EDGE_BAND * width
        )
        edges[index] = along_side or (
            flat_edge and wide >= 0.5 * width and tall <= EDGE_BAND * height
        )
    return edges


def drop_artifacts(areas: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Keep-flags per component: no specks, no page `edges`."""
    keep = (areas >= max(2.0, SPECK_SHARE * float(areas.max()))) & ~edges
    if not keep.any():
        keep[int(np.argmax(areas))] = True
    return keep


def faint_lines(
    labels: np.ndarray,
    mask: np.ndarray,
    ink: np.ndarray,
    level: float,
    areas: np.ndarray,
    boxes: list[tuple[slice, slice]],
) -> np.ndarray:
    """Flags per component: the pieces of faint printed lines (ruling, guide lines, dropout
    colours) too broken or too short for the rule finder. Left in, they stretch a line's
    height and shrink its digits. Handwriting reaches the stroke level somewhere and is as thick
    as the other strokes; these pieces do neither."""
    reaches = np.zeros(areas.size + 1, dtype=bool)  # some pixel at half the stroke level
    reaches[labels[mask & (ink >= HAIRLINE_PEAK * level)]] = True
    # Length along the longer side of each component's box; thickness = area / length.
    length = np.array([max(r.stop - r.start, c.stop - c.start) for r, c in boxes], np.float64)
    thickness = areas / length
    flagged = ~reaches[1:] & (length >= HAIRLINE_LENGTH * thickness)
    if not flagged.any():
        return flagged
    strokes = stroke_width(mask, np.isin(labels, np.flatnonzero(flagged) + 1))
    return flagged & (thickness <= max(1.0, HAIRLINE_WIDTH * strokes))


def analyse(gray: np.ndarray, side: int = WORK_SIDE, least: int = 1) -> Ink:
    """Grayscale 0..255 (any polarity, any size) → the ink, its components and contrast.

    `side` caps the working resolution's longer side; a shorter side under `least` is
    upscaled to it.
    """
    work, scale = to_working(np.asarray(gray, dtype=np.float32), side, least)
    light = paper_up(work)
    found = ink_on(light, paper_level(light), scale)
    if found.count and found.faint:
        # Faint ink may be the band the closing leaves along a darker edge (blank paper in
        # uneven light read as digits): look again with the page continued past its edges.
        found = ink_on(light, paper_level(light, continued=True), scale)
    return found


def ink_on(
    light: np.ndarray, paper: np.ndarray | float, scale: float, outside: np.ndarray | None = None
) -> Ink:
    """`analyse` from the working image (paper bright) and its paper brightness on, with no
    ink `outside` the page (its edges and the desk, once found)."""
    ink = (paper - light) / np.maximum(paper, 32.0)
    offset, noise = noise_stats(ink)
    ink = ink - offset
    if noise > NOISY:
        # Grainy paper: a 3×3 mean cuts the grain threefold, so faint strokes stay above it.
        ink = morphology.mean_3x3(ink)
        noise /= 3.0
    tint = tint_mask(ink, max(NOISE_SIGMAS * noise, 0.1), noise)
    if tint is not None:  # a form's shaded background is paper, not faint ink
        ink = np.where(tint, 0.0, ink)
    if outside is not None:
        ink = np.where(outside, 0.0, ink)
    level = stroke_level(ink, noise)
    if level is None:
        empty = np.zeros(light.shape, dtype=np.int32)
        return Ink(np.zeros_like(light), empty, np.zeros(0, np.int64), [], scale, 0.0, light)
    mask = ink >= max(MASK_LEVEL * level, NOISE_SIGMAS * noise)
    rules = rule_mask(mask)
    half_mask = ink >= max(0.5 * MASK_LEVEL * level, NOISE_SIGMAS * noise)
    if rules.any() or ruled_page(half_mask):
        # Printed rules are there: look again at half the mask level, where a faint rule that
        # dips under the ink level is whole rather than in pieces too short to be found.
        rules |= rule_mask(half_mask) & mask
        # The rules' faint anti-aliased rims go with them, but not the ink of crossing strokes.
        ink = np.where(morphology.dilate(rules) & ~(mask & ~rules), 0.0, ink)
        mask &= ~rules
        # Printed lines darker than the handwriting set the level too high for it: a pencil
        # number on black rules fell under the mask level and vanished with them.
        written = stroke_level(ink, noise)
        if written is not None and written < level:
            level = written
            mask = (ink >= max(MASK_LEVEL * level, NOISE_SIGMAS * noise)) & ~rules
    labels, count = morphology.label(mask, eight=True)
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:].astype(np.int64)
    boxes = morphology.boxes(labels, count)
    if count:
        edges = page_edges(boxes, labels)
        if outside is None and edges.any():
            # A page's edge or the desk beside it, darker than the writing, set the level too
            # high for it: faint numbers in phone photos fell under the mask. Measured again
            # without them, then analysed so.
            beyond = np.isin(labels, np.flatnonzero(edges) + 1)
            written = stroke_level(np.where(beyond, 0.0, ink), noise)
            if written is not None and written < EDGE_LEVEL_SHARE * level:
                return ink_on(light, paper, scale, morphology.dilate(beyond, 2))
        keep = drop_artifacts(areas, edges) & ~faint_lines(labels, mask, ink, level, areas, boxes)
        if not keep.any():
            keep[int(np.argmax(areas))] = True
        if not keep.all():
            # Relabelling in order keeps each kept component's area and box.
            relabel = np.zeros(count + 1, dtype=np.int32)
            relabel[1:][keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
            labels = relabel[labels]
            areas = areas[keep]
            boxes = [box for box, kept in zip(boxes, keep, strict=True) if kept]
    floor = max(min(2.0 * noise, 0.5 * level), FAINT * level)
    stretched = np.clip((ink - floor) / (level - floor), 0.0, 1.0).astype(np.float32)
    return Ink(stretched, labels, areas, boxes, scale, level, light)
