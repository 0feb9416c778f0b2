"""The shipped reader's figures are measured as `/v1/read` reads: each line twice, then the
classifier's second opinion."""

from pathlib import Path

import numpy as np
import typer
from typer.testing import CliRunner

from digits_core.confidence import ConfidenceMap
from digits_core.model import DigitModel
from digits_core.reading import Box, ReadDigit, Reading
from training.data import DEFAULT_DATA_DIR
from training.lines import make_lines
from training.reader import Batches
from training.reader_calibrate import (
    CLASSIFIER,
    ValidationNumbers,
    exact,
    main,
    realistic_validation,
    remembered,
    surest_errors_text,
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
    numbers = realistic_validation(READER, 2, 5, DEFAULT_DATA_DIR, classify)
    conditions = numbers.conditions
    kinds = 1 + len(NUMBERS)  # numbers_spaced and the paperwork conditions
    assert len(conditions) == 2 * kinds and len(set(conditions)) == kinds
    cold, right = numbers.read(0.6)
    warm, _ = numbers.read(1.5)
    assert cold.shape == warm.shape == right.shape == (2 * kinds,)
    assert np.all((warm >= 0) & (warm <= 1)) and warm.sum() < cold.sum()
    assert right.sum() >= kinds


def test_surest_errors_name_the_rank_confidence_and_misreading() -> None:
    def reading(text: str, confidence: float) -> Reading:
        box = Box(0, 0, 1, 1)
        return Reading([ReadDigit(int(d), confidence, box) for d in text], confidence)

    answers = {"12": 0.99, "7302": 0.98, "55": 0.5, "99": 0.97}
    numbers = ValidationNumbers(
        readings=lambda temperature: [
            reading(t, c ** (1 / temperature)) for t, c in answers.items()
        ],
        labels=["12", "73102", "56", "99"],
        conditions=["touching", "touching", "touching", "comb"],
        alone=["12", "73102", "55", "99"],  # the "6" of 56 reads 5 even alone
    )
    text = surest_errors_text(numbers, 1.0, ConfidenceMap(), 5)
    assert "touching: 1 at 0.980000 (73102 read 7302), 2 at 0.500000 (56 read 55*)" in text
    assert "comb: none" in text
    # With a map, the confidence shown is the one the card's threshold is compared with.
    mapped = surest_errors_text(numbers, 1.0, ConfidenceMap(0.5, 1.0), 5)
    assert f"1 at {ConfidenceMap(0.5, 1.0)(0.98):.6f} (73102 read 7302)" in mapped


def test_only_a_wrong_reading_equal_to_the_digits_read_alone_counts_as_alone() -> None:
    numbers = ValidationNumbers(
        readings=lambda temperature: [],
        labels=["90", "3", "449"],
        conditions=["a", "a", "a"],
        alone=["90", "2", "449"],
    )
    assert numbers.as_alone(["90", "2", "447"]).tolist() == [False, True, False]


def test_the_documented_command_line_is_the_real_one() -> None:
    # docs/reading.md: `python -m training.reader_calibrate --surest-errors 5`
    app = typer.Typer(add_completion=False)
    app.command()(main)
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "--surest-errors" in result.output, result.output


def test_a_remembered_classifier_asks_only_for_crops_it_has_not_seen() -> None:
    model = DigitModel.load(CLASSIFIER)
    asked: list[int] = []

    def classify(crops: np.ndarray) -> np.ndarray:
        asked.append(len(crops))
        return model.predict_batch(crops)

    crops = np.random.default_rng(3).random((5, 28, 28), dtype=np.float32)
    once = remembered(classify)
    first = once(crops[[0, 1, 1, 2]])
    again = once(crops[[2, 3, 0, 4]])
    assert asked == [3, 2]  # each distinct crop classified once
    assert np.allclose(first, model.predict_batch(crops[[0, 1, 1, 2]]), atol=1e-6)
    assert np.allclose(again, model.predict_batch(crops[[2, 3, 0, 4]]), atol=1e-6)
    assert once(crops[:0]).shape == (0, 10)
