"""The classifier's second opinion on a read number: each digit cut out by its own strokes
(touching digits by their columns), one classifier call, opinions pooled."""

import numpy as np
import pytest

from digits_core.contract import BLANK, LINE_HEIGHT
from digits_core.imaging import fit_to_mnist
from digits_core.reading import Box, Line, ReadDigit, Reading
from digits_core.second_opinion import digit_crops, pooled_reading, second_opinions


def line_with(strokes: list[tuple[int, int]], width: int = 96) -> Line:
    """A line whose strokes are solid bars over the given column ranges (rows 4..28)."""
    pixels = np.zeros((LINE_HEIGHT, width), np.float32)
    for first, last in strokes:
        pixels[4:28, first:last] = 1.0
    return Line(pixels, 0.0, 0.0, 1.0)


def read_digit(digit: int, columns: tuple[int, int], scores: dict[int, float]) -> ReadDigit:
    frame = np.zeros(BLANK, np.float32)
    for d, p in scores.items():
        frame[d] = p
    return ReadDigit(digit, float(frame[digit]), Box(0, 0, 1, 1), frame, columns)


def sure(digit: int) -> dict[int, float]:
    return {digit: 0.98, (digit + 1) % 10: 0.01}


def test_each_digit_is_cut_out_by_its_own_strokes() -> None:
    line = line_with([(10, 20), (40, 48), (70, 90)])
    digits = [read_digit(1, (0, 32), sure(1)), read_digit(2, (32, 60), sure(2))]
    digits.append(read_digit(3, (60, 96), sure(3)))
    crops = digit_crops(line, digits)
    assert all(crop is not None and crop.shape == (28, 28) for crop in crops)
    for crop, (first, last) in zip(crops, [(10, 20), (40, 48), (70, 90)], strict=True):
        expected = fit_to_mnist(line.pixels[4:28, first:last])
        assert np.array_equal(crop, expected)


def test_digits_sharing_a_stroke_are_cut_at_their_columns() -> None:
    # Digits 1 and 2 touch: one stroke from column 20 to 44 crosses their border at 32.
    line = line_with([(20, 44), (70, 90)])
    digits = [read_digit(1, (0, 32), sure(1)), read_digit(2, (32, 60), sure(2))]
    digits.append(read_digit(3, (60, 96), sure(3)))
    crops = digit_crops(line, digits)
    for crop, (first, last) in zip(crops, [(20, 32), (32, 44), (70, 90)], strict=True):
        assert crop is not None
        assert np.array_equal(crop, fit_to_mnist(line.pixels[4:28, first:last]))


def test_a_digit_with_no_strokes_of_its_own_has_no_second_opinion() -> None:
    line = line_with([(10, 20)])
    digits = [read_digit(1, (0, 32), sure(1)), read_digit(2, (32, 96), sure(2))]
    assert digit_crops(line, digits)[1] is None


def test_a_sure_classifier_turns_an_unsure_reader_digit() -> None:
    line = line_with([(10, 20), (40, 48)])
    # The reader: 3 at 0.5 against 8 at 0.4 (the blank has 0.1); then a sure 7.
    reading = Reading(
        [read_digit(3, (0, 32), {3: 0.5, 8: 0.4}), read_digit(7, (32, 96), sure(7))], 0.3, line
    )
    opinions = [np.full(10, 0.002), np.full(10, np.nan)]
    opinions[0][8] = 0.982
    pooled = pooled_reading(reading, opinions)
    assert pooled.text == "87"
    # P(a digit at the frame) 0.9 × the normalised geometric mean's share of 8.
    eight, three = np.sqrt(0.4 / 0.9 * 0.982), np.sqrt(0.5 / 0.9 * 0.002)
    assert pooled.digits[0].confidence == pytest.approx(0.9 * eight / (eight + three), rel=1e-5)
    # Without an opinion a digit keeps the reader's digit and confidence.
    assert pooled.digits[1].digit == 7
    assert pooled.digits[1].confidence == pytest.approx(0.98, rel=1e-6)
    # The string's confidence takes the new digit confidence in place of the old.
    assert pooled.confidence == pytest.approx(0.3 * pooled.digits[0].confidence / 0.5, rel=1e-6)


def test_all_digits_of_all_readings_go_in_one_classifier_call() -> None:
    calls = []

    def classify(inputs: np.ndarray) -> np.ndarray:
        calls.append(inputs.shape)
        probabilities = np.full((len(inputs), 10), 0.001, np.float32)
        probabilities[:, 5] = 0.991
        return probabilities

    spaced = Reading(
        [read_digit(1, (0, 32), sure(1)), read_digit(2, (32, 96), sure(2))],
        0.9,
        line_with([(10, 20), (40, 48)]),
    )
    touching = Reading(
        [read_digit(4, (0, 32), sure(4)), read_digit(6, (32, 96), sure(6))],
        0.9,
        line_with([(20, 44)]),
    )
    nothing = Reading([], 0.0)
    found = second_opinions([spaced, touching, nothing], classify)
    assert calls == [(4, 28, 28, 1)]
    assert found[2] is nothing
    # Sure reader digits hold against a sure classifier that disagrees: still unsure, the
    # touching digits as much as the spaced ones.
    assert all(digit.confidence < 0.9 for digit in found[0].digits + found[1].digits)
    # The touching 4 had 5 as the reader's second choice, which the classifier is sure of.
    assert [d.digit for d in found[1].digits] == [5, 6]


def test_no_digit_with_ink_means_no_classifier_call() -> None:
    def classify(inputs: np.ndarray) -> np.ndarray:
        raise AssertionError("no call expected")

    # The reader found digits where the line has no ink left (e.g. its strokes were faint).
    inkless = Reading(
        [read_digit(4, (0, 32), sure(4)), read_digit(6, (32, 96), sure(6))],
        0.9,
        line_with([]),
    )
    assert second_opinions([inkless], classify)[0] is inkless
