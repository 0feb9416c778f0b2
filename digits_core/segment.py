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
SPLIT_WIDTH = 0.8  # groups wider than this share of the line height may be several digits
DIGIT_WIDTH = 0.5  # a typical digit's width in line heights, to guess how many are touching
WIDE = 1.0  # a digit wider than this many line heights is unlikely; scored down per excess
WIDE_PENALTY = 4.0


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
    line = float(np.median([g.height for g in groups]))
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


def cut_columns(found: Ink, group: Group, pieces: int) -> list[int]:
    """`pieces - 1` cut columns (working pixels): least ink near each even division."""
    window = np.isin(found.labels[group.top : group.bottom, group.left : group.right], group.labels)
    profile = ndimage.uniform_filter1d(window.sum(axis=0).astype(np.float32), 3)
    step = group.width / pieces
    cuts = []
    for k in range(1, pieces):
        low = max(1, int(group.left + step * (k - 0.4)) - group.left)
        high = min(group.width - 1, int(group.left + step * (k + 0.4)) - group.left)
        cuts.append(group.left + low + int(np.argmin(profile[low:high])) if high > low else 0)
    return cuts


@dataclass(frozen=True)
class Reading:
    """One way to read a group: its pieces (inputs + boxes in working pixels) and a prior."""

    inputs: list[np.ndarray]
    boxes: list[tuple[int, int, int, int]]
    log_prior: float


def reading(found: Ink, group: Group, cuts: list[int], line: float) -> Reading:
    """The group read as pieces separated at `cuts`."""
    edges = [group.left, *cuts, group.right]
    inputs, boxes, log_prior = [], [], 0.0
    for left, right in pairwise(edges):
        crop, box = crop_ink(found, group.labels, columns=(left, right) if cuts else None)
        inputs.append(fit_to_mnist(crop))
        boxes.append(box)
        log_prior -= WIDE_PENALTY * max(0.0, (box[3] - box[1]) / line - WIDE)
    return Reading(inputs, boxes, log_prior)


def split_readings(found: Ink, group: Group, line: float) -> list[Reading]:
    """Alternative readings of a wide group as 2..n touching digits."""
    if group.width <= SPLIT_WIDTH * line:
        return []
    most = max(2, min(8, round(group.width / (DIGIT_WIDTH * line))))
    return [reading(found, group, cut_columns(found, group, n), line) for n in range(2, most + 1)]


def line_height(groups: list[Group]) -> float:
    return float(np.median([g.height for g in groups])) if groups else 1.0


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
