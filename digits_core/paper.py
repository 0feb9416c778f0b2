"""The paper of a page: which end of its range is paper (`paper_up`), and its brightness
under uneven light (`paper_level`), for the ink analysis (`digits_core.ink`)."""

import numpy as np
from PIL import Image

from digits_core import morphology

GRID_SIDE = 32  # the paper/lighting estimate runs on a grid with about this short side
BACKGROUND_WINDOW = 0.4  # closing window as a share of the longer side: wider than any stroke
TAIL_SHARE = 0.25  # ink is the fewer pixels in this share of the range at its end ...
CORE_SHARE = 0.1  # ... and light ink also the fewer in this share (a tint may fill the quarter)
RIM_PAPER = 0.6  # ... unless this share of the image's rim is at the bright end,
RIM_MARGIN = 4.0  # ... this many times the share at the dark end: then the bright is paper


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


def paper_level(light: np.ndarray, *, continued: bool = False) -> np.ndarray | float:
    """Local paper brightness: a morphological closing wider than any stroke, on a coarse grid.

    Returns a scalar when the lighting is even (the common case, and cheaper). `continued`:
    the closing of the page continued past its edges, exact up to a darker edge; without it,
    the closing lifts the paper in a band along such an edge (a band of faint "ink" where
    the light falls off), but takes a form's tinted border for ink like the tint between
    its boxes, which the tint finder must see whole (`digits_core.tint`).
    """
    short, long = sorted(light.shape)
    block = max(1, -(-short // GRID_SIDE))
    grid = block_mean(light, block)
    # Wider than any stroke: strokes scale with the digits, which span the short side of a
    # strip of digits and a good part of the long side of a single one.
    reach = BACKGROUND_WINDOW * max(short, long / 2)
    window = max(3, round(reach / block))
    if continued:
        padded = np.pad(grid, window, mode="edge")
        closed = morphology.grey_closing(padded, window)[window:-window, window:-window]
    else:
        closed = morphology.grey_closing(grid, window)
    if float(closed.max() - closed.min()) < 0.02 * max(float(closed.max()), 1.0):
        return float(np.median(closed))
    smooth = morphology.mean_3x3(closed)
    height, width = light.shape
    image = Image.fromarray(smooth.astype(np.float32), mode="F")
    full = image.resize((grid.shape[1] * block, grid.shape[0] * block), Image.Resampling.BILINEAR)
    return np.asarray(full)[:height, :width]
