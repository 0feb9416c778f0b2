"""A low-resolution source blown up blocky (nearest-neighbour upscaling) is re-drawn smooth.

A digit scanned small and enlarged by "nearest" is a grid of flat squares: its staircase
edges and square dots are no handwriting the models learned, and they read it worse than
the same source enlarged smoothly (real writers, `python -m training.optdigits`: 92.5–94.6 %
right enlarged 2–8× by nearest, 97.5–97.9 % by bilinear or bicubic). Such an image says so
itself: every row repeats the one above or below it, and so does every column. Where both
hold, the source pixels are found from where rows and columns change, and the image is
re-sampled from their centres, bilinear, at its own size. Any factor from 2 up (3.5× makes
runs of 3 and 4 alike) and any grid offset; a lossless file only. JPEG's noise breaks the
runs, and a blocky JPEG is read as it comes (nearest ×4 at quality 60: 93.3 % right, against
97.4 % enlarged bilinear): telling its squares apart from JPEG's own 8×8 blocks is not done.
"""

import numpy as np

# Too few changes say nothing of a grid: a bar, a blank page, an empty printed box (2-px sides
# change the rows and the columns 4 times each). A digit's source of 8 px changes the rows at
# least 8 times; a "1" a source pixel or two wide, the columns only 2 or 3.
MIN_CHANGES = 10  # rows and columns together
MIN_AXIS_CHANGES = 2


def changes(gray: np.ndarray, axis: int) -> np.ndarray | None:
    """Where rows (axis 0) or columns (axis 1) differ from the one before; None when one
    stands alone (a run of 1 between changes: no enlargement) or there are too few."""
    moved = np.diff(gray, axis=axis) != 0
    found = np.flatnonzero(moved.any(axis=1 - axis)) + 1
    if len(found) < MIN_AXIS_CHANGES or np.diff(found).min() < 2:
        return None  # the runs at the borders may be cut by the crop: they do not count
    return found


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


def deblocked(gray: np.ndarray) -> np.ndarray:
    """`gray` re-sampled smooth when it is a nearest-neighbour enlargement, else as it is."""
    height, width = gray.shape
    row_changes = changes(gray, 0)
    if row_changes is None:
        return gray
    col_changes = changes(gray, 1)
    if col_changes is None or len(row_changes) + len(col_changes) < MIN_CHANGES:
        return gray
    rows, cols = pixel_bounds(row_changes, height), pixel_bounds(col_changes, width)
    source = gray[rows[:-1].astype(np.int64)][:, cols[:-1].astype(np.int64)]
    smooth = along(along(source, rows, height, 0), cols, width, 1)
    return smooth.astype(np.float32)
