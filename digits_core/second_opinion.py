"""A read number's second opinion: the classifier re-reads every digit whose ink is its own.

The reader reads a line as a whole, and most of its misses take one digit for another (46 of
68 on validation numbers kept the string's length). The classifier, trained on single digits,
rarely does that on a digit it sees alone. So every digit the reader found is cut out of the
line by its own strokes (the connected ink that lies in the columns the reader aligned with
it) and classified, all digits of all lines in ONE classifier call, and the two opinions are
pooled as for a single digit (`digits_core.single.pooled`). A digit whose strokes run into a
neighbour's columns (touching digits) cannot be cut out whole, so there the reader's opinion
stands alone.

A digit's confidence is P(the reader sees a digit at its surest frame) × P(it is this digit,
pooled); without a second opinion that is exactly the reader's peak score. The string's
confidence takes each digit's new confidence in place of its old one.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from digits_core import morphology
from digits_core.contract import CLASSES
from digits_core.imaging import fit_to_mnist
from digits_core.reading import Line, ReadDigit, Reading
from digits_core.single import pooled

STROKE_LEVEL = 0.2  # line pixels at least this bright are strokes
SHARED = 0.2  # a stroke with more of its ink than this outside its digit's columns is shared

# Classifier inputs [N, 28, 28, 1] → softmax over the ten digits [N, 10]: the classifier model.
Classify = Callable[[np.ndarray], np.ndarray]


def own_ink(line: Line, digits: Sequence[ReadDigit]) -> list[np.ndarray | None]:
    """Each digit's own strokes as a 28×28 classifier input; None for a digit that shares a
    stroke with a neighbour, or has none."""
    strokes, count = morphology.label(line.pixels >= STROKE_LEVEL, eight=True)
    starts = np.array([digit.columns[0] for digit in digits[1:]])
    owner_of_column = np.searchsorted(starts, np.arange(line.pixels.shape[1]), side="right")
    # ink[s, d]: how much of stroke s lies in digit d's columns.
    pairs = strokes * len(digits) + owner_of_column[np.newaxis, :]
    ink = np.bincount(
        pairs.ravel(), weights=line.pixels.ravel(), minlength=(count + 1) * len(digits)
    ).reshape(count + 1, len(digits))[1:]
    owner = ink.argmax(axis=1)
    shared = ink.sum(axis=1) - ink.max(axis=1) > SHARED * ink.sum(axis=1)
    inputs: list[np.ndarray | None] = []
    for index in range(len(digits)):
        mine = np.flatnonzero(owner == index)
        if mine.size == 0 or shared[mine].any():
            inputs.append(None)
            continue
        chosen = np.zeros(count + 1, dtype=bool)
        chosen[mine + 1] = True
        own = np.where(chosen[strokes], line.pixels, 0.0)
        rows, cols = np.flatnonzero(own.any(axis=1)), np.flatnonzero(own.any(axis=0))
        inputs.append(fit_to_mnist(own[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]))
    return inputs


def second_opinions(readings: Sequence[Reading], classify: Classify) -> list[Reading]:
    """The readings with every separable digit's opinion pooled with the classifier's."""
    inputs = [
        own_ink(reading.line, reading.digits) if reading.line is not None and reading.digits else []
        for reading in readings
    ]
    crops = [crop for found in inputs for crop in found if crop is not None]
    if not crops:
        return list(readings)
    opinions = iter(classify(np.stack(crops)[..., np.newaxis]))
    none = np.full(CLASSES, np.nan)
    return [
        pooled_reading(reading, [none if crop is None else next(opinions) for crop in found])
        for reading, found in zip(readings, inputs, strict=True)
    ]


def pooled_reading(reading: Reading, opinions: list[np.ndarray]) -> Reading:
    """One reading with its digits' classifier opinions (NaN rows: none) pooled in."""
    if np.isnan(opinions).all():  # also a reading without digits
        return reading
    seen = np.stack([digit.frame_scores for digit in reading.digits])
    present = seen.sum(axis=1)  # P(a digit, not the blank) at each digit's surest frame
    both = pooled(seen / present[:, np.newaxis], np.stack(opinions))
    digits, confidence = [], reading.confidence
    for digit, probabilities, mass in zip(reading.digits, both, present, strict=True):
        chosen = int(probabilities.argmax())
        sure = float(probabilities[chosen] * mass)
        confidence *= sure / digit.confidence
        digits.append(replace(digit, digit=chosen, confidence=sure))
    return Reading(digits, min(confidence, 1.0), reading.line)
