"""Augmentation keeps the input contract and actually changes the images."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.train

from training.augment import augment_batch, random_stroke_width  # noqa: E402
from training.data import load_split  # noqa: E402


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_split("test").inputs()[:64]


def test_output_keeps_shape_dtype_and_range(digits: np.ndarray) -> None:
    tf.random.set_seed(0)
    out = augment_batch(tf.constant(digits)).numpy()
    assert out.shape == digits.shape
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_every_image_is_changed_but_keeps_its_ink(digits: np.ndarray) -> None:
    tf.random.set_seed(0)
    out = augment_batch(tf.constant(digits)).numpy()
    changed = np.abs(out - digits).reshape(len(digits), -1).max(axis=1)
    assert (changed > 0.05).all()
    ink_ratio = out.reshape(len(out), -1).sum(axis=1) / digits.reshape(len(digits), -1).sum(axis=1)
    assert (ink_ratio > 0.2).all() and (ink_ratio < 5).all()


def test_stroke_width_dilates_and_erodes(digits: np.ndarray) -> None:
    tf.random.set_seed(0)
    out = random_stroke_width(tf.constant(digits)).numpy()
    ink_in = digits.reshape(len(digits), -1).sum(axis=1)
    ink_out = out.reshape(len(out), -1).sum(axis=1)
    assert (ink_out > ink_in * 1.2).any(), "some pens should get thicker"
    assert (ink_out < ink_in * 0.8).any(), "some pens should get thinner"
    assert np.isclose(ink_out, ink_in).any(), "some images should be left alone"
