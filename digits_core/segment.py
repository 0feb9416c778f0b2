"""Reading a number: one image → its digits left to right, each with a box and a confidence.

Ink components (`digits_core.ink`) are grouped into digits: pieces that overlap horizontally
are one broken digit, small fragments join their nearest neighbour. A group wider than a digit
may be touching digits: candidate cuts along the columns with least ink are re-classified and
the most probable reading wins. The classifier is passed in (`classify`), so this module knows
nothing about the service; every image's pieces go through it in one call, candidates in one more.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import ndimage

from digits_core.imaging import crop_ink, fit_to_mnist
from digits_core.ink import Ink, analyse

Classify = Callable[[np.ndarray], np.ndarray]  # [N, 28, 28] float32 → probabilities [N, 10]

OVERLAP = 0.5  # pieces overlapping by this share of the narrower one are one digit
FRAGMENT_HEIGHT = 0.5  # a group shorter than this share of the line is a fragment
FRAGMENT_GAP = 0.3  # ... and joins a neighbour closer than this share of the line height
SPECK_AREA = 0.1  # a lone fragment below this share of the median area is dropped
SPLIT_WIDTH = 0.9  # groups wider than this share of the line height may be several digits
# MNIST digits are 0.4–1.2 line heights wide (median 0.8, measured on the training split);
# touching digits overlap a little, so k of them span about k × DIGIT_WIDTH line heights.
DIGIT_WIDTH = 0.75
COUNT_SPREAD = 1.2  # how far (in digits) the true count may be from width / DIGIT_WIDTH
NARROWEST = 0.5  # candidate counts go up to width / NARROWEST digits
MIN_PIECE = 0.2  # a split piece is at least this many line heights wide (a "1")
PAIR_CUTS = 3  # candidate cut columns tried for two touching digits


@dataclass(frozen=True)
class Box:
    """A rectangle in the input image's pixels."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class ReadDigit:
    """One digit of a number."""

    digit: int
    confidence: float
    box: Box


@dataclass(frozen=True)
class Group:
    """Components that form one digit, or several touching ones."""

    labels: np.ndarray
    top: int
    left: int
    bottom: int
    right: int
    area: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


def merge(a: Group, b: Group) -> Group:
    return Group(
        np.concatenate([a.labels, b.labels]),
        min(a.top, b.top),
        min(a.left, b.left),
        max(a.bottom, b.bottom),
        max(a.right, b.right),
        a.area + b.area,
    )


def group_components(found: Ink) -> list[Group]:
    """Components → digit groups, left to right."""
    pieces = [
        Group(np.array([i + 1]), r.start, c.start, r.stop, c.stop, int(found.areas[i]))
        for i, (r, c) in enumerate(found.boxes)
    ]
    pieces.sort(key=lambda g: g.left)
    groups: list[Group] = []
    for piece in pieces:
        for index, group in enumerate(groups):
            overlap = min(group.right, piece.right) - max(group.left, piece.left)
            if overlap >= OVERLAP * min(group.width, piece.width):
                groups[index] = merge(group, piece)
                break
        else:
            groups.append(piece)
    return join_fragments(sorted(groups, key=lambda g: g.left))


def join_fragments(groups: list[Group]) -> list[Group]:
    """Short groups join the nearest neighbour if close, else are dropped when tiny."""
    if len(groups) < 2:
        return groups
    line = line_height(groups)
    typical = float(np.median([g.area for g in groups]))
    while True:
        short = [i for i, g in enumerate(groups) if g.height < FRAGMENT_HEIGHT * line]
        if not short or len(groups) < 2:
            return groups
        index = min(short, key=lambda i: groups[i].area)
        fragment = groups.pop(index)
        gaps = [
            (max(g.left - fragment.right, fragment.left - g.right, 0), i)
            for i, g in enumerate(groups)
        ]
        gap, nearest = min(gaps)
        if gap <= FRAGMENT_GAP * line:
            groups[nearest] = merge(groups[nearest], fragment)
        elif fragment.area >= SPECK_AREA * typical:
            groups.insert(index, fragment)
            return groups


def ink_profile(found: Ink, group: Group) -> np.ndarray:
    """Ink pixels of the group per column, lightly smoothed."""
    window = found.labels[group.top : group.bottom, group.left : group.right]
    counts = np.isin(window, group.labels).sum(axis=0).astype(np.float32)
    return ndimage.uniform_filter1d(counts, 3)


def pair_cuts(profile: np.ndarray, line: float) -> list[list[int]]:
    """Up to PAIR_CUTS single cuts at the lowest-ink local minima (pieces ≥ MIN_PIECE wide)."""
    edge = max(1, round(MIN_PIECE * line))
    inner = profile[edge : profile.size - edge]
    if inner.size == 0:
        return []
    padded = np.concatenate([[np.inf], inner, [np.inf]])
    minima = np.flatnonzero((inner <= padded[:-2]) & (inner <= padded[2:]))
    chosen: list[int] = []
    for column in minima[np.argsort(inner[minima], kind="stable")]:
        if all(abs(column - c) > edge for c in chosen):
            chosen.append(int(column))
        if len(chosen) == PAIR_CUTS:
            break
    return [[edge + c] for c in chosen]


