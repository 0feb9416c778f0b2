"""Non-digit candidates for the 11th class, made from training digits as segmentation cuts."""

import numpy as np
import pytest

from training.fragments import not_digits, side_part, slivered, usable


def aspect_ratio(inputs: np.ndarray) -> np.ndarray:
    """Width / height of the inked extent of 28×28 inputs."""
    inked = np.asarray(inputs) > 0.25
    rows, cols = inked.any(axis=2), inked.any(axis=1)
    return cols.sum(axis=1) / np.maximum(rows.sum(axis=1), 1)


def test_not_digits_are_deterministic_model_inputs(
    mnist_train: tuple[np.ndarray, np.ndarray],
) -> None:
    images = mnist_train[0][:2000]
    made = not_digits(images, 200, seed=5)
    assert made.shape == (200, 28, 28) and made.dtype == np.float32
    assert made.min() >= 0 and made.max() <= 1
    assert (made.reshape(200, -1).max(axis=1) > 0.5).all()  # every one has ink
    np.testing.assert_array_equal(made, not_digits(images, 200, seed=5))
    assert not np.array_equal(made, not_digits(images, 200, seed=6))


def test_pairs_and_chunks_make_non_digits_wider_than_digits(
    mnist_train: tuple[np.ndarray, np.ndarray],
) -> None:
    images, _ = mnist_train
    made = not_digits(images[:2000], 400, seed=1)
    digits = images[:400] / 255.0
    # Two digits side by side are wider than one: the median shape differs clearly.
    assert np.median(aspect_ratio(made)) > 1.3 * np.median(aspect_ratio(digits))


def test_thin_upright_parts_are_left_out_as_they_look_like_a_one() -> None:
    bar = np.ones((20, 4), np.float32)
    assert not usable(bar, side_part)
    assert usable(np.ones((20, 14), np.float32), side_part)


def test_slivered_digits_keep_their_labels(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = mnist_train
    made, made_labels = slivered(images[:1000], labels[:1000], 100, seed=2)
    assert made.shape == (100, 28, 28)
    assert set(np.unique(made_labels)) <= set(range(10))
    assert made_labels.dtype == labels.dtype


@pytest.mark.parametrize("seed", [0, 1])
def test_slivers_are_thin(mnist_train: tuple[np.ndarray, np.ndarray], seed: int) -> None:
    images, labels = mnist_train
    made, _ = slivered(images[:1000], labels[:1000], 200, seed=seed)
    # A digit plus at most a tenth of a neighbour stays close to a digit's shape.
    assert np.median(aspect_ratio(made)) < 1.1
