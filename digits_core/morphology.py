"""The few image operations the ink analysis needs, with scipy.ndimage's exact semantics.

Serving used to import scipy (143 MB installed, ~0.2 s to import) for a handful of ndimage
calls, then cc3d (connected-components-3d, 19 MB) for the labelling alone. Everything here is
numpy: labels come from horizontal runs joined by a vectorised union-find, as fast as cc3d on
a request's images and faster on large backgrounds (`python -m bench.candidates`). Labels are
numbered in raster order of each component's first pixel, as ndimage numbers them, so every
decision made on them is the one ndimage gave (tests/core/test_morphology.py compares both on
random images).
"""

import numpy as np

SHIFTED_UP_TO = 8  # windows up to this size take the max of shifted copies (fewer calls)


def label(mask: np.ndarray, eight: bool = False) -> tuple[np.ndarray, int]:
    """Connected components of a 2-D mask: (labels int32, 0 on background, count).

    4-connected like ndimage.label's default, 8-connected (a 3×3 structure) when `eight`.
    """
    mask = np.asarray(mask, dtype=bool)
    height, width = mask.shape
    # Each row gets a column of paper after it, so every run starts and stops in its own row;
    # a run is [start, stop) in flat indices of that padded image.
    span = width + 1
    padded = np.zeros((height, span), dtype=bool)
    padded[:, :width] = mask
    flat = padded.ravel()
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    if flat[0]:
        edges = np.concatenate(([0], edges))
    if edges.size == 0:
        return np.zeros(mask.shape, dtype=np.int32), 0
    starts, stops = edges[0::2], edges[1::2]
    parent = join_runs(starts, stops, span, reach=1 if eight else 0)
    # A component's root is its first run, so numbering roots in order numbers components by
    # their first pixel in raster order.
    is_root = parent == np.arange(parent.size)
    number = np.cumsum(is_root, dtype=np.int32)
    # The padded image as alternating stretches of paper (0) and labelled runs, in one repeat.
    values = np.zeros(2 * starts.size + 1, dtype=np.int32)
    values[1::2] = number[parent]
    lengths = np.empty(values.size, dtype=np.int64)
    lengths[0], lengths[-1] = starts[0], flat.size - stops[-1]
    lengths[1::2] = stops - starts
    lengths[2:-1:2] = starts[1:] - stops[:-1]
    labels = np.repeat(values, lengths).reshape(height, span)[:, :width]
    return np.ascontiguousarray(labels), int(number[-1])


def join_runs(starts: np.ndarray, stops: np.ndarray, span: int, reach: int) -> np.ndarray:
    """Each run's root (the first run of its component): runs in neighbouring rows join when
    their columns overlap, or touch diagonally when `reach` is 1 (8-connected)."""
    count = starts.size
    rows = starts // span
    columns = starts - rows * span, stops - rows * span
    below = (rows + 1) * span
    # The next row's runs that meet [first column - reach, stop + reach): a stop beyond the one
    # and a start before the other. The padding column keeps both searches in the next row.
    first = np.searchsorted(stops, below + columns[0] - reach, side="right")
    last = np.searchsorted(starts, below + columns[1] + reach)
    degree = np.maximum(last - first, 0)
    upper = np.repeat(np.arange(count), degree)
    lower = np.arange(upper.size) - np.repeat(np.cumsum(degree) - degree - first, degree)
    # Union-find over all joins at once: hook each join's larger root onto its smaller one,
    # then jump pointers until every run points at its root; repeat while joins span two roots.
    parent = np.arange(count)
    while upper.size:
        a, b = parent[upper], parent[lower]
        apart = a != b
        if not apart.any():
            break
        a, b, upper, lower = a[apart], b[apart], upper[apart], lower[apart]
        np.minimum.at(parent, np.maximum(a, b), np.minimum(a, b))
        while not np.array_equal(jumped := parent[parent], parent):
            parent = jumped
    return parent


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
