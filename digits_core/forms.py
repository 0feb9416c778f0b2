"""Printed rules on forms: ruled and squared paper, boxes, box rows and comb fields.

Works on the binary ink mask. A printed rule is long, thin and straight: a horizontal rule is a
run of ink along a row at least half as long as the ink is wide; a vertical rule is a run down
a column that is as thin as the horizontal rules and meets one of them (box sides, comb ticks,
grid and margin lines). A rule longer than any digit is tall goes if it is no thicker than the
pen; a shorter one (a box around one digit) only if it is clearly thinner than the writer's
strokes, so a digit's own bar stays. Where a stroke crosses a rule the ink there is thicker
than the rule, and it is kept: the digit stays whole and only the rule between strokes goes.
"""

import numpy as np
from scipy import ndimage

RULE_SHARE = 0.5  # a horizontal rule spans at least this share of the ink's width ...
MIN_RULE_PX = 8  # ... and at least this many pixels
LONG_HEIGHTS = 1.5  # a rule this many ink heights long is longer than any digit's bar ...
LONG_THIN_PX = 2  # ... and goes if no thicker than the pen's strokes or than this
PAGE_SHARE = 0.9  # rules across this share of the page, two or more of them: ruled paper
SHORT_HEIGHTS = 0.6  # a shorter rule (a box's side) must be this many ink heights long ...
SHORT_THIN_SHARE = 0.7  # ... and clearly thinner than the pen, since a digit's bar may be that long
HAIRLINE_PX = 1  # a one-pixel line is always thin enough
TICK_SHARE = 0.25  # a vertical rule that meets a horizontal one is this share of the ink tall
CROSS_MARGIN = 1  # ink thicker than the rule by more than this is a stroke crossing it
MEET_PX = 2  # a vertical rule meets a horizontal one when its end is this close to it
COMB_TICKS = 3  # this many ticks standing on rules make a comb ...
TICK_SPREAD = 0.2  # ... and its ticks are this close to their median length
SKEWS = (-0.03, -0.015, 0.0, 0.015, 0.03)  # slopes a scanned rule may have (up to ~1.7°)


