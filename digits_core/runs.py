"""Run lengths of ink along rows, straight or at a slope, and the slope a page's rows of ink
run at: what `digits_core.forms` finds printed rules with. A printed rule is one long run; a
rule scanned askew steps a row every so often, and is one run once the page is sheared back by
its slope.
"""

import numpy as np

MIN_POINTS = 8  # fewer ink pixels than this hold no row worth a slope
SKEWS = (-0.03, -0.015, 0.0, 0.015, 0.03)  # slopes a scanned rule may have (up to ~1.7°)
# Finer, for ruled pages, where a thin rule is also followed a row up or down.
RULED_SKEWS = (-0.03, -0.02, -0.01, 0.0, 0.01, 0.02, 0.03)
# A form scanned or faxed further askew (up to ~5.7°): its rows of ink are looked for at these
# slopes, on a sample of its ink, and its rules also followed at the slope of the fullest row
# when that row is clearly fuller than a row at a typical slope (`askew_slopes`).
PAGE_SLOPES = np.round(np.arange(-0.1, 0.1001, 0.01), 3)
FINE_SLOPES = np.round(np.arange(-0.005, 0.0051, 0.001), 3)  # around the best of PAGE_SLOPES
SLOPE_SAMPLE = 2000  # ink pixels
STEEPER = 1.5  # the fullest row holds this many times the ink of a row at a typical slope


def runs(mask: np.ndarray) -> np.ndarray:
    """Per pixel, the length of the horizontal run of True it belongs to (0 off the mask)."""
    height, width = mask.shape
    # One paper column after each row, so no run continues onto the next row.
    padded = np.zeros((height, width + 1), dtype=bool)
    padded[:, :-1] = mask
    flat = padded.ravel()
    edges = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1, [flat.size]))
    lengths = np.diff(edges)  # ink and paper runs, alternating
    per_pixel = np.repeat(lengths, lengths)
    per_pixel[~flat] = 0
    return per_pixel.reshape(height, width + 1)[:, :-1]


def skewed_runs(
    mask: np.ndarray, slopes: tuple[float, ...] = SKEWS, leeway: bool = False
) -> np.ndarray:
    """Per pixel, the longest run along a row it belongs to once the page is sheared by any of
    `slopes` (one-pixel breaks bridged): a rule scanned slightly askew steps a row every so
    often, and stays one run. With `leeway`, a row up or down counts too: a thin rule askew
    by half a step of `slopes` moves a row every few hundred pixels, and would break there."""
    height, width = mask.shape
    best = np.zeros(mask.shape, dtype=np.int64)
    for slope in slopes:
        shift = np.round(-slope * np.arange(width)).astype(int)
        shift -= shift.min()
        # The shift is constant over blocks of columns: shear block by block with slices.
        edges = np.flatnonzero(np.diff(shift)) + 1
        blocks = list(zip(np.r_[0, edges], np.r_[edges, width], strict=True))
        sheared = np.zeros((height + int(shift.max()), width), dtype=bool)
        for start, stop in blocks:
            sheared[shift[start] : shift[start] + height, start:stop] = mask[:, start:stop]
        if leeway:
            near = sheared.copy()
            near[1:] |= sheared[:-1]
            near[:-1] |= sheared[1:]
            sheared = near
        lengths = runs(bridged(sheared, 1))
        for start, stop in blocks:
            back = lengths[shift[start] : shift[start] + height, start:stop]
            np.maximum(best[:, start:stop], back, out=best[:, start:stop])
    return best


def bridged(mask: np.ndarray, axis: int) -> np.ndarray:
    """The mask with gaps of up to two pixels along `axis` closed (dashed or broken scan lines).

    A binary closing with a 3-pixel line, written as shifts: scipy's generic closing cost ~10×
    more and this runs a dozen times per image. As there, the first and last pixel never close.
    """
    along = np.moveaxis(mask, axis, -1)
    grown = along.copy()
    grown[..., 1:] |= along[..., :-1]
    grown[..., :-1] |= along[..., 1:]
    closed = along.copy()
    closed[..., 1:-1] |= grown[..., :-2] & grown[..., 1:-1] & grown[..., 2:]
    return np.moveaxis(closed, -1, axis)


def row_counts(ys: np.ndarray, xs: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """For each slope, the ink count of its fullest row once the page is sheared by it."""
    rows = np.round(ys[np.newaxis, :] - slopes[:, np.newaxis] * xs[np.newaxis, :]).astype(int)
    rows -= rows.min()
    span = int(rows.max()) + 1
    flat = (rows + np.arange(len(slopes))[:, np.newaxis] * span).ravel()
    return np.bincount(flat, minlength=len(slopes) * span).reshape(len(slopes), span).max(axis=1)


def askew_slopes(mask: np.ndarray) -> tuple[float, ...]:
    """Slopes to follow rules at besides SKEWS: around the slope of the page's fullest straight
    row of ink, when that row is clearly fuller than the rows at other slopes (a form fed
    askew), steeper than SKEWS and not kept within a row across the page by the steepest of
    them; () otherwise."""
    ys, xs = np.nonzero(mask)
    step = max(1, ys.size // SLOPE_SAMPLE)
    ys, xs = ys[::step], xs[::step]
    if ys.size < MIN_POINTS:
        return ()
    counts = row_counts(ys, xs, PAGE_SLOPES)
    fullest = int(counts.argmax())
    if counts[fullest] < STEEPER * np.median(counts):
        return ()
    fine = PAGE_SLOPES[fullest] + FINE_SLOPES
    best = float(fine[int(row_counts(ys, xs, fine).argmax())])
    # Within SKEWS' range the page is left to them, as before (tuned there).
    if abs(best) <= max(SKEWS) or min(abs(best - s) for s in SKEWS) * mask.shape[1] <= 1:
        return ()
    return (best - 0.001, best, best + 0.001)
