"""The few image operations the ink analysis needs, with scipy.ndimage's exact semantics.

Serving used to import scipy (143 MB installed, ~0.2 s to import) for a handful of ndimage
calls. Connected-component labelling comes from `cc3d` (connected-components-3d, 19 MB, about
twice as fast as ndimage.label here); the rest is a few lines of numpy. Labels are numbered in
raster order of each component's first pixel, as ndimage numbers them, so every decision made on
them is the one ndimage gave (tests/core/test_morphology.py compares both on random images).
"""

import cc3d
import numpy as np

SHIFTED_UP_TO = 8  # windows up to this size take the max of shifted copies (fewer calls)


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
    found = found.view(np.int32)
    # cc3d numbers components in its own scan order (ndimage's when 4-connected); where that
    # differs, renumber by each component's first pixel.
    values = found[mask]
    newest = np.maximum.accumulate(values)
    if (values[1:] <= newest[:-1] + 1).all():
        return found, int(count)
    _, first = np.unique(values, return_index=True)
    renumber = np.zeros(count + 1, dtype=np.int32)
    renumber[1:][np.argsort(first)] = np.arange(1, count + 1, dtype=np.int32)
    return renumber[found], int(count)


def label_runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal runs of one label: (label, first and last flat index) of each, in raster
    order. Per-component work runs on these, far fewer than the pixels."""
    flat = labels.ravel()
    inside = np.flatnonzero(flat)
    values = flat[inside]
    if inside.size == 0:  # nothing labelled (a blank form once its rules are gone)
        return values, inside, inside
    width = labels.shape[1]
    breaks = (np.diff(values) != 0) | (np.diff(inside) != 1) | (inside[1:] % width == 0)
    starts = np.flatnonzero(np.concatenate(([True], breaks)))
    ends = np.append(starts[1:], inside.size) - 1
    return values[starts], inside[starts], inside[ends]


def boxes(labels: np.ndarray, count: int) -> list[tuple[slice, slice]]:
    """(rows, cols) slices around each label 1..count, like ndimage.find_objects (every label
    present)."""
    return [
        (slice(int(t), int(b)), slice(int(lf), int(r))) for t, b, lf, r in box_array(labels, count)
    ]


def box_array(labels: np.ndarray, count: int) -> np.ndarray:
    """The boxes of `boxes` as one array [count, 4]: top, bottom, left, right (stops
    exclusive)."""
    values, firsts, lasts = label_runs(labels)
    which = values.astype(np.int64) - 1
    height, width = labels.shape
    rows, left_of, right_of = firsts // width, firsts % width, lasts % width
    top = np.full(count, height, dtype=np.int64)
    left = np.full(count, width, dtype=np.int64)
    bottom = np.zeros(count, dtype=np.int64)
    right = np.zeros(count, dtype=np.int64)
    np.minimum.at(top, which, rows)
    np.minimum.at(left, which, left_of)
    np.maximum.at(bottom, which, rows + 1)
    np.maximum.at(right, which, right_of + 1)
    return np.stack([top, bottom, left, right], axis=1)


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
    image: np.ndarray, size: int, axis: int, reduce: np.ufunc, shift: int = 0
) -> np.ndarray:
    """np.maximum or np.minimum (`reduce`) over a window of `size` along `axis` (0 or 1) of a
    2-D image, as ndimage's filters give it in their default (reflecting) mode. The window
    starts size // 2 + shift before each pixel (shift -1 is how ndimage places an even-sized
    dilation).

    With the window within one pixel of centred, reflected edges only repeat pixels the window
    already holds, so this is the extreme over the window clipped to the image: edge pixels
    repeated, then shifted copies for small windows, or van Herk / Gil-Werman running extremes
    within blocks of `size` (O(1) a pixel) for wide ones.
    """
    if size == 1:
        return image.copy()
    along = image.T if axis == 0 else image  # the window runs along the rows of `along`
    before = size // 2 + shift
    length = along.shape[1]
    blocks = 1 if size <= SHIFTED_UP_TO else -(-(length + size - 1) // size)
    head = np.repeat(along[:, :1], before, axis=1)
    tail = np.repeat(along[:, -1:], max(blocks * size, length + size - 1) - length - before, 1)
    padded = np.concatenate([head, along, tail], axis=1)
    if size <= SHIFTED_UP_TO:
        window = padded[:, :length].copy()
        for offset in range(1, size):
            reduce(window, padded[:, offset : offset + length], out=window)
    else:
        # Tiles [size, rows, blocks]: the running extremes run along the first axis.
        tiles = padded.reshape(len(padded), blocks, size).transpose(2, 0, 1)
        prefix = reduce.accumulate(tiles, axis=0).transpose(1, 2, 0).reshape(padded.shape)
        suffix = reduce.accumulate(tiles[::-1], axis=0)[::-1].transpose(1, 2, 0)
        suffix = suffix.reshape(padded.shape)
        window = reduce(suffix[:, :length], prefix[:, size - 1 : size - 1 + length])
    return window.T if axis == 0 else window


def max_filter(image: np.ndarray, size: int) -> np.ndarray:
    """ndimage.maximum_filter with a square window of `size` (odd)."""
    return extreme_1d(extreme_1d(image, size, 0, np.maximum), size, 1, np.maximum)


def grey_closing(image: np.ndarray, size: int) -> np.ndarray:
    """ndimage.grey_closing with a square window: a dilation, then an erosion."""
    # ndimage shifts an even dilation window one pixel forward so the erosion undoes it.
    shift = -1 if size % 2 == 0 else 0
    dilated = extreme_1d(extreme_1d(image, size, 0, np.maximum, shift), size, 1, np.maximum, shift)
    return extreme_1d(extreme_1d(dilated, size, 0, np.minimum), size, 1, np.minimum)


def mean_3x3(image: np.ndarray) -> np.ndarray:
    """ndimage.uniform_filter(size=3, mode="nearest"): the 3×3 mean, edges replicated."""
    # Two 1-D passes, each summed in float64 and stored in the image's type, as ndimage does.
    wide = image.astype(np.float64)
    down = np.concatenate([wide[:1], wide, wide[-1:]])
    total = down[:-2] + down[1:-1]
    total += down[2:]
    total /= 3.0
    wide = total.astype(image.dtype).astype(np.float64)
    across = np.concatenate([wide[:, :1], wide, wide[:, -1:]], axis=1)
    total = across[:, :-2] + across[:, 1:-1]
    total += across[:, 2:]
    total /= 3.0
    return total.astype(image.dtype)


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
