"""A low-resolution source blown up blocky (nearest-neighbour upscaling) is re-drawn smooth.

A digit scanned small and enlarged by "nearest" is a grid of flat squares: its staircase
edges and square dots are no handwriting the models learned, and they read it worse than
the same source enlarged smoothly (real writers, `python -m training.optdigits`: 92.5–94.6 %
right enlarged 2–8× by nearest, 97.5–97.9 % by bilinear or bicubic). Such an image says so
itself: every row repeats the one above or below it, and so does every column. Where both
hold, the source pixels are found from where rows and columns change, and the image is
re-sampled from their centres, bilinear, at its own size. Any factor from 2 up (3.5× makes
runs of 3 and 4 alike) and any grid offset.

A JPEG's noise breaks the runs (except where its 8×8 blocks are flat: a nearest ×8
enlargement on its grid), so there the grid is found from the profile of differences instead
(`lossy_changes`): rows (columns) where the image changes stand far above their neighbours,
mostly one source pixel apart and not only on JPEG's own grid, and the page is nearly flat
between them. The source pixels are then the blocks' means, JPEG's noise averaged out.
"""

from collections.abc import Callable

import numpy as np

# Too few changes say nothing of a grid: a bar, a blank page, an empty printed box (2-px sides
# change the rows and the columns 4 times each). A digit's source of 8 px changes the rows at
# least 8 times; a "1" a source pixel or two wide, the columns only 2 or 3.
MIN_CHANGES = 10  # rows and columns together
MIN_AXIS_CHANGES = 2

# A JPEG's grid (tuned on optdigits enlarged by nearest 2–6.5× at quality 30–90 against the
# realistic set's JPEG validation draw, checked on its test draw; docs/reading.md):
# - a change is a row whose mean difference is over twice both neighbours' and over 2 grey
#   levels (an unevenly lit page saved in 8 bits steps by 1 level every few pixels);
# - at least 2 changes lie off JPEG's own 8×8 grid (without this rule, 175 of 550 phone
#   photos at quality 12–40 were taken for enlargements);
# - at least 60 % of the runs between changes, and at least 4, are the typical run;
# - a blockwise-flat copy leaves under a fifth of the page's contrast unexplained (squared
#   paper passes the tests above with a smooth digit on it, and fails this one).
JPEG_BLOCK = 8
PEAK_OVER_NEIGHBOURS = 2.0
PEAK_FLOOR = 2.0  # grey levels
MIN_SINGLE = 0.6
MIN_SINGLE_RUNS = 4
MAX_UNEXPLAINED = 0.2


def changes(gray: np.ndarray, axis: int) -> np.ndarray | None:
    """Where rows (axis 0) or columns (axis 1) differ from the one before; None when one
    stands alone (a run of 1 between changes: no enlargement) or there are too few."""
    moved = np.diff(gray, axis=axis) != 0
    found = np.flatnonzero(moved.any(axis=1 - axis)) + 1
    if len(found) < MIN_AXIS_CHANGES or np.diff(found).min() < 2:
        return None  # the runs at the borders may be cut by the crop: they do not count
    return found


def mostly_single(found: np.ndarray) -> bool:
    """Whether most runs between changes, and at least MIN_SINGLE_RUNS, are one typical run
    long: inside a digit, neighbouring source pixels rarely repeat (2-px rules 20 px apart
    make runs of 2 and 18, half of them long; a box's 3-px sides, two short runs an axis)."""
    runs = np.diff(found)
    single = np.round(runs / float(np.median(runs))) <= 1
    return bool(single.mean() >= MIN_SINGLE and single.sum() >= MIN_SINGLE_RUNS)


def lossy_changes(gray: np.ndarray, axis: int) -> np.ndarray | None:
    """`changes` in a JPEG: the rows (columns) whose mean difference from the one before
    stands well above both neighbours'; None when they do not make a grid."""
    profile = np.abs(np.diff(gray, axis=axis)).mean(axis=1 - axis)
    padded = np.concatenate(([0.0], profile, [0.0]))
    peak = (profile > PEAK_OVER_NEIGHBOURS * np.maximum(padded[:-2], padded[2:])) & (
        profile > PEAK_FLOOR
    )
    found = np.flatnonzero(peak) + 1
    # JPEG's own grid: at low quality its blocks lose their detail and their borders stand
    # out like a nearest ×8 enlargement's, so changes there are no evidence.
    if np.count_nonzero(found % JPEG_BLOCK) < MIN_AXIS_CHANGES:
        return None
    return found if len(found) > MIN_SINGLE_RUNS and mostly_single(found) else None


