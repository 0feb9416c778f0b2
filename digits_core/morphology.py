"""The few image operations the ink analysis needs, with scipy.ndimage's exact semantics.

Serving used to import scipy (143 MB installed, ~0.2 s to import) for a handful of ndimage
calls. Connected-component labelling comes from `cc3d` (connected-components-3d, 19 MB, about
twice as fast as ndimage.label here); the rest is a few lines of numpy. Labels are numbered in
raster order of each component's first pixel, as ndimage numbers them, so every decision made on
them is the one ndimage gave (tests/core/test_morphology.py compares both on random images).
"""

from collections.abc import Callable

import cc3d
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Reduce = Callable[..., np.ndarray]


def label(mask: np.ndarray, eight: bool = False) -> tuple[np.ndarray, int]:
    """Connected components of a 2-D mask: (labels int32, 0 on background, count).

    4-connected like ndimage.label's default, 8-connected (a 3×3 structure) when `eight`.
    """
    mask = np.ascontiguousarray(mask, dtype=bool)
    if not mask.any():
        return np.zeros(mask.shape, dtype=np.int32), 0
    # As uint8: cc3d 4.1.1 labels some background pixels of a bool image 8-connected (seen
    # in 91 of 2,000 random masks; none as uint8).
    found, count = cc3d.connected_components(
        mask.view(np.uint8), connectivity=8 if eight else 4, return_N=True, out_dtype=np.uint32
    )
    values = found.ravel()[np.flatnonzero(mask)]
    # cc3d numbers components in its own scan order; renumber by each one's first pixel.
    first = np.full(count + 1, values.size, dtype=np.int64)
    np.minimum.at(first, values, np.arange(values.size))
    renumber = np.zeros(count + 1, dtype=np.int32)
    renumber[1:][np.argsort(first[1:], kind="stable")] = np.arange(1, count + 1, dtype=np.int32)
    return renumber[found], int(count)


def boxes(labels: np.ndarray, count: int) -> list[tuple[slice, slice]]:
    """(rows, cols) slices around each label 1..count, like ndimage.find_objects (every label
    present)."""
    ys, xs = np.nonzero(labels)
    which = labels[ys, xs].astype(np.int64) - 1
    top = np.full(count, labels.shape[0], dtype=np.int64)
    left = np.full(count, labels.shape[1], dtype=np.int64)
    bottom = np.zeros(count, dtype=np.int64)
    right = np.zeros(count, dtype=np.int64)
    np.minimum.at(top, which, ys)
    np.minimum.at(left, which, xs)
    np.maximum.at(bottom, which, ys + 1)
    np.maximum.at(right, which, xs + 1)
    return [
        (slice(int(t), int(b)), slice(int(lf), int(r)))
        for t, lf, b, r in zip(top, left, bottom, right, strict=True)
    ]


def median_by_label(values: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """The median of `values` over each label 1..count (mean of the two middle ones when even),
    like ndimage.median with index 1..count."""
    inside = labels > 0
    which = labels[inside]
    order = np.lexsort((values[inside], which))
    ranked = values[inside][order].astype(np.float64)
    sizes = np.bincount(which, minlength=count + 1)[1:]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return (ranked[starts + (sizes - 1) // 2] + ranked[starts + sizes // 2]) / 2.0


def extreme_1d(
    image: np.ndarray, size: int, axis: int, reduce: Reduce, shift: int = 0
) -> np.ndarray:
    """Max or min (`reduce`) over a window of `size` along `axis`, edges reflected as in
    ndimage's default mode. The window starts size // 2 + shift before each pixel (shift -1 is
    how ndimage places an even-sized dilation)."""
    before = size // 2 + shift
    after = size - 1 - before
    widths = [(0, 0)] * image.ndim
    widths[axis] = (before, after)
    padded = np.pad(image, widths, mode="symmetric")
    return reduce(sliding_window_view(padded, size, axis=axis), axis=-1)


def max_filter(image: np.ndarray, size: int) -> np.ndarray:
    """ndimage.maximum_filter with a square window of `size` (odd)."""
    return extreme_1d(extreme_1d(image, size, 0, np.max), size, 1, np.max)


def grey_closing(image: np.ndarray, size: int) -> np.ndarray:
    """ndimage.grey_closing with a square window: a dilation, then an erosion."""
    # ndimage shifts an even dilation window one pixel forward so the erosion undoes it.
    shift = -1 if size % 2 == 0 else 0
    dilated = extreme_1d(extreme_1d(image, size, 0, np.max, shift), size, 1, np.max, shift)
    return extreme_1d(extreme_1d(dilated, size, 0, np.min), size, 1, np.min)


def mean_3x3(image: np.ndarray) -> np.ndarray:
    """ndimage.uniform_filter(size=3, mode="nearest"): the 3×3 mean, edges replicated."""
    # Two 1-D passes, each summed in float64 and stored in the image's type, as ndimage does.
    down = np.pad(image.astype(np.float64), ((1, 1), (0, 0)), mode="edge")
    rows = ((down[:-2] + down[1:-1] + down[2:]) / 3.0).astype(image.dtype)
    across = np.pad(rows.astype(np.float64), ((0, 0), (1, 1)), mode="edge")
    return ((across[:, :-2] + across[:, 1:-1] + across[:, 2:]) / 3.0).astype(image.dtype)


def dilate(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """ndimage.binary_dilation with its default cross, `iterations` times; outside is empty."""
    grown = mask.astype(bool)
    for _ in range(iterations):
        step = grown.copy()
        step[1:] |= grown[:-1]
        step[:-1] |= grown[1:]
        step[:, 1:] |= grown[:, :-1]
        step[:, :-1] |= grown[:, 1:]
        grown = step
    return grown


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """ndimage.binary_fill_holes: the mask and every background area the border cannot reach
    (4-connected)."""
    background, _ = label(~mask)
    edge = np.concatenate((background[0], background[-1], background[:, 0], background[:, -1]))
    outside = np.zeros(int(background.max()) + 1, dtype=bool)
    outside[edge] = True
    outside[0] = False  # label 0 is the mask itself
    return ~outside[background]
