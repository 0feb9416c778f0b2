"""Reading a number: one image → its digits left to right, each with a box and a confidence.

Segmentation by recognition. The ink's components (`digits_core.ink`) are the atoms; a component
wider than a digit is also cut at the columns with least ink, so touching digits come apart.
Every run of neighbouring atoms is a candidate digit; all candidates of all images go through
the classifier in one call, and a dynamic programme picks, per image, the reading that is most
probable as a whole: every digit read right, shaped like that digit (MNIST's width-to-height
ratio per class), as tall as the line, with a plausible count for the line's width. A broken
digit is thus the run of its pieces, touching digits are the pieces between cuts, and specks are
skipped. The classifier is passed in (`classify`), so this module knows nothing of the service.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import ndimage

from digits_core.imaging import fit_to_mnist
from digits_core.ink import Ink, analyse

# [N, 28, 28] float32 inputs → (probabilities [N, 10], P(not a digit) [N])
Classify = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

MAX_RUN = 4  # atoms in one digit at most (a digit broken twice, or cut into three)
JOIN_GAP = 0.3  # a short piece joins a digit up to this share of the line height away
FRAGMENT_HEIGHT = 0.6  # a piece shorter than this share of the line height is short
SPLIT_WIDTH = 0.8  # components wider than this share of the line height may be several digits
CUT_HEIGHT = 0.7  # ... when they are at least this tall (a shorter one is a piece of a digit)
MIN_PIECE = 0.15  # a cut leaves pieces at least this many line heights wide (a "1")
CUT_SPACING = 0.45  # one candidate cut per this many line heights of the component's width
SPECK_AREA = 0.15  # an atom below this share of the median atom area may be skipped as a speck
SPECK_HEIGHT = 0.4  # ... when it is also shorter than this share of the line
# Width / height of MNIST's digits per class: mean and deviation of its log, measured on the
# training split by `aspect_ratio` (tests/core/test_segment.py recomputes them).
ASPECT_LOG_MEAN = np.log([0.9, 0.395, 0.932, 0.792, 0.786, 0.929, 0.722, 0.769, 0.755, 0.675])
ASPECT_LOG_STD = np.array([0.195, 0.459, 0.217, 0.211, 0.211, 0.258, 0.217, 0.215, 0.221, 0.205])
ASPECT_WEIGHT = 1.0  # weight of the shape term against the classifier's log-probability
DIGIT_BONUS = 0.0  # log-odds added per digit read
SHORT = 0.75  # a digit shorter than this share of the line height is penalised ...
SHORT_SPREAD = 0.12  # ... by a Gaussian of this spread
DIGIT_WIDTH = 0.75  # a line holds about width / (DIGIT_WIDTH × height) digits ...
COUNT_SPREAD = 1.2  # ... give or take this many
INK_LEVEL = 0.25  # a pixel of the 28×28 input with more ink than this counts for its extent


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
class Atom:
    """A component, or the slice of one between two cut columns (working pixels)."""

    label: int
    top: int
    left: int
    bottom: int
    right: int
    area: int


@dataclass(frozen=True)
class Candidate:
    """A run of atoms read as one digit: its model input and box (top, left, bottom, right)."""

    start: int
    stop: int
    input: np.ndarray
    box: tuple[int, int, int, int]


def aspect_ratio(inputs: np.ndarray) -> np.ndarray:
    """Width / height of the inked extent of 28×28 inputs [N, 28, 28] (0..1)."""
    inked = np.asarray(inputs) > INK_LEVEL
    rows, cols = inked.any(axis=2), inked.any(axis=1)

    def extent(mask: np.ndarray) -> np.ndarray:
        first = mask.argmax(axis=1)
        last = mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
        return np.where(mask.any(axis=1), last - first + 1, 1)

    return extent(cols) / extent(rows)


def cut_columns(profile: np.ndarray, line: float) -> list[int]:
    """Candidate cuts in a component: the lowest-ink local minima of its column profile."""
    edge = max(1, round(MIN_PIECE * line))
    inner = profile[edge : profile.size - edge]
    if inner.size == 0:
        return []
    padded = np.concatenate([[np.inf], inner, [np.inf]])
    minima = np.flatnonzero((inner <= padded[:-2]) & (inner <= padded[2:]))
    most = max(1, round(profile.size / (CUT_SPACING * line)))
    chosen: list[int] = []
    for column in minima[np.argsort(inner[minima], kind="stable")]:
        if all(abs(column - c) >= edge for c in chosen):
            chosen.append(int(column))
        if len(chosen) == most:
            break
    return sorted(edge + c for c in chosen)


def atoms_of(found: Ink, line: float) -> list[Atom]:
    """The components, wide ones also cut into slices, in left-to-right order of centres."""
    atoms = []
    for index, (rows, cols) in enumerate(found.boxes):
        label = index + 1
        own = found.labels[rows, cols] == label
        edges = [0, cols.stop - cols.start]
        if edges[1] > SPLIT_WIDTH * line and rows.stop - rows.start >= CUT_HEIGHT * line:
            profile = ndimage.uniform_filter1d(own.sum(axis=0).astype(np.float32), 3)
            edges[1:1] = cut_columns(profile, line)
        for left, right in pairwise(edges):
            inked = np.flatnonzero(own[:, left:right].any(axis=1))
            if inked.size:
                area = int(own[:, left:right].sum())
                top, bottom = rows.start + int(inked[0]), rows.start + int(inked[-1]) + 1
                atoms.append(Atom(label, top, cols.start + left, bottom, cols.start + right, area))
    return sorted(atoms, key=lambda a: a.left + a.right)


def line_height(found: Ink) -> float:
    """The digits' height: the tallest component (pieces and specks are shorter, never taller)."""
    return float(max(r.stop - r.start for r, _ in found.boxes)) if found.boxes else 1.0


