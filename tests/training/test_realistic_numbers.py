"""Number layouts: neighbours overlap, but never hide a digit (training.realistic_numbers)."""

from itertools import pairwise

import numpy as np
import pytest

from training import realistic_numbers
from training.realistic_forms import ink_of, layer
from training.realistic_numbers import MOST_HIDDEN, beside, line_ink


def block(width: int) -> np.ndarray:
    """A 28×28 digit image holding one solid block `width` columns wide (white on black)."""
    image = np.zeros((28, 28), np.uint8)
    left = (28 - width) // 2
    image[4:24, left : left + width] = 255
    return image


def test_beside_moves_a_digit_off_its_neighbour() -> None:
    # A 10 px digit may cover 3 px of a 40 px neighbour ending at 100: no further left than 97.
    assert beside(80.0, 10, 100.0, 40) == 100.0 - MOST_HIDDEN * 10
    assert beside(99.0, 10, 100.0, 40) == 99.0  # already within the share: left as it is
    assert beside(5.0, 10, -np.inf, 0) == 5.0  # the first digit has no neighbour


def test_a_narrow_digit_between_wide_ones_stays_in_sight() -> None:
    wide, narrow = block(20), block(3)
    tall, stroke = 60, 0.2
    width_of = [ink_of(np.random.default_rng(0), d, tall, stroke).shape[1] for d in (wide, narrow)]
    # Overlaps of half a digit height would hide the narrow digit whole; the cap keeps 40 %.
    line = line_ink(
        np.random.default_rng(1),
        [wide, narrow, wide],
        tall,
        [0.0, -0.5, -0.5],
        size_jitter=0.0,
        stroke=stroke,
        stroke_jitter=0.0,
    )
    expected = 2 * width_of[0] + width_of[1] * (1 - 2 * MOST_HIDDEN)
    assert abs(line.shape[1] - expected) <= 3


def test_cell_rows_never_stack_two_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks as wide as a cell, shifted off-centre by up to 0.3 of it, would often cover
    # each other; every neighbour's overlap stays within MOST_HIDDEN of the narrower block.
    placed: list[tuple[float, int]] = []

    def recorded(shape: tuple[int, int], alpha: np.ndarray, top: float, left: float) -> np.ndarray:
        placed.append((left, alpha.shape[1]))
        return layer(shape, alpha, top, left)

    monkeypatch.setattr(realistic_numbers, "layer", recorded)
    for seed in range(30):
        placed.clear()
        realistic_numbers.cells_row(np.random.default_rng(seed), [block(20)] * 6, closed=True)
        for (left, width), (next_left, next_width) in pairwise(placed):
            assert left + width - next_left <= MOST_HIDDEN * min(width, next_width) + 1e-6