def runs(mask: np.ndarray) -> np.ndarray:
    """Per pixel, the length of the horizontal run of True it belongs to (0 off the mask)."""
    height, width = mask.shape
    padded = np.zeros((height, width + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    steps = np.diff(padded.ravel())
    starts = np.flatnonzero(steps == 1) + 1
    stops = np.flatnonzero(steps == -1) + 1
    marker = np.zeros(padded.size, dtype=np.int32)
    marker[starts] = 1
    run_index = np.cumsum(marker) - 1
    flat = padded.ravel().astype(bool)
    lengths = np.zeros(padded.size, dtype=np.int32)
    lengths[flat] = (stops - starts)[run_index[flat]]
    return lengths.reshape(height, width + 2)[:, 1:-1]


def skewed_runs(mask: np.ndarray) -> np.ndarray:
    """Per pixel, the longest run along a row it belongs to once the page is sheared by any of
    SKEWS (one-pixel breaks bridged): a rule scanned slightly askew steps a row every so
    often, and stays one run."""
    height, width = mask.shape
    rows, cols = np.indices(mask.shape)
    best = np.zeros(mask.shape, dtype=np.int32)
    for slope in SKEWS:
        shift = np.round(-slope * np.arange(width)).astype(int)
        shift -= shift.min()
        moved = rows + shift[np.newaxis, :]
        sheared = np.zeros((height + int(shift.max()), width), dtype=bool)
        sheared[moved, cols] = mask
        np.maximum(best, runs(bridged(sheared, 1))[moved, cols], out=best)
    return best


def bridged(mask: np.ndarray, axis: int) -> np.ndarray:
    """The mask with one-pixel gaps along `axis` closed (dashed or broken scan lines)."""
    shape = (1, 3) if axis == 1 else (3, 1)
    return mask | ndimage.binary_closing(mask, structure=np.ones(shape, dtype=bool))


def stroke_width(mask: np.ndarray, exclude: np.ndarray) -> float:
    """Typical handwriting stroke width: the median shorter run through each other ink pixel."""
    own = mask & ~exclude
    if not own.any():
        return 0.0
    across = np.minimum(runs(own), runs(own.T).T)
    return float(np.median(across[own]))


def thin_enough(thickness: float, width: float, long: bool) -> bool:
    """A rule this thick is printed, not written, given the writer's stroke width and whether
    the rule is too long to be a digit's stroke."""
    if long:
        return thickness <= max(LONG_THIN_PX, width)
    return thickness <= HAIRLINE_PX or thickness < SHORT_THIN_SHARE * width


def rule_mask(mask: np.ndarray) -> np.ndarray:
    """Pixels of printed rules to remove from the ink mask, crossing strokes excepted."""
    none = np.zeros_like(mask, dtype=bool)
    if mask.sum() < 2 * MIN_RULE_PX:
        return none
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    ink_height, ink_width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    joined = bridged(mask, 1)
    flat = runs(joined) * mask
    askew = skewed_runs(mask) * mask  # only for rules longer than a digit: bars slant too
    down = runs(bridged(mask, 0).T).T * mask
    thick_down = runs(mask.T).T  # vertical thickness through each pixel
    thick_along = runs(mask)  # horizontal thickness through each pixel
    shortest = max(MIN_RULE_PX, RULE_SHARE * ink_width)
    across = np.flatnonzero((askew >= PAGE_SHARE * mask.shape[1]).any(axis=1))
    # Two separate page-wide rules are a ruling or a box, never one digit's bar.
    ruled = across.size > 0 and bool((np.diff(across) > 1).any())
    # On ruled paper a rule's pieces count as long once they are longer than a digit's bar.
    longest = (SHORT_HEIGHTS if ruled else LONG_HEIGHTS) * ink_height
    long = askew >= max(shortest, longest)
    short = flat >= max(shortest, SHORT_HEIGHTS * ink_height)
    tall = down >= max(MIN_RULE_PX, TICK_SHARE * ink_height)
    width = stroke_width(mask, long | short | tall)
    rules = none
    for horizontal, is_long in ((long, True), (short, False)):
        if not horizontal.any():
            continue
        thickness = float(np.median(thick_down[horizontal]))
        if thin_enough(thickness, width, is_long):
            rules = horizontal & (thick_down <= thickness + CROSS_MARGIN)
            # Where a faint rule dipped under the ink level it left stubs in line with it.
            reach = 2 * max(MIN_RULE_PX, ink_width // 4) + 1
            band = ndimage.maximum_filter1d(rules, reach, axis=1)
            band = ndimage.maximum_filter1d(band, 3, axis=0)
            rules = band & mask & (thick_down <= thickness + CROSS_MARGIN)
            break
    # A vertical rule meets horizontal ones at two places or more (box sides, grid and margin
    # lines), or is one of a row of equal ticks standing on a rule (a comb). A "1" that
    # touches a rule does neither.
    if not rules.any():
        return rules
    labels, count = ndimage.label(tall)
    if count:
        index = np.arange(1, count + 1)
        thickness_of = ndimage.median(thick_along, labels, index=index)
        near = ndimage.binary_dilation(rules, iterations=MEET_PX)
        # Distinct places where each vertical candidate touches a horizontal rule.
        places, place_count = ndimage.label(near & tall)
        touching = places > 0
        pairs = np.unique(labels[touching].astype(np.int64) * (place_count + 1) + places[touching])
        meetings = np.bincount(pairs // (place_count + 1), minlength=count + 1)[1:]
        spans = ndimage.find_objects(labels, count)
        lengths = np.array([r.stop - r.start for r, _ in spans])
        rule_thickness = float(np.median(thick_down[rules]))
        thin = thickness_of <= rule_thickness + CROSS_MARGIN
        ticks = thin & (meetings == 1)
        usual = np.median(lengths[ticks]) if ticks.sum() >= COMB_TICKS else 0.0
        for number in np.flatnonzero(thin & (meetings > 0)):
            comb = ticks[number] and abs(lengths[number] - usual) <= TICK_SPREAD * usual
            if meetings[number] >= 2 or comb:
                own = labels == number + 1
                rules = rules | (own & (thick_along <= thickness_of[number] + CROSS_MARGIN))
    return rules
    labels, count = ndimage.label(tall)
    if count:
        index = np.arange(1, count + 1)
        thickness_of = ndimage.median(thick_along, labels, index=index)
        top_meets = np.zeros(count, bool)
        bottom_meets = np.zeros(count, bool)
        near = ndimage.binary_dilation(rules, iterations=MEET_PX)
        spans = ndimage.find_objects(labels, count)
        for number, (rows_, cols_) in enumerate(spans):
            top_meets[number] = near[rows_.start, cols_].any()
            bottom_meets[number] = near[rows_.stop - 1, cols_].any()
        lengths = np.array([r.stop - r.start for r, _ in spans])
        rule_thickness = float(np.median(thick_down[rules]))
        thin = thickness_of <= rule_thickness + CROSS_MARGIN
        ticks = thin & (top_meets | bottom_meets)
        usual = np.median(lengths[ticks]) if ticks.sum() >= COMB_TICKS else 0.0
        for number in np.flatnonzero(thin):
            boxed = top_meets[number] and bottom_meets[number]
            comb = ticks[number] and abs(lengths[number] - usual) <= TICK_SPREAD * usual
            if boxed or comb:
                own = labels == number + 1
                rules = rules | (own & (thick_along <= thickness_of[number] + CROSS_MARGIN))
    return rules
    meets = ndimage.binary_dilation(rules, iterations=MEET_PX)
    labels, count = ndimage.label(tall)
    if count:
        index = np.arange(1, count + 1)
        thickness_of = ndimage.median(thick_along, labels, index=index)
        met = ndimage.maximum(meets, labels, index=index)
        rule_thickness = float(np.median(thick_down[rules]))
        for number in np.flatnonzero(met):
            thickness = float(thickness_of[number])
            if thickness <= rule_thickness + CROSS_MARGIN:
                own = labels == number + 1
                rules = rules | (own & (thick_along <= thickness + CROSS_MARGIN))
    return rules