def even_cuts(profile: np.ndarray, pieces: int) -> list[int]:
    """`pieces - 1` cuts: the least ink near each even division of the group."""
    step = profile.size / pieces
    cuts = []
    for k in range(1, pieces):
        low, high = max(1, int(step * (k - 0.4))), min(profile.size - 1, int(step * (k + 0.4)))
        cuts.append(low + int(np.argmin(profile[low:high])) if high > low else int(step * k))
    return cuts


@dataclass(frozen=True)
class Reading:
    """One way to read a group: its pieces (inputs + boxes in working pixels) and a prior."""

    inputs: list[np.ndarray]
    boxes: list[tuple[int, int, int, int]]
    log_prior: float


def reading(found: Ink, group: Group, cuts: list[int], line: float) -> Reading:
    """The group read as pieces separated at `cuts`; the prior says how plausible that count is."""
    edges = [group.left, *cuts, group.right]
    inputs, boxes = [], []
    for left, right in pairwise(edges):
        crop, box = crop_ink(found, group.labels, columns=(left, right) if cuts else None)
        inputs.append(fit_to_mnist(crop))
        boxes.append(box)
    expected = group.width / (DIGIT_WIDTH * line)
    log_prior = -0.5 * ((len(edges) - 1 - expected) / COUNT_SPREAD) ** 2
    return Reading(inputs, boxes, log_prior)


def separate_reading(found: Ink, group: Group, line: float) -> Reading | None:
    """The group's components read as two digits, divided at the widest gap between their
    centres: two digits whose columns overlap (a slanted "1" beside a "6") were merged as one."""
    if group.labels.size < 2:
        return None
    centres = np.array(
        [(found.boxes[i - 1][1].start + found.boxes[i - 1][1].stop) / 2 for i in group.labels]
    )
    order = np.argsort(centres)
    at = int(np.argmax(np.diff(centres[order]))) + 1
    inputs, boxes = [], []
    for part in (group.labels[order[:at]], group.labels[order[at:]]):
        crop, box = crop_ink(found, part)
        inputs.append(fit_to_mnist(crop))
        boxes.append(box)
    expected = group.width / (DIGIT_WIDTH * line)
    return Reading(inputs, boxes, -0.5 * ((2 - expected) / COUNT_SPREAD) ** 2)


def split_readings(found: Ink, group: Group, line: float) -> list[Reading]:
    """Alternative readings of a group: its components apart, or 2..n touching digits."""
    separate = separate_reading(found, group, line)
    readings = [separate] if separate else []
    if group.width <= SPLIT_WIDTH * line:
        return readings
    profile = ink_profile(found, group)
    most = max(2, min(8, round(group.width / (NARROWEST * line))))
    cuts = pair_cuts(profile, line) + [even_cuts(profile, n) for n in range(3, most + 1)]
    return readings + [reading(found, group, [group.left + c for c in cut], line) for cut in cuts]


def line_height(groups: list[Group]) -> float:
    """The digits' height: the tallest group (fragments and specks are shorter, never taller)."""
    return float(max(g.height for g in groups)) if groups else 1.0


def read_numbers(grays: Sequence[np.ndarray], classify: Classify) -> list[list[ReadDigit]]:
    """Each grayscale image → its digits left to right (an empty list when there is no ink)."""
    found = [analyse(gray) for gray in grays]
    plans: list[list[list[Reading]]] = []
    for ink in found:
        groups = group_components(ink) if ink.count else []
        line = line_height(groups)
        plans.append([[reading(ink, g, [], line), *split_readings(ink, g, line)] for g in groups])
    first = [r for plan in plans for options in plan for r in options[:1]]
    rest = [r for plan in plans for options in plan for r in options[1:]]
    scores = {
        id(r): probs
        for r, probs in zip(first + rest, classify_readings(first, rest, classify), strict=True)
    }
    results = []
    for ink, plan in zip(found, plans, strict=True):
        digits: list[ReadDigit] = []
        for options in plan:
            best = max(options, key=lambda r: score(r, scores[id(r)]))
            for probs, box in zip(scores[id(best)], best.boxes, strict=True):
                digits.append(ReadDigit(int(probs.argmax()), float(probs.max()), to_box(box, ink)))
        results.append(digits)
    return results


def classify_readings(
    first: list[Reading], rest: list[Reading], classify: Classify
) -> list[np.ndarray]:
    """Probabilities per reading: one classify call for plain pieces, one for split candidates."""
    out = []
    for readings in (first, rest):
        inputs = [x for r in readings for x in r.inputs]
        probs = classify(np.stack(inputs)) if inputs else np.zeros((0, 10), np.float32)
        start = 0
        for r in readings:
            out.append(probs[start : start + len(r.inputs)])
            start += len(r.inputs)
    return out


def score(option: Reading, probs: np.ndarray) -> float:
    """Log-probability that every piece is read right, plus the width prior."""
    return float(np.log(np.maximum(probs.max(axis=1), 1e-9)).sum()) + option.log_prior


def to_box(box: tuple[int, int, int, int], ink: Ink) -> Box:
    """Working-pixel (top, left, bottom, right) → Box in the input image's pixels."""
    top, left, bottom, right = (v / ink.scale for v in box)
    x, y = int(np.floor(left)), int(np.floor(top))
    return Box(x, y, max(1, int(np.ceil(right)) - x), max(1, int(np.ceil(bottom)) - y))


def read_number(gray: np.ndarray, classify: Classify) -> list[ReadDigit]:
    """One grayscale image → its digits left to right."""
    return read_numbers([gray], classify)[0]
