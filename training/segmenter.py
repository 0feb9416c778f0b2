"""The segmenter that served /v1/read before the number reader (`digits_core.reading`), kept
as the baseline the realistic report scores the reader against: one image → its digits left
to right, each with a box and a confidence.

Segmentation by recognition. The ink's components (`digits_core.ink`) are the atoms; a component
wider than a digit is also cut at the columns with least ink, so touching digits come apart.
Every run of neighbouring atoms that may be one digit is a candidate; all candidates of all
images go through the classifier in one call, and a dynamic programme picks, per image, the
reading that is most probable as a whole: every chosen candidate a digit at all (the model's
"not a digit" output), read right, and about as tall as the line. A broken digit is thus the
run of its pieces, touching digits are the pieces between cuts, and specks are skipped. The
classifier is passed in (`classify`), so this module knows nothing of the service.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import ndimage

from digits_core.imaging import fit_to_mnist
from digits_core.ink import Ink, analyse
from digits_core.reading import Box, ReadDigit

# [N, 28, 28] float32 inputs → (probabilities [N, 10], P(not a digit) [N])
Classify = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

MAX_RUN = 4  # atoms in one digit at most (a digit broken twice, or cut into three)
JOIN_GAP = 0.3  # a short piece joins a digit up to this share of the line height away
FRAGMENT_HEIGHT = 0.6  # a piece shorter than this share of the line height is short
SPLIT_WIDTH = 0.6  # components wider than this share of the line height may be several digits
CUT_HEIGHT = 0.7  # ... when they are at least this tall (a shorter one is a piece of a digit)
MIN_PIECE = 0.15  # a cut leaves pieces at least this many line heights wide (a "1")
CUT_SPACING = 0.45  # one candidate cut per this many line heights of the component's width
SPECK_AREA = 0.15  # an atom below this share of the median atom area may be skipped as a speck
SPECK_HEIGHT = 0.4  # ... when it is also shorter than this share of the line
SHORT = 0.75  # a digit shorter than this share of the line height is penalised ...
SHORT_SPREAD = 0.12  # ... by a Gaussian of this spread


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
    """Log-probability of each candidate being a digit and read right, less a penalty when it
    is much shorter than the line (a piece of a digit)."""
    read = np.log(np.maximum(probs.max(axis=1) * (1.0 - not_digit), 1e-9))
    tall = np.array([(c.box[2] - c.box[0]) / line for c in candidates])
    return read - 0.5 * (np.minimum(tall - SHORT, 0.0) / SHORT_SPREAD) ** 2


def best_reading(
    atoms: list[Atom], candidates: list[Candidate], scores: np.ndarray, line: float
) -> list[int]:
    """Indices of the candidates that make the most probable reading: a dynamic programme over
    atom positions, where a speck may be skipped."""
    typical = float(np.median([a.area for a in atoms]))
    best = np.full(len(atoms) + 1, -np.inf)
    best[0] = 0.0
    back = [(0, -1)] * (len(atoms) + 1)  # position → (previous position, candidate or -1)
    ending: dict[int, list[int]] = {}
    for index, candidate in enumerate(candidates):
        ending.setdefault(candidate.stop, []).append(index)
    for stop, atom in enumerate(atoms, start=1):
        speck = atom.area < SPECK_AREA * typical and atom.bottom - atom.top < SPECK_HEIGHT * line
        if speck:
            best[stop], back[stop] = best[stop - 1], (stop - 1, -1)
        for index in ending.get(stop, []):
            start = candidates[index].start
            if best[start] + scores[index] > best[stop]:
                best[stop], back[stop] = best[start] + scores[index], (start, index)
    chosen, position = [], len(atoms)
    while position > 0:
        position, index = back[position]
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
        # A digit's confidence is the probability that it is a digit and this one.
        sure = mine.max(axis=1) * (1.0 - junk)
        results.append(
            [
                ReadDigit(int(mine[i].argmax()), float(sure[i]), to_box(image[i].box, ink))
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
