"""digits_core.morphology gives what scipy.ndimage gave (scipy comes with the train extra), on
hand-made shapes and on random masks and images of many sizes."""

import numpy as np
import pytest
from scipy import ndimage

from digits_core import morphology

SEEDS = range(40)


def random_mask(rng: np.random.Generator) -> np.ndarray:
    """Blobs, strokes and specks: random points grown 0–2 times, 1–60 px a side."""
    height, width = rng.integers(1, 60, 2)
    points = rng.random((height, width)) > rng.uniform(0.75, 1.0)
    grown = int(rng.integers(0, 3))
    return ndimage.binary_dilation(points, iterations=grown) if grown else points


def test_diagonal_neighbours_join_only_eight_connected() -> None:
    mask = np.eye(4, dtype=bool)
    assert morphology.label(mask)[1] == 4
    labels, count = morphology.label(mask, eight=True)
    assert count == 1 and (labels[mask] == 1).all() and (labels[~mask] == 0).all()


def test_labels_are_numbered_by_first_pixel_in_raster_order() -> None:
    mask = np.zeros((5, 6), dtype=bool)
    mask[3:, 0] = True  # first pixel (3, 0)
    mask[0, 4:] = True  # first pixel (0, 4)
    mask[1:3, 1] = True  # first pixel (1, 1)
    labels, count = morphology.label(mask)
    assert count == 3
    assert (labels[0, 4], labels[1, 1], labels[3, 0]) == (1, 2, 3)


def test_an_empty_mask_has_no_components() -> None:
    labels, count = morphology.label(np.zeros((3, 4), dtype=bool), eight=True)
    assert count == 0 and labels.shape == (3, 4) and not labels.any()
    assert morphology.boxes(labels, count) == []


def test_a_ring_is_filled_but_a_notched_ring_is_not() -> None:
    ring = np.zeros((7, 7), dtype=bool)
    ring[1:6, 1:6] = True
    ring[2:5, 2:5] = False
    assert morphology.fill_holes(ring)[1:6, 1:6].all()
    notched = ring.copy()
    notched[3, 5] = False  # the hole now reaches the border 4-connected
    assert not morphology.fill_holes(notched)[3, 3]


def spiral(side: int) -> np.ndarray:
    """A one-pixel square spiral: one component whose runs join in a long chain."""
    mask = np.zeros((side, side), dtype=bool)
    top, left, bottom, right = 0, 0, side - 1, side - 1
    while top <= bottom and left <= right:
        mask[top, left : right + 1] = mask[top : bottom + 1, right] = True
        mask[bottom, left : right + 1] = True
        mask[top + 2 : bottom + 1, left] = True
        top, left, bottom, right = top + 2, left + 2, bottom - 2, right - 2
        if top <= bottom:
            mask[top - 1, left] = True  # the step into the next turn
    return mask


def comb(teeth: int) -> np.ndarray:
    """Teeth joined only by a bar at the bottom, and diagonal staircases between them."""
    mask = np.zeros((40, 4 * teeth), dtype=bool)
    mask[:, ::4] = True
    mask[-1] = True
    for start in range(2, 4 * teeth - 4, 8):
        mask[np.arange(20), start + np.arange(20) % 2] = True
    return mask


@pytest.mark.parametrize("mask", [spiral(61), spiral(200), comb(50), ~spiral(61), ~comb(50)])
def test_long_chains_of_runs_label_like_ndimage(mask: np.ndarray) -> None:
    for eight in (False, True):
        expected, count = ndimage.label(mask, structure=np.ones((3, 3)) if eight else None)
        labels, found = morphology.label(mask, eight)
        assert found == count
        np.testing.assert_array_equal(labels, expected)


def test_a_page_of_specks_labels_like_ndimage() -> None:
    rng = np.random.default_rng(3)
    mask = ndimage.binary_dilation(rng.random((600, 500)) < 0.004, iterations=2)
    for eight in (False, True):
        expected, count = ndimage.label(mask, structure=np.ones((3, 3)) if eight else None)
        labels, found = morphology.label(mask, eight)
        assert found == count > 500
        np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_labels_boxes_and_medians_match_ndimage(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mask = random_mask(rng)
    for eight in (False, True):
        expected, count = ndimage.label(mask, structure=np.ones((3, 3)) if eight else None)
        labels, found = morphology.label(mask, eight)
        assert found == count and labels.dtype == np.int32
        np.testing.assert_array_equal(labels, expected)
    if count:
        assert morphology.boxes(expected, count) == ndimage.find_objects(expected, count)
        values = rng.integers(0, 6, mask.shape)
        index = np.arange(1, count + 1)
        np.testing.assert_array_equal(
            morphology.median_by_label(values, expected, count),
            ndimage.median(values, expected, index=index),
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_filters_match_ndimage(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mask = random_mask(rng)
    image = (rng.random(mask.shape) * rng.uniform(1, 300)).astype(np.float32)
    for size in (*range(1, 12), 16, 23, 40):
        # Windows wider than the image too: the edges are reflected more than once.
        np.testing.assert_array_equal(
            morphology.grey_closing(image, size),
            ndimage.grey_closing(image, size=(size, size), mode="reflect"),
        )
    for size in (1, 3, 5, 9, 15):
        np.testing.assert_array_equal(
            morphology.max_filter(mask, size), ndimage.maximum_filter(mask, size=size)
        )
        for axis in (0, 1):
            np.testing.assert_array_equal(
                morphology.extreme_1d(mask, size, axis, np.maximum),
                ndimage.maximum_filter1d(mask, size, axis=axis),
            )
    np.testing.assert_array_equal(
        morphology.mean_3x3(image), ndimage.uniform_filter(image, size=3, mode="nearest")
    )
    for times in (1, 2, 3):
        np.testing.assert_array_equal(
            morphology.dilate(mask, times), ndimage.binary_dilation(mask, iterations=times)
        )
    np.testing.assert_array_equal(morphology.fill_holes(mask), ndimage.binary_fill_holes(mask))
