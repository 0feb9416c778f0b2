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
from digits_core.tint import tint_mask

WORK_SIDE = 1024  # longer side the analysis runs at; digits end up 20 px anyway
GRID_SIDE = 32  # the paper/lighting estimate runs on a grid with about this short side
BACKGROUND_WINDOW = 0.4  # closing window as a share of the longer side: wider than any stroke
MIN_CONTRAST = 0.2  # ink darker than paper by less than this share is no ink (blank paper)
MASK_LEVEL = 0.25  # a pixel is ink when it reaches this share of the typical stroke level
NOISE_SIGMAS = 4.0  # ... and stands this many noise deviations above the paper
NOISY = 0.03  # paper grain (σ relative to paper) above which the ink map is smoothed
SPECK_SHARE = 0.02  # components smaller than this share of the largest are specks
EDGE_BAND = 0.25  # a component along an edge, half its length and at most this thick, is no ink
EDGE_CONTACT = 0.5  # ... when it lies on the border for at least this share of its length
HAIRLINE_PEAK = 0.5  # a component whose ink stays below this share of the stroke level, ...
HAIRLINE_LENGTH = 4.0  # ... at least this many times longer than thick ...
HAIRLINE_WIDTH = 0.3  # ... and thinner than this share of the handwriting's strokes is a faint line
TAIL_SHARE = 0.25  # ink is the fewer pixels in this share of the range at its end ...
CORE_SHARE = 0.1  # ... and light ink also the fewer in this share (a tint may fill the quarter)
RIM_PAPER = 0.6  # ... unless this share of the image's rim is at the bright end,
RIM_MARGIN = 4.0  # ... this many times the share at the dark end: then the bright is paper
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


