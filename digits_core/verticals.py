"""Vertical printed rules among a form's tall ink: box sides, grid and margin lines, comb
ticks and open cells. Found in pieces, the thin stretches of tall ink, joined into column lines
and told from handwriting by where they meet the horizontal rules (`digits_core.forms`)."""

import numpy as np

from digits_core import morphology
from digits_core.runs import runs

CROSS_MARGIN = 1  # ink thicker than the rule by more than this is a stroke crossing it
MEET_PX = 2  # a vertical rule meets a horizontal one when its end is this close to it
COMB_TICKS = 3  # this many ticks standing on rules make a comb ...
TICK_SPREAD = 0.2  # ... and its ticks are this close to their median length
BAR_PX = 8  # ink above a line's top in a run this long is a bar joining it


def vertical_rules(
    mask: np.ndarray, rules: np.ndarray, tall: np.ndarray, rule_thickness: float, lean: float
) -> np.ndarray:
    """The vertical rules among the tall ink: each meets horizontal `rules` at two places or
    more (box sides, grid and margin lines), or is one of a row of equal ticks standing on a
    rule (a comb). A "1" that touches a rule does neither.

    A rule is found in pieces, its thin stretches: where a digit crosses it or runs along it the
    ink is thicker, which splits it there (and keeps the digit's pixels). Pieces in one column
    line, one above the other, are one rule. Taken whole, a side that a digit touched was one
    component with the digit's stroke, too thick to be a rule, and stayed, read as a "1".
    """
    found = np.zeros_like(mask, dtype=bool)
    thick_along = runs(mask)  # horizontal thickness through each pixel
    thin = tall & (thick_along <= rule_thickness + CROSS_MARGIN)
    pieces, count = morphology.label(thin)
    if not count:
        return found
    spans = morphology.box_array(pieces, count)  # top, bottom, left, right
    line_of = column_lines(spans, rule_thickness, lean)
    lines = int(line_of.max()) + 1
    # The places where each line meets horizontal rules: the rows of its pixels near a rule,
    # in bands; a band ends where the line runs on farther than a rule is thick.
    near = morphology.dilate(rules, iterations=MEET_PX) & thin
    rows, cols = np.nonzero(near)
    meet = np.unique(line_of[pieces[rows, cols] - 1].astype(np.int64) * mask.shape[0] + rows)
    which, at = meet // mask.shape[0], meet % mask.shape[0]
    starts = np.ones(meet.size, dtype=bool)
    starts[1:] = (which[1:] != which[:-1]) | (np.diff(at) > rule_thickness + 2 * MEET_PX + 1)
    meetings = np.bincount(which[starts], minlength=lines)
    tops = np.full(lines, mask.shape[0])
    bottoms = np.zeros(lines, dtype=np.int64)
    np.minimum.at(tops, line_of, spans[:, 0])
    np.maximum.at(bottoms, line_of, spans[:, 1])
    lengths = bottoms - tops
    ticks = meetings == 1
    # An open cell: two ticks at a rule's ends. An empty comb cell kept them, too few for a
    # comb, and one was read as a "1", unflagged (2 of 215 blank forms).
    ends = ticks & at_rule_ends(rules, pieces * near, line_of, lines, rule_thickness)
    ends &= ~capped(thick_along, spans, line_of, tops)
    rule_lines = (meetings >= 2) | alike(lengths, ticks, COMB_TICKS) | alike(lengths, ends, 2)
    if rule_lines.any():
        keep = np.concatenate(([False], rule_lines[line_of]))
        found = keep[pieces]
    return found


def at_rule_ends(
    rules: np.ndarray, near: np.ndarray, line_of: np.ndarray, lines: int, rule_thickness: float
) -> np.ndarray:
    """[lines] bool: lines with pixels `near` the rules (as piece numbers, 0 elsewhere) where a
    horizontal rule ends, run on by less than a tick's width past them; a stroke standing on a
    rule or crossing it has rule on both sides."""
    reach = 2 * (int(np.ceil(rule_thickness)) + CROSS_MARGIN + 1)
    beside = morphology.extreme_1d(rules, 2 * MEET_PX + 1, 0, np.maximum)
    # Rule pixels in the `reach` columns left and right of each pixel, by running sums.
    running = np.pad(np.cumsum(beside, axis=1), ((0, 0), (reach + 1, reach)), mode="edge")
    running[:, : reach + 1] = 0
    width = rules.shape[1]
    left = running[:, reach : reach + width] - running[:, :width]
    right = running[:, 2 * reach + 1 :] - running[:, reach + 1 : reach + 1 + width]
    ends = (near > 0) & ((left < reach // 2) | (right < reach // 2))
    found = np.zeros(lines, dtype=bool)
    found[line_of[near[ends] - 1]] = True
    return found


def capped(
    thick_along: np.ndarray, spans: np.ndarray, line_of: np.ndarray, tops: np.ndarray
) -> np.ndarray:
    """[lines] bool: lines with a bar just above their top (a run of BAR_PX or more, by
    the ink's horizontal `thick_along`): a box whose top the finder kept (a pixel too short
    for a box's side) is no open cell. Its sides went as one, and the "1" under the top that
    stayed read as a "7"."""
    capped = np.zeros(tops.size, dtype=bool)
    for piece, (top, _, left, right) in enumerate(spans):
        line = line_of[piece]
        if top == tops[line] and top > 0:
            above = thick_along[top - 1, max(left - 1, 0) : right + 1]
            capped[line] |= bool((above >= BAR_PX).any())
    return capped


def alike(lengths: np.ndarray, chosen: np.ndarray, least: int) -> np.ndarray:
    """The `chosen` lines within TICK_SPREAD of their median length, if `least` are chosen."""
    if chosen.sum() < least:
        return np.zeros_like(chosen)
    usual = np.median(lengths[chosen])
    return chosen & (np.abs(lengths - usual) <= TICK_SPREAD * usual)


def column_lines(spans: np.ndarray, rule_thickness: float, lean: float) -> np.ndarray:
    """Pieces [count, 4] (top, bottom, left, right) → the column line each belongs to: pieces
    whose centres are within a rule's width of each other (on lines x = c + lean · y) and that
    stand one above the other (overlapping by at most MEET_PX rows) are one line."""
    centres = (spans[:, 2] + spans[:, 3]) / 2.0 - lean * (spans[:, 0] + spans[:, 1]) / 2.0
    reach = rule_thickness + CROSS_MARGIN + 1
    line_of = np.full(len(spans), -1)
    lines: list[list[int]] = []  # members; lines ordered by their first member's centre
    for piece in np.argsort(centres, kind="stable"):
        line_of[piece] = len(lines)
        for number in reversed(range(len(lines))):
            members = lines[number]
            if centres[piece] - centres[members[0]] > reach:
                break  # every earlier line lies farther to the left
            overlap = np.minimum(spans[members, 1], spans[piece, 1]) - np.maximum(
                spans[members, 0], spans[piece, 0]
            )
            if (overlap <= MEET_PX).all():
                line_of[piece] = number
                break
        if line_of[piece] == len(lines):
            lines.append([])
        lines[line_of[piece]].append(int(piece))
    return line_of