def pixel_bounds(changed: np.ndarray, length: int) -> np.ndarray:
    """Where the source pixels start along one axis, ending with `length` (float), from the
    positions where the image changes."""
    bounds = np.concatenate(([0], changed, [length]))
    runs = np.diff(bounds)
    # A run of several source pixels of one value (paper around the digit) is split back
    # into pixels of the typical size, so paper stays paper next to the ink.
    size = float(np.median(runs[1:-1]))
    pieces = np.maximum(1, np.round(runs / size)).astype(np.int64)
    first = np.repeat(bounds[:-1], pieces)
    step = np.repeat(runs / pieces, pieces)
    within = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    return np.append(first + within * step, length).astype(np.float64)


def along(values: np.ndarray, bounds: np.ndarray, length: int, axis: int) -> np.ndarray:
    """`values` (one per source pixel along `axis`) linearly interpolated between the source
    pixels' centres at every one of `length` pixel centres."""
    centres = (bounds[:-1] + bounds[1:]) / 2
    where = np.interp(np.arange(length) + 0.5, centres, np.arange(len(centres), dtype=np.float64))
    low = np.floor(where).astype(np.int64)
    high = np.minimum(low + 1, len(centres) - 1)
    shape = [1, 1]
    shape[axis] = length
    weight = (where - low).astype(np.float32).reshape(shape)
    return (
        np.take(values, low, axis=axis) * (1 - weight) + np.take(values, high, axis=axis) * weight
    )


def block_means(gray: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The mean of every source pixel's block (JPEG's noise averaged out)."""
    row_starts, col_starts = rows.astype(np.int64), cols.astype(np.int64)
    sums = np.add.reduceat(np.add.reduceat(gray, row_starts[:-1], axis=0), col_starts[:-1], axis=1)
    return sums / np.outer(np.diff(row_starts), np.diff(col_starts))


def unexplained(gray: np.ndarray, means: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> float:
    """The share of the page's contrast a blockwise-flat copy of it leaves out."""
    flat = np.repeat(
        np.repeat(means, np.diff(rows.astype(np.int64)), axis=0),
        np.diff(cols.astype(np.int64)),
        axis=1,
    )
    # The paper's level: the median of every 4th pixel each way (the full median costs more
    # than the rest of the test).
    contrast = float(np.abs(gray - np.median(gray[::4, ::4])).sum())
    return float(np.abs(gray - flat).sum()) / max(contrast, 1e-6)


def grid(
    gray: np.ndarray, find: Callable[[np.ndarray, int], np.ndarray | None]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Where the source pixels start along the rows and the columns (`pixel_bounds`), from
    the changes `find` sees; None when the page is no enlargement."""
    row_changes = find(gray, 0)
    if row_changes is None:
        return None
    col_changes = find(gray, 1)
    if col_changes is None or len(row_changes) + len(col_changes) < MIN_CHANGES:
        return None
    height, width = gray.shape
    return pixel_bounds(row_changes, height), pixel_bounds(col_changes, width)


def deblocked(gray: np.ndarray, *, lossy: bool = False) -> np.ndarray:
    """`gray` re-sampled smooth when it is a nearest-neighbour enlargement, else as it is;
    `lossy`: the page was a JPEG decoded at full size (whose blocks may still be exactly
    flat: a nearest ×8 enlargement on JPEG's own grid)."""
    bounds = grid(gray, changes)
    if bounds is not None:
        rows, cols = bounds
        source = gray[rows[:-1].astype(np.int64)][:, cols[:-1].astype(np.int64)]
    elif lossy and (bounds := grid(gray, lossy_changes)) is not None:
        rows, cols = bounds
        source = block_means(gray, rows, cols)
        if unexplained(gray, source, rows, cols) > MAX_UNEXPLAINED:
            return gray
    else:
        return gray
    height, width = gray.shape
    smooth = along(along(source, rows, height, 0), cols, width, 1)
    return smooth.astype(np.float32)
