"""Printed rules on forms: ruled and squared paper, boxes, box rows and comb fields.

Works on the binary ink mask. A printed rule is long, thin and straight: a horizontal rule is a
run of ink along a row at least half as long as the ink is wide; a vertical rule is a run down
a column that is as thin as the horizontal rules and meets one of them (box sides, comb ticks,
grid and margin lines). A rule longer than any digit is tall goes if it is no thicker than the
pen; a shorter one (a box around one digit) only if it is clearly thinner than the writer's
strokes, by a share and by whole pixels, so a digit's own bar stays (at MNIST size a pen is
2–3 px and a bar one pixel thinner is still the pen's), or if it closes a box with straight
sides around other ink, which no digit's bars do. Where a stroke crosses a rule the ink
there is thicker than the rule, and it is kept: the digit stays whole and only the rule between
strokes goes. Rules are followed at a few slopes a scan may have (`runs.SKEWS`, ~1.7°); on a
form fed further askew, also at the page's own slope (`runs.askew_slopes`), and its vertical
rules at the lean that goes with it.
"""

import numpy as np

from digits_core import morphology
from digits_core.dashes import dashed_rules
from digits_core.runs import RULED_SKEWS, SKEWS, askew_slopes, bridged, runs, skewed_runs
from digits_core.verticals import CROSS_MARGIN, vertical_rules

RULE_SHARE = 0.5  # a horizontal rule spans at least this share of the ink's width ...
MIN_RULE_PX = 8  # ... and at least this many pixels
LONG_HEIGHTS = 1.5  # a rule this many ink heights long is longer than any digit's bar ...
LONG_THIN_PX = 2  # ... and goes if no thicker than the pen's strokes or than this
PAGE_SHARE = 0.9  # rules across this share of the page, two or more of them: ruled paper
SHORT_HEIGHTS = 0.6  # a shorter rule (a box's side) must be this many ink heights long ...
SHORT_THIN_SHARE = 0.7  # ... and clearly thinner than the pen, since a digit's bar may be that long
THINNER_PX = 2  # ... and by at least this many pixels (run lengths are whole pixels)
TICK_SHARE = 0.25  # a vertical rule that meets a horizontal one is this share of the ink tall
BOX_OVERLAP = 0.9  # a box's top and bottom share this much of their columns, its sides its rows
BOX_LINES = 5  # ... and they are at least this many line thicknesses apart


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
    return thickness < SHORT_THIN_SHARE * width and width - thickness >= THINNER_PX


def closes_a_box(mask: np.ndarray, horizontal: np.ndarray, thickness: float) -> bool:
    """Horizontal runs that are the top and bottom of a box (or of a row of boxes) `thickness`
    px thick: two separate bands of rows over the same columns, joined at both ends by a
    straight upright side (ink down one column over the rows between), with ink inside clear
    of the frame. No digit is drawn so: a "0" or a stain's rim has curved sides and nothing
    inside. Such runs are printed however thick they are next to the pen: a small scan of a
    form prints its boxes as thick as the writing, and a box kept whole was cropped as the
    digit."""
    rows = np.flatnonzero(horizontal.any(axis=1))
    bands = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    if len(bands) < 2:
        return False
    top, bottom = bands[0], bands[-1]
    if min(top.size, bottom.size) < SHORT_THIN_SHARE * thickness:
        return False  # long runs in fewer rows than the ink is thick there: a curve's crest
    if bottom[0] - top[-1] < BOX_LINES * thickness:
        return False  # a box holds a digit, several pens tall; an "8"'s loops are not so tall
    top_cols = np.flatnonzero(horizontal[top].any(axis=0))
    bottom_cols = np.flatnonzero(horizontal[bottom].any(axis=0))
    left, right = max(top_cols[0], bottom_cols[0]), min(top_cols[-1], bottom_cols[-1])
    widest = max(top_cols[-1] - top_cols[0], bottom_cols[-1] - bottom_cols[0]) + 1
    if right - left + 1 < BOX_OVERLAP * widest:
        return False  # a top over other columns than the bottom: a digit's bars, not a box
    line = int(np.ceil(thickness)) + CROSS_MARGIN
    between = mask[top[-1] + 1 : bottom[0]]
    inside = mask[top[-1] + line + 1 : bottom[0] - line, left + line + 1 : right - line]
    if between.shape[0] < MIN_RULE_PX or not inside.any():
        return False
    # A printed side is ink down one column from the top to the bottom (a stroke crossing it
    # only adds ink); a written loop's flank curves off any one column.
    covered = between.mean(axis=0)
    return all(
        covered[max(0, end - line) : end + line + 1].max(initial=0.0) >= BOX_OVERLAP
        for end in (left, right)
    )