def paper_up(gray: np.ndarray) -> np.ndarray:
    """Flip polarity if needed so that paper is bright and ink is dark.

    Ink is the minority at its end of the image's range: of the pixels in the darkest and in
    the brightest TAIL_SHARE of the range, ink fills the fewer (after a 2×2 mean, so single
    noisy pixels do not stretch the range). Paper's median is no guide: when a shadow covers
    half a photographed page, the median is shadowed paper, and the lit paper lies further
    from it than the ink does. A form printed in a dark tint around white entry boxes fills
    the darkest quarter with tint, not ink; the ink alone lies in the darkest CORE_SHARE, so
    ink is light only when that share holds the majority too (a dark tint read as paper
    turned the boxes into ink and their digits into holes: 2 of 100 tinted boxes and 2 of 100
    tinted numbers in a validation draw).
    """
    step = max(1, int(np.sqrt(gray.size / 40_000)))
    sample = gray[::step, ::step]
    height, width = sample.shape
    even = sample[: height - height % 2 or height, : width - width % 2 or width]
    if even.shape[0] >= 2 and even.shape[1] >= 2:
        even = even.reshape(even.shape[0] // 2, 2, even.shape[1] // 2, 2).mean(axis=(1, 3))
    low, high = float(even.min()), float(even.max())
    tail = TAIL_SHARE * (high - low)
    core = CORE_SHARE * (high - low)
    dark_ink = fewer_dark(even, low, high, tail) or fewer_dark(even, low, high, core)
    if not dark_ink:
        # An image cut to a bold dark digit can hold more ink than paper, but its rim is still
        # mostly paper: the ink meets it at a few points. (No converse: a dark rim may be a
        # printed box cut at its lines, or MNIST's black paper.)
        rim = np.concatenate([even[0], even[-1], even[:, 0], even[:, -1]])
        bright, dark = np.mean(rim >= high - tail), np.mean(rim <= low + tail)
        dark_ink = bool(bright >= RIM_PAPER and bright >= RIM_MARGIN * dark)
    return gray if dark_ink else 255.0 - gray


def fewer_dark(image: np.ndarray, low: float, high: float, tail: float) -> bool:
    """Whether the pixels within `tail` of the darkest level `low` are no more than those
    within `tail` of the brightest `high`."""
    return np.count_nonzero(image <= low + tail) <= np.count_nonzero(image >= high - tail)


def block_mean(image: np.ndarray, block: int) -> np.ndarray:
    """Mean over `block`×`block` tiles (edge tiles padded by replication); 3×3 mean if block 1.

    Averaging first keeps paper grain from biasing the closing that follows upwards.
    """
    if block == 1:
        return morphology.mean_3x3(image)
    height, width = image.shape
    pad_h, pad_w = -height % block, -width % block
    padded = np.pad(image, ((0, pad_h), (0, pad_w)), mode="edge")
    tiles = padded.reshape(padded.shape[0] // block, block, padded.shape[1] // block, block)
    return tiles.mean(axis=(1, 3))


def paper_level(light: np.ndarray) -> np.ndarray | float:
    """Local paper brightness: a morphological closing wider than any stroke, on a coarse grid.

    Returns a scalar when the lighting is even (the common case, and cheaper).
    """
    short, long = sorted(light.shape)
    block = max(1, -(-short // GRID_SIDE))
    grid = block_mean(light, block)
    # Wider than any stroke: strokes scale with the digits, which span the short side of a
    # strip of digits and a good part of the long side of a single one.
    reach = BACKGROUND_WINDOW * max(short, long / 2)
    window = max(3, round(reach / block))
    closed = morphology.grey_closing(grid, window)
    if float(closed.max() - closed.min()) < 0.02 * max(float(closed.max()), 1.0):
        return float(np.median(closed))
    smooth = morphology.mean_3x3(closed)
    height, width = light.shape
    image = Image.fromarray(smooth.astype(np.float32), mode="F")
    full = image.resize((grid.shape[1] * block, grid.shape[0] * block), Image.Resampling.BILINEAR)
    return np.asarray(full)[:height, :width]


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


def border_contact(labels: np.ndarray, count: int) -> np.ndarray:
    """Pixels on the left or right border, per component."""
    sides = np.concatenate([labels[:, 0], labels[:, -1]])
    return np.bincount(sides, minlength=count + 1)[1:]


def drop_artifacts(
    areas: np.ndarray, boxes: list[tuple[slice, slice]], labels: np.ndarray
) -> np.ndarray:
    """Keep-flags per component: no specks, no page edges or shadow lines along the border.

    An edge at a side lies on the border for much of its length; a digit that the image's
    crop merely touches (the first or last digit of a number cropped to its ink) meets it at
    a few points. Along the top or bottom, half the width of a number is no digit, so any
    flat piece touching there goes, as a tilted page edge in a photo must.
    """
    keep = areas >= max(2.0, SPECK_SHARE * float(areas.max()))
    height, width = labels.shape
    on_side = border_contact(labels, len(boxes))
    for index, (rows, cols) in enumerate(boxes):
        tall, wide = rows.stop - rows.start, cols.stop - cols.start
        flat_edge = rows.start == 0 or rows.stop == height
        along_side = (
            on_side[index] >= EDGE_CONTACT * tall
            and tall >= 0.5 * height
            and wide <= EDGE_BAND * width
        )
        along_flat = flat_edge and wide >= 0.5 * width and tall <= EDGE_BAND * height
        if along_side or along_flat:
            keep[index] = False
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
    paper = paper_level(light)
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
    candidates = ink[ink > max(NOISE_SIGMAS * noise, 0.1)]
    empty = np.zeros(work.shape, dtype=np.int32)
    if candidates.size == 0:
        return Ink(np.zeros_like(work), empty, np.zeros(0, np.int64), [], scale, 0.0, light)
    level = float(np.percentile(candidates[:: max(1, candidates.size // 10_000)], 90))
    if level < MIN_CONTRAST:
        return Ink(np.zeros_like(work), empty, np.zeros(0, np.int64), [], scale, level, light)
    mask = ink >= max(MASK_LEVEL * level, NOISE_SIGMAS * noise)
    rules = rule_mask(mask)
    faint = ink >= max(0.5 * MASK_LEVEL * level, NOISE_SIGMAS * noise)
    if rules.any() or ruled_page(faint):
        # Printed rules are there: look again at half the mask level, where a faint rule that
        # dips under the ink level is whole rather than in pieces too short to be found.
        rules |= rule_mask(faint) & mask
        # The rules' faint anti-aliased rims go with them, but not the ink of crossing strokes.
        ink = np.where(morphology.dilate(rules) & ~(mask & ~rules), 0.0, ink)
        mask &= ~rules
    labels, count = morphology.label(mask, eight=True)
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:].astype(np.int64)
    boxes = morphology.boxes(labels, count)
    if count:
        keep = drop_artifacts(areas, boxes, labels) & ~faint_lines(
            labels, mask, ink, level, areas, boxes
        )
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
