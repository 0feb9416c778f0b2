"""Dotted and dashed printed rules: the guide lines of forms ("Amount: ..........").

A solid rule is found as one long run of ink (`digits_core.forms`). A dotted or dashed rule is
a row of small pieces of ink evenly spaced along one straight line, and no run of it is long:
left in the ink, its pieces beside a number are read as extra digits ("078" read as "1078").
Here such a row is found from its pieces: components no taller than wide and thin, on one line
(straight or slightly askew), one period apart (or a whole number of periods where strokes
hide some), at least MIN_PIECES of them in a row, the row spanning more than a digit is tall,
each of them alone (no other ink just above or below, up to the next piece on either side),
and few small pieces on the lines near it. Handwriting makes no such row: a digit's strokes
are connected, specks of grain are neither on one line nor evenly spaced, and the dots of a
dithered scan, which can be both, have the next rows of dots above and below. The pieces on
such a line are rule pixels; `digits_core.forms.rule_mask` then takes the rule along their
rows, where a piece that touches a digit's stroke goes and the stroke that crosses it stays.
"""

import numpy as np

from digits_core import morphology

MIN_PIECES = 6  # evenly spaced pieces in a row that make a dotted or dashed rule ...
MIN_STRETCH = 3  # ... and shorter rows of them on its line, between strokes, that are part of it
PIECE_HEIGHTS = 0.15  # a piece is at most this share of the ink's height tall ...
PIECE_PX = 3  # ... or this many pixels, whichever is more
PERIOD_SPREAD = 0.15  # a step is a whole number of periods within this share of a period ...
PERIOD_PX = 1.5  # ... or this many pixels (a scan moves a printed piece by a pixel)
MAX_HIDDEN = 2  # pieces in a row a crossing stroke may hide
ISOLATION_PX = 2  # a piece has no other ink this many rows (plus its height) above and below
SPAN_HEIGHTS = 1.0  # the row spans at least this many ink heights
CROWD_ROWS = 3  # rows looked at together for a crowded row
NEIGHBOURS = 0.25  # a rule has fewer small pieces than this share of its own near its line


def crowded_rows(mask: np.ndarray) -> bool:
    """Some band of CROWD_ROWS rows holds MIN_PIECES separate runs of ink: necessary for a
    dotted rule (askew, it steps a row every few dozen pixels) and rare in a digit or two, so
    most images skip the labelling."""
    band = mask[: mask.shape[0] - CROWD_ROWS + 1].copy()
    for step in range(1, CROWD_ROWS):
        band |= mask[step : mask.shape[0] - CROWD_ROWS + 1 + step]
    starts = band[:, 1:] & ~band[:, :-1]
    return bool((starts.sum(axis=1) + band[:, 0] >= MIN_PIECES).any())


def stretches(lefts: np.ndarray) -> np.ndarray:
    """Per piece at `lefts` (sorted), how many pieces its stretch holds: a stretch steps one,
    two or three periods (the median step; a stroke over the rule hides a piece or two) at a
    time, each step within PERIOD_SPREAD of a period or PERIOD_PX, whichever is more."""
    steps = np.diff(lefts)
    period = float(np.median(steps)) if steps.size else 0.0
    if period <= 0:
        return np.ones(lefts.size, dtype=np.int64)
    periods = np.round(steps / period)
    regular = (periods >= 1) & (periods <= MAX_HIDDEN + 1)
    regular &= np.abs(steps - periods * period) <= max(PERIOD_PX, PERIOD_SPREAD * period)
    stretch = np.r_[0, np.cumsum(~regular)]  # a new stretch after every irregular step
    return np.bincount(stretch)[stretch]


