"""Dotted and dashed guide lines come off, handwriting and specks stay."""

import numpy as np
import pytest
from PIL import Image

from digits_core.dashes import crowded_rows, dashed_rules
from digits_core.forms import rule_mask
from digits_core.ink import analyse
from digits_core.runs import SKEWS


def digit_mask(image: np.ndarray, scale: int = 3) -> np.ndarray:
    """An MNIST digit enlarged `scale` times, as a binary ink mask."""
    size = (28 * scale, 28 * scale)
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR)) > 100


@pytest.fixture(scope="module")
def number(mnist_test: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Four MNIST test digits side by side on a wide mask page, a number on a form's field."""
    images, labels = mnist_test
    sheet = np.zeros((120, 560), dtype=bool)
    for index, digit in enumerate((3, 8, 2, 5)):
        mask = digit_mask(images[int(np.flatnonzero(labels == digit)[0])])
        sheet[10:94, 100 + 76 * index : 184 + 76 * index] |= mask
    return sheet


def guide_line(shape: tuple[int, int], row: int, dash: int, period: int, slope: float = 0.0):
    """A printed guide line 2 px thick along `row`: `dash` px of ink every `period` px."""
    line = np.zeros(shape, dtype=bool)
    for x in range(3, shape[1] - dash, period):
        y = row + round(slope * x)
        line[y : y + 2, x : x + dash] = True
    return line


@pytest.mark.parametrize(("dash", "period", "slope"), [(2, 6, 0.0), (8, 13, 0.0), (5, 9, 0.03)])
def test_a_guide_line_through_a_number_comes_off_and_the_strokes_stay(
    number: np.ndarray, dash: int, period: int, slope: float
) -> None:
    line = guide_line(number.shape, 80 - round(slope * 280), dash, period, slope)
    assert (number & line).any()
    found = rule_mask(number | line)
    assert found[line & ~number].mean() > 0.95
    # Strokes away from the line, and where they cross it, stay.
    assert not (found & number & ~line).any()
    assert (~found[number & line]).mean() > 0.5


def test_a_guide_line_below_a_number_is_not_read_as_ink(number: np.ndarray) -> None:
    line = guide_line(number.shape, 104, 6, 11)
    found, plain = (
        analyse(np.where(ink, 20.0, 235.0).astype(np.float32)) for ink in (number | line, number)
    )
    assert found.count == plain.count  # the digits' strokes, and no dash among them
    assert sorted(map(str, found.boxes)) == sorted(map(str, plain.boxes))


@pytest.mark.parametrize("seed", range(10))
def test_specks_along_a_band_are_not_a_rule(number: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    specks = np.zeros_like(number)
    # Specks scattered along one band of rows, not evenly spaced: grain or a dithered scan.
    for x in rng.uniform(0, 556, size=16).astype(int):
        y = 100 + int(rng.integers(-1, 2))
        specks[y : y + 2, x : x + 2] = True
    assert not dashed_rules(number | specks, 100, SKEWS).any()


def test_a_row_of_ones_is_not_a_dashed_rule() -> None:
    ones = np.zeros((60, 400), dtype=bool)
    for x in range(10, 390, 30):
        ones[10:50, x : x + 4] = True  # tall, evenly spaced: strokes, not pieces of a rule
    assert crowded_rows(ones)
    assert not dashed_rules(ones, 40, SKEWS).any()


def test_most_single_digits_skip_the_search(mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    images, _ = mnist_test
    crowded = [crowded_rows(digit_mask(image)) for image in images[:200]]
    assert sum(crowded) == 0