def crop_run(found: Ink, atoms: Sequence[Atom]) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The ink of a run of atoms (their anti-aliased rim too), tightly cropped, and its box."""
    top, bottom = min(a.top for a in atoms), max(a.bottom for a in atoms)
    left, right = min(a.left for a in atoms), max(a.right for a in atoms)
    height, width = found.labels.shape
    top, left = max(0, top - 1), max(0, left - 1)
    bottom, right = min(height, bottom + 1), min(width, right + 1)
    window = found.labels[top:bottom, left:right]
    own = np.zeros(window.shape, dtype=bool)
    for atom in atoms:
        columns = slice(atom.left - left, atom.right - left)
        own[:, columns] |= window[:, columns] == atom.label
    crop = found.ink[top:bottom, left:right] * ndimage.maximum_filter(own, size=3)
    rows, cols = np.flatnonzero(crop.any(axis=1)), np.flatnonzero(crop.any(axis=0))
    if rows.size == 0:
        return np.zeros((1, 1), np.float32), (top, left, top + 1, left + 1)
    crop = crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    box = (
        top + int(rows[0]),
        left + int(cols[0]),
        top + int(rows[-1]) + 1,
        left + int(cols[-1]) + 1,
    )
    return crop, box


def joins(run: Sequence[Atom], atom: Atom, line: float) -> bool:
    """Whether `atom` may belong to the same digit as `run` (the atoms left of it).

    Slices of one component always may; otherwise the two must overlap in columns (a stroke
    broken across), or one of them be a short piece close by (a bar, a detached loop).
    """
    if any(a.label == atom.label for a in run):
        return True
    right = max(a.right for a in run)
    if atom.left < right:
        return True
    tall = max(a.bottom for a in run) - min(a.top for a in run)
    short = min(tall, atom.bottom - atom.top) < FRAGMENT_HEIGHT * line
    return short and atom.left - right <= JOIN_GAP * line


def candidates_of(found: Ink, atoms: list[Atom], line: float) -> list[Candidate]:
    """Every run of up to MAX_RUN neighbouring atoms that may be one digit."""
    out = []
    for start in range(len(atoms)):
        for stop in range(start + 1, min(start + MAX_RUN, len(atoms)) + 1):
            if stop > start + 1 and not joins(atoms[start : stop - 1], atoms[stop - 1], line):
                break
            crop, box = crop_run(found, atoms[start:stop])
            out.append(Candidate(start, stop, fit_to_mnist(crop), box))
    return out


def candidate_scores(
    candidates: list[Candidate], probs: np.ndarray, not_digit: np.ndarray, line: float
) -> np.ndarray:
    """Log-score of each candidate as a digit: a digit, read right, shaped like it, tall enough."""
    digits = probs.argmax(axis=1)
    read = np.log(np.maximum(probs.max(axis=1) * (1.0 - not_digit), 1e-9))
    ratio = np.log(aspect_ratio(np.stack([c.input for c in candidates])))
    shape = -0.5 * ((ratio - ASPECT_LOG_MEAN[digits]) / ASPECT_LOG_STD[digits]) ** 2
    tall = np.array([(c.box[2] - c.box[0]) / line for c in candidates])
    short = -0.5 * (np.minimum(tall - SHORT, 0.0) / SHORT_SPREAD) ** 2
    return read + ASPECT_WEIGHT * shape + short + DIGIT_BONUS


def best_reading(
    atoms: list[Atom], candidates: list[Candidate], scores: np.ndarray, line: float
) -> list[int]:
    """Indices of the candidates that make the most probable reading (dynamic programme over
    atom positions and digit counts; a speck may be skipped)."""
    n = len(atoms)
    typical = float(np.median([a.area for a in atoms]))
    skippable = [
        a.area < SPECK_AREA * typical and a.bottom - a.top < SPECK_HEIGHT * line for a in atoms
    ]
    most = n + 1
    best = np.full((n + 1, most), -np.inf)
    best[0, 0] = 0.0
    back: dict[tuple[int, int], tuple[int, int, int]] = {}  # → (previous position, count, cand)
    ending: dict[int, list[int]] = {}
    for index, candidate in enumerate(candidates):
        ending.setdefault(candidate.stop, []).append(index)
    for stop in range(1, n + 1):
        for count in range(most):
            if skippable[stop - 1] and best[stop - 1, count] > best[stop, count]:
                best[stop, count] = best[stop - 1, count]
                back[stop, count] = (stop - 1, count, -1)
            if count == 0:
                continue
            for index in ending.get(stop, []):
                start = candidates[index].start
                total = best[start, count - 1] + scores[index]
                if total > best[stop, count]:
                    best[stop, count] = total
                    back[stop, count] = (start, count - 1, index)
    width = max(a.right for a in atoms) - min(a.left for a in atoms)
    expected = width / (DIGIT_WIDTH * line)
    prior = -0.5 * ((np.arange(most) - expected) / COUNT_SPREAD) ** 2
    count = int(np.argmax(best[n] + prior))
    chosen, position = [], n
    while position > 0:
        position, count, index = back[position, count]
        if index >= 0:
            chosen.append(index)
    return chosen[::-1]


def read_numbers(grays: Sequence[np.ndarray], classify: Classify) -> list[list[ReadDigit]]:
    """Each grayscale image → its digits left to right (an empty list when there is no ink)."""
    found = [analyse(gray) for gray in grays]
    lines = [line_height(ink) for ink in found]
    atoms = [
        atoms_of(ink, line) if ink.count else [] for ink, line in zip(found, lines, strict=True)
    ]
    candidates = [
        candidates_of(ink, parts, line)
        for ink, parts, line in zip(found, atoms, lines, strict=True)
    ]
    inputs = [c.input for image in candidates for c in image]
    if not inputs:
        return [[] for _ in grays]
    probs, not_digit = classify(np.stack(inputs))
    results, start = [], 0
    for ink, parts, image, line in zip(found, atoms, candidates, lines, strict=True):
        mine, junk = probs[start : start + len(image)], not_digit[start : start + len(image)]
        start += len(image)
        if not image:
            results.append([])
            continue
        chosen = best_reading(parts, image, candidate_scores(image, mine, junk, line), line)
        results.append(
            [
                ReadDigit(int(mine[i].argmax()), float(mine[i].max()), to_box(image[i].box, ink))
                for i in chosen
            ]
        )
    return results


def to_box(box: tuple[int, int, int, int], ink: Ink) -> Box:
    """Working-pixel (top, left, bottom, right) → Box in the input image's pixels."""
    top, left, bottom, right = (v / ink.scale for v in box)
    x, y = int(np.floor(left)), int(np.floor(top))
    return Box(x, y, max(1, int(np.ceil(right)) - x), max(1, int(np.ceil(bottom)) - y))


def read_number(gray: np.ndarray, classify: Classify) -> list[ReadDigit]:
    """One grayscale image → its digits left to right."""
    return read_numbers([gray], classify)[0]