class Pieces:
    """The mask's components that may be pieces of a printed rule, and a summed-area table of
    the mask to ask whether they stand alone."""

    def __init__(self, mask: np.ndarray, ink_height: int) -> None:
        self.labels, count = morphology.label(mask, eight=True)
        boxes = morphology.box_array(self.labels, count)
        self.rows, self.cols = boxes[:, :2], boxes[:, 2:]
        tall, wide = np.diff(self.rows, axis=1)[:, 0], np.diff(self.cols, axis=1)[:, 0]
        # A dot is as wide as tall, a dash wider; a 1-bit scan's specks in standard fax mode
        # are taller than wide.
        self.shaped = (tall <= max(PIECE_PX, PIECE_HEIGHTS * ink_height)) & (tall <= wide)
        self.found = np.flatnonzero(self.shaped)
        if self.found.size < MIN_PIECES:
            return  # no rule here: the rest is not needed
        self.areas = np.bincount(self.labels.ravel(), minlength=count + 1)[1:]
        self.summed = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int64)
        self.summed[1:, 1:] = mask.cumsum(axis=0).cumsum(axis=1)
        self.band = max(1.0, float(np.median(tall[self.shaped])))
        self.middle = self.rows.mean(axis=1) - 0.5
        self.least_reach = ISOLATION_PX + round(self.band)
        near = self.cols[self.found] + np.array([-1, 1])
        self.found = self.found[self.alone(self.found, near, self.least_reach)]

    def alone(self, which: np.ndarray, cols: np.ndarray, reach: int) -> np.ndarray:
        """Which of the components `which` have no other ink across `cols` ([start, stop) per
        component) within `reach` rows above and below (and that much paper inside the image:
        at its edge nothing can be seen)."""
        height, width = self.summed.shape[0] - 1, self.summed.shape[1] - 1
        top, bottom = self.rows[which, 0] - reach, self.rows[which, 1] + reach
        inside = (top >= 0) & (bottom <= height)
        top, bottom = np.clip(top, 0, height), np.clip(bottom, 0, height)
        left, right = np.clip(cols[:, 0], 0, width), np.clip(cols[:, 1], 0, width)
        table = self.summed
        around = table[bottom, right] - table[top, right] - table[bottom, left] + table[top, left]
        return inside & (around == self.areas[which])

    def rule_on(self, on_line: np.ndarray, ink_height: int, slope: float) -> np.ndarray:
        """The pieces `on_line` (sorted left to right, on a line rising `slope` px per px) that
        form a dotted or dashed rule, or none (see the module)."""
        left, right = self.cols[on_line, 0], self.cols[on_line, 1]
        period = float(np.median(np.diff(left)))
        # Alone all the way to the next piece on each side, where a dithered stroke has its
        # next row of dots staggered between.
        between = np.stack(
            [np.r_[left[0] - period, right[:-1]], np.r_[left[1:], right[-1] + period]]
        )
        alone = on_line[self.alone(on_line, between.T.astype(np.int64), self.least_reach)]
        if alone.size < MIN_PIECES:
            return alone[:0]
        size = stretches(self.cols[alone, 0])
        if size.max() < MIN_PIECES:
            return alone[:0]
        # One long stretch makes the rule; shorter ones between strokes belong to it too.
        even = alone[size >= MIN_STRETCH]
        start, stop = self.cols[even, 0].min(), self.cols[even, 1].max()
        if stop - start < SPAN_HEIGHTS * ink_height or self.crowded(even, slope, period):
            return alone[:0]
        # Near a stroke a piece is not alone, but on the rule's line it is the rule's.
        return on_line[(left >= start - period) & (right <= stop + period)]

    def crowded(self, rule: np.ndarray, slope: float, period: float) -> bool:
        """Whether more small pieces than NEIGHBOURS of the `rule`'s own lie within two periods
        above or below its line, along it: one row of a field of dots, not a printed rule."""
        left = self.cols[:, 0]
        offset = float(np.median(self.middle[rule] - slope * left[rule]))
        distance = np.abs(self.middle - slope * left - offset)
        along = (left >= left[rule].min()) & (left <= self.cols[rule, 1].max())
        near = self.shaped & along & (distance > self.band + 1) & (distance <= 2 * period)
        return bool(near.sum() > NEIGHBOURS * rule.size)


def dashed_rules(mask: np.ndarray, ink_height: int, slopes: tuple[float, ...]) -> np.ndarray:
    """Pixels of the pieces of dotted and dashed rules in the ink mask (see the module), on
    lines at any of `slopes`."""
    if not crowded_rows(mask):
        return np.zeros(mask.shape, dtype=bool)
    pieces = Pieces(mask, ink_height)
    found, left = pieces.found, pieces.cols[pieces.found, 0]
    rule: list[np.ndarray] = []
    seen: set[bytes] = set()  # neighbouring slopes mostly gather the same pieces
    for slope in slopes if found.size >= MIN_PIECES else ():
        # Pieces on one line have the same height once the page is sheared back by its slope.
        line_of = np.round((pieces.middle[found] - slope * left) / pieces.band).astype(np.int64)
        for line in np.unique(line_of):
            # A piece whose middle lies on a band's edge may round either way: take both.
            on_line = found[np.abs(line_of - line) <= 1]
            if on_line.size >= MIN_PIECES and on_line.tobytes() not in seen:
                seen.add(on_line.tobytes())
                on_line = on_line[np.argsort(pieces.cols[on_line, 0], kind="stable")]
                rule.append(pieces.rule_on(on_line, ink_height, slope))
    ids = np.concatenate(rule) if rule else np.zeros(0, dtype=np.int64)
    return np.isin(pieces.labels, ids + 1)