def rule_mask(mask: np.ndarray) -> np.ndarray:
    """Pixels of printed rules to remove from the ink mask, crossing strokes excepted."""
    none = np.zeros_like(mask, dtype=bool)
    if mask.sum() < 2 * MIN_RULE_PX:
        return none
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    ink_height, ink_width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    long, short, slopes = horizontal_candidates(mask, int(ink_height), int(ink_width))
    long |= dashed_rules(mask, int(ink_height), SKEWS + slopes)
    if not (long.any() or short.any()):
        return none  # most single digits: no bar is long enough to be a rule
    down = runs(bridged(mask, 0).T).T * mask
    # On a page fed askew its vertical rules lean the other way by as much: followed so.
    lean = -slopes[len(slopes) // 2] if slopes else 0.0
    if slopes:
        leaning = skewed_runs(mask.T, tuple(-slope for slope in slopes), leeway=True).T
        down = np.maximum(down, leaning * mask)
    tall = down >= max(MIN_RULE_PX, TICK_SHARE * ink_height)
    thick_down = runs(mask.T).T  # vertical thickness through each pixel
    width = stroke_width(mask, long | short | tall)
    rules = none
    for horizontal, is_long in ((long, True), (short, False)):
        if not horizontal.any():
            continue
        thickness = float(np.median(thick_down[horizontal]))
        if thin_enough(thickness, width, is_long) or closes_a_box(mask, horizontal, thickness):
            rules = horizontal & (thick_down <= thickness + CROSS_MARGIN)
            # Where a faint rule dipped under the ink level it left stubs in line with it.
            reach = 2 * max(MIN_RULE_PX, ink_width // 4) + 1
            band = morphology.extreme_1d(rules, reach, 1, np.maximum)
            band = morphology.extreme_1d(band, 3, 0, np.maximum)
            rules = band & mask & (thick_down <= thickness + CROSS_MARGIN)
            break
    if not rules.any():
        return rules
    rule_thickness = float(np.median(thick_down[rules]))
    upright = vertical_rules(mask, rules, tall, rule_thickness, lean)
    # Where two rules cross (squared paper), each takes the other for a crossing stroke and
    # keeps the pixels they share: a pixel with horizontal rule on both sides and vertical rule
    # above and below is rule (a blank squared page kept a dot at every crossing). Where they
    # only meet (a comb's tick on its baseline, a box's corner), rule on one side will do, away
    # from writing: left, the feet of an empty comb cell's ticks were read as a "3"; taken where
    # a "2"'s tail touched the foot, they moved the line's crop ("45525962" read "455250162").
    reach = int(np.ceil(rule_thickness)) + CROSS_MARGIN
    left, right = sides(rules, reach, axis=1)
    above, below = sides(upright, reach, axis=0)
    crossings = mask & left & right & above & below
    meetings = mask & (left | right) & (above | below) & ~crossings
    written = mask & ~rules & ~upright & ~meetings & ~crossings
    meetings &= ~morphology.dilate(written, reach)
    return rules | upright | crossings | meetings


def sides(found: np.ndarray, reach: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels with `found` within `reach` pixels before them along `axis`, and after them."""
    before = np.zeros_like(found)
    after = np.zeros_like(found)
    length = found.shape[axis]
    for step in range(1, min(reach, length - 1) + 1):
        ahead = [slice(None)] * 2
        behind = [slice(None)] * 2
        ahead[axis], behind[axis] = slice(step, None), slice(None, -step)
        before[tuple(ahead)] |= found[tuple(behind)]
        after[tuple(behind)] |= found[tuple(ahead)]
    return before, after


def ruled_page(mask: np.ndarray) -> bool:
    """Ink across PAGE_SHARE of the page in two separate bands of rows or more (a band as tall
    as the steepest of SKEWS rises over the page): ruled paper, whose rules may be too faint
    to be whole at the ink level. No digit spans the page twice."""
    height, width = mask.shape
    band = int(np.ceil(max(abs(slope) for slope in SKEWS) * width)) + 1
    # Most images (a digit with paper around it) have no ink in a tenth of the columns: no
    # band can be page-wide, and the band filter is skipped.
    if width < MIN_RULE_PX or height <= band or mask.any(axis=0).mean() < PAGE_SHARE:
        return False
    covered = morphology.extreme_1d(mask, band, 0, np.maximum).mean(axis=1) >= PAGE_SHARE
    rows = np.flatnonzero(covered)
    return rows.size > 0 and bool((np.diff(rows) > band).any())


def page_wide_twice(lengths: np.ndarray) -> bool:
    """Two separate rows hold runs across PAGE_SHARE of the page: a ruling or a box, never one
    digit's bar."""
    across = np.flatnonzero((lengths >= PAGE_SHARE * lengths.shape[1]).any(axis=1))
    return across.size > 0 and bool((np.diff(across) > 1).any())


def horizontal_candidates(
    mask: np.ndarray, ink_height: int, ink_width: int
) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    """(long, short, slopes): ink on horizontal runs longer than any digit (slanted a little),
    on runs long enough for a box's side, and the slopes of a page fed askew (`askew_slopes`)
    its rules were also followed at."""
    flat = runs(bridged(mask, 1)) * mask
    # A run, sheared or not, never spans more than the ink's width: most single digits cannot
    # hold a page-wide or longer-than-a-digit rule, and skip the sheared runs.
    may_be_ruled = ink_width >= PAGE_SHARE * mask.shape[1]
    may_be_long = ink_width >= (SHORT_HEIGHTS if may_be_ruled else LONG_HEIGHTS) * ink_height
    along = None  # runs along the slope of a page fed askew, for its boxes' sides too
    if may_be_ruled or may_be_long:
        askew = skewed_runs(mask) * mask  # only for rules longer than a digit: bars slant too
        slopes = askew_slopes(mask)
        if slopes:
            # A rotated scan's rule wavers by a row as it steps: a row up or down counts.
            middle = len(slopes) // 2  # the page's slope, between its neighbours
            along = skewed_runs(mask, slopes[middle : middle + 1], leeway=True) * mask
            beside = skewed_runs(mask, slopes[:middle] + slopes[middle + 1 :], leeway=True) * mask
            askew = np.maximum(askew, np.maximum(along, beside))
    else:
        askew, slopes = np.zeros(mask.shape, dtype=np.int64), ()
    shortest = max(MIN_RULE_PX, RULE_SHARE * ink_width)
    ruled = page_wide_twice(askew)
    # Between two of SKEWS a thin rule is askew by up to half a step, and on a page this wide
    # it moves a row and breaks into pieces.
    breaks = mask.shape[1] * (SKEWS[1] - SKEWS[0]) / 2 > 1
    if may_be_ruled and breaks and not ruled:
        # Followed more closely, a ruled page shows, and its rules are measured that way. (Only
        # there: on other pages the closer look joins the bars of neighbouring digits, "77772"
        # read as "11172", and on small pages it joins the dots of a dithered scan.)
        closer = skewed_runs(mask, RULED_SKEWS, leeway=True) * mask
        if page_wide_twice(closer):
            askew, ruled = closer, True
    # On ruled paper a rule's pieces count as long once they are longer than a digit's bar.
    longest = (SHORT_HEIGHTS if ruled else LONG_HEIGHTS) * ink_height
    long = askew >= max(shortest, longest)
    # A box's top or bottom, in a row whose such runs span half the ink: one box, or boxes
    # set apart, each shorter than that (a row of them kept its boxes: 43 of 100 box rows).
    side = flat >= max(MIN_RULE_PX, SHORT_HEIGHTS * ink_height)
    short = side & (side.sum(axis=1) >= shortest)[:, np.newaxis]
    if along is not None:
        short |= sides_along(mask, slopes[len(slopes) // 2], along, shortest)
    return long, short, slopes


def sides_along(mask: np.ndarray, slope: float, along: np.ndarray, shortest: float) -> np.ndarray:
    """Boxes' tops and bottoms on a form fed askew at `slope`: runs `along` it (per pixel) as
    long as a box's side (SHORT_HEIGHTS of the ink's height measured level), in a sheared row
    (a row up or down counted too) whose such runs span `shortest` columns. Row by row, a box
    100 px wide turned 3° is pieces of 20 px, at other heights from box to box, and the boxes
    stayed, read as "1"s between the digits (validation forms fed askew, 200 a seed: seed 5
    188 → 191, seed 6 180 → 184 exact; every other number condition read the same)."""
    ys, xs = np.nonzero(mask)
    rows = np.round(ys - slope * xs).astype(np.int64)
    rows -= rows.min() - 1  # row 0 left blank: the band below looks a row up
    side = along[ys, xs] >= max(MIN_RULE_PX, SHORT_HEIGHTS * rows.max())
    sheared = np.zeros((int(rows.max()) + 2, mask.shape[1]), dtype=bool)
    sheared[rows[side], xs[side]] = True
    band = sheared.copy()
    band[1:] |= sheared[:-1]
    band[:-1] |= sheared[1:]
    level = side & (band.sum(axis=1) >= shortest)[rows]
    found = np.zeros_like(mask, dtype=bool)
    found[ys[level], xs[level]] = True
    return found
