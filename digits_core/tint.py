"""Printed tints: a form's shaded background around white entry boxes, taken for paper.

Many forms print their fields as white boxes on a tinted (grey, pink, green) page. The paper
estimate (`digits_core.paper.paper_level`) follows the brightest paper within a wide window, so
near the white boxes the tint reads as faint ink: a glow around the boxes and grey bars between
them, which the reader takes for "1"s (validation numbers in white boxes on tinted forms: 55 %
read, 90 % with this; 2585 read "261815").

A tint is told from writing by two things. It is pale and flat: well below the strokes' level,
lighter than any printed shade is dark, and even over every 5×5 window, where a stroke's rim is
a ramp. And it lies behind the writing:
its box holds most of the strokes, as the shade around and between white boxes holds the digits
written in them; a faint stroke beside a dark printed box holds none. The faint ink connected to
a tint, up to the tint's own level, is paper; strokes crossing it are darker and stay. Pages
without a flat faint area (nearly all) are left as they are.
"""

import numpy as np

from digits_core import morphology

FAINT_SHARE = 0.75  # ink below this share of the strokes' level may be a tint ...
PALEST_SHADE = 0.55  # ... and below this level: a printed shade is pale (darker is writing) ...
FLAT_SPREAD = 0.15  # ... where every FLAT_WINDOW-wide window stays within this share of its
FLAT_WINDOW = 5  # level (a blurred stroke's rim falls further over 5 px; a shade does not) ...
LEAST_SHARE = 0.02  # ... over at least this share of the page ...
HOLDS_SHARE = 0.5  # ... and its box holds this share of the strokes
TOP_PERCENTILE = 99  # the strokes' level: the darkest ink but a few pixels
TINT_PERCENTILE = 95  # the tint's own level: its flat ink's but a few pixels
SAMPLE_PIXELS = 5_000  # whether a page may have a tint is measured on about this many pixels


def flat_faint(ink: np.ndarray, floor: float, top: float, noise: float) -> np.ndarray:
    """Ink above `floor`, below FAINT_SHARE of `top` and below PALEST_SHADE, whose
    FLAT_WINDOW-wide window is even."""
    faint = (ink > floor) & (ink < min(FAINT_SHARE * top, PALEST_SHADE))
    spread = morphology.max_filter(ink, FLAT_WINDOW) + morphology.max_filter(-ink, FLAT_WINDOW)
    return faint & (spread <= np.maximum(FLAT_SPREAD * ink, 3.0 * noise))


def even_faint_count(sample: np.ndarray, floor: float, top: float, noise: float) -> int:
    """How much of `sample` is faint ink that differs little from its right and lower
    neighbours (a stroke's rim, crossed by any step, does not): `flat_faint`, cheaply."""
    faint = (sample > floor) & (sample < min(FAINT_SHARE * top, PALEST_SHADE))
    faint[-1, :] = False
    faint[:, -1] = False
    at = np.flatnonzero(faint)
    flat = sample.ravel()
    here = flat[at]
    tolerance = np.maximum(FLAT_SPREAD * here, 3.0 * noise)
    right = np.abs(flat[at + 1] - here) <= tolerance
    below = np.abs(flat[at + sample.shape[1]] - here) <= tolerance
    return int(np.count_nonzero(right & below))


def tint_mask(ink: np.ndarray, floor: float, noise: float) -> np.ndarray | None:
    """Pixels of a printed tint (to take for paper) in an ink map whose values above `floor`
    may be ink, `noise` its noise deviation; None when the page has no tint."""
    # First on a subsample, so the common case (no tint) costs little on a large page.
    step = max(1, int(np.sqrt(ink.size / SAMPLE_PIXELS)))
    sample = np.ascontiguousarray(ink[::step, ::step], dtype=np.float32)
    values = sample[sample > floor]
    if values.size < LEAST_SHARE * sample.size:
        return None
    top = float(np.percentile(values, TOP_PERCENTILE))
    if even_faint_count(sample, floor, top, noise) < LEAST_SHARE * sample.size:
        return None
    flat = flat_faint(ink, floor, top, noise)
    strong = ink >= FAINT_SHARE * top
    labels, count = morphology.label((ink > floor) & ~strong, eight=True)
    tinted = np.zeros(count + 1, dtype=bool)
    tinted[labels[flat]] = True
    tinted[0] = False
    tinted &= behind_writing(labels, count, strong)
    zone = tinted[labels]
    if np.count_nonzero(zone & flat) < LEAST_SHARE * ink.size:
        return None
    level = float(np.percentile(ink[zone & flat], TINT_PERCENTILE)) + 3.0 * noise
    return zone & (ink <= level)


def behind_writing(labels: np.ndarray, count: int, strong: np.ndarray) -> np.ndarray:
    """Flags per label 0..count: the label's box holds HOLDS_SHARE of the strong ink."""
    behind = np.zeros(count + 1, dtype=bool)
    least = HOLDS_SHARE * np.count_nonzero(strong)
    # Strong ink above and left of each pixel, so any box's count is four lookups.
    table = np.zeros((strong.shape[0] + 1, strong.shape[1] + 1), dtype=np.int64)
    table[1:, 1:] = strong.cumsum(axis=0).cumsum(axis=1)
    boxes = morphology.box_array(labels, count)
    top, bottom, left, right = boxes.T
    inside = table[bottom, right] - table[top, right] - table[bottom, left] + table[top, left]
    behind[1:] = inside >= least
    return behind
