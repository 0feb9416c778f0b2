"""Run lengths along rows, straight and sheared, and the slope of a page fed askew."""

import numpy as np
import pytest
from scipy import ndimage

from digits_core.runs import SKEWS, askew_slopes, bridged, runs, skewed_runs


def test_runs_measure_each_pixels_horizontal_run() -> None:
    mask = np.array([[1, 1, 0, 1, 1, 1], [0, 1, 0, 0, 0, 0]], dtype=bool)
    assert runs(mask).tolist() == [[2, 2, 0, 3, 3, 3], [0, 1, 0, 0, 0, 0]]


def test_runs_do_not_continue_onto_the_next_row() -> None:
    mask = np.array([[0, 1, 1], [1, 1, 0]], dtype=bool)
    assert runs(mask).tolist() == [[0, 2, 2], [2, 2, 0]]
    assert runs(mask.T).T.tolist() == [[0, 2, 1], [1, 2, 0]]


@pytest.mark.parametrize("axis", [0, 1])
def test_bridging_is_a_binary_closing_with_a_three_pixel_line(axis: int) -> None:
    rng = np.random.default_rng(axis)
    line = np.ones((3, 1) if axis == 0 else (1, 3), dtype=bool)
    for _ in range(50):
        mask = rng.random(tuple(rng.integers(1, 40, 2))) < rng.random()
        closed = mask | ndimage.binary_closing(mask, structure=line)
        assert np.array_equal(bridged(mask, axis), closed)


def test_a_rule_scanned_askew_is_one_long_run() -> None:
    mask = np.zeros((20, 100), dtype=bool)
    columns = np.arange(100)
    mask[5 + np.round(0.03 * columns).astype(int), columns] = True
    assert runs(mask).max() <= 34  # it steps down a row every ~33 columns
    assert skewed_runs(mask)[mask].min() == 100


def rules_at(slope: float, width: int = 600) -> np.ndarray:
    """Two thin rules at `slope` across a page, with a few specks of grain."""
    mask = np.zeros((200, width), dtype=bool)
    columns = np.arange(width)
    for top in (40, 120):
        mask[top + np.round(slope * columns).astype(int), columns] = True
    mask[np.random.default_rng(0).integers(0, 200, 60), np.arange(60) * 10] = True
    return mask


@pytest.mark.parametrize("slope", [-0.085, -0.052, 0.041, 0.07])
def test_the_slope_of_a_form_fed_askew_is_found(slope: float) -> None:
    found = askew_slopes(rules_at(slope))
    assert len(found) == 3 and abs(found[1] - slope) <= 0.001


@pytest.mark.parametrize("slope", [0.0, 0.012, -0.03])
def test_within_the_finders_own_slopes_nothing_is_added(slope: float) -> None:
    assert askew_slopes(rules_at(slope)) == ()


def test_a_page_without_straight_rows_adds_no_slope() -> None:
    speckled = np.random.default_rng(1).random((200, 600)) < 0.05
    assert askew_slopes(speckled) == ()
    assert max(SKEWS) < 0.041  # the askew cases above are beyond the finder's own slopes
