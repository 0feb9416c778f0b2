"""The shipped reader's figures are measured as `/v1/read` reads: each line twice, then the
classifier's second opinion."""

from pathlib import Path

import numpy as np

from digits_core.model import DigitModel
from training.data import DEFAULT_DATA_DIR
from training.lines import make_lines
from training.reader import Batches
from training.reader_calibrate import (
    CLASSIFIER,
    exact,
    realistic_validation,
)
from training.realistic_numbers import NUMBERS

READER = Path(__file__).resolve().parents[2] / "models" / "reader.onnx"


def test_synthetic_lines_of_test_digits_read_mostly_right(
    mnist_test: tuple[np.ndarray, np.ndarray],
) -> None:
    images, labels = mnist_test
    pixels, texts, _ = make_lines(images[:400], labels[:400], 24, seed=11)
    classify = DigitModel.load(CLASSIFIER).predict_batch
    for second in (None, classify):
        assert 0.6 <= exact(READER, Batches(pixels, texts), 1.0, second) <= 1.0
        # A line whose text is replaced by another cannot be read "right".
        wrong = [text[::-1] + "1" for text in texts]
        assert exact(READER, Batches(pixels, wrong), 1.0, second) == 0.0


def test_validation_numbers_give_confidences_and_right_flags_per_temperature() -> None:
    classify = DigitModel.load(CLASSIFIER).predict_batch
    read, conditions = realistic_validation(READER, 2, 5, DEFAULT_DATA_DIR, classify)
    kinds = 1 + len(NUMBERS)  # numbers_spaced and the paperwork conditions
    assert len(conditions) == 2 * kinds and len(set(conditions)) == kinds
    cold, right = read(0.6)
    warm, _ = read(1.5)
    assert cold.shape == warm.shape == right.shape == (2 * kinds,)
    assert np.all((warm >= 0) & (warm <= 1)) and warm.sum() < cold.sum()
    assert right.sum() >= kinds
