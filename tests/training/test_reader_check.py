"""The held-out check reads another validation draw at the card's threshold and records what
it saw in the card."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import typer
from typer.testing import CliRunner

from digits_core.reading import Box, ReadDigit, Reading
from training.card import read_card, update_card
from training.reader_calibrate import digit_answers
from training.reader_calibrate import main as calibrate
from training.reader_check import below_target, digit_rows, held_out_rows, main
from training.realistic_numbers import NUMBERS

READER = Path(__file__).resolve().parents[2] / "models" / "reader.onnx"


def test_rows_count_wrong_answers_only_above_the_threshold() -> None:
    confidence = np.array([0.99, 0.98, 0.5, 0.97, 0.2, 0.95])
    right = np.array([True, False, False, True, True, False])
    # Wrong the way the digits read alone: one unflagged (the last), one flagged (the third).
    alike = np.array([False, False, True, False, False, True])
    rows = held_out_rows(confidence, right, alike, ["a", "a", "a", "b", "b", "b"], 0.9)
    assert rows == {
        "a": {
            "count": 3,
            "exact": 0.3333,
            "wrong_as_alone": 1,
            "unflagged": 2,
            "wrong_unflagged": 1,
            "wrong_unflagged_as_alone": 0,
        },
        "b": {
            "count": 3,
            "exact": 0.6667,
            "wrong_as_alone": 1,
            "unflagged": 2,
            "wrong_unflagged": 1,
            "wrong_unflagged_as_alone": 1,
        },
    }


def test_a_digit_is_right_where_the_reading_aligns_with_its_number() -> None:
    box = Box(0, 0, 1, 1)

    def reading(text: str, sure: list[float]) -> Reading:
        return Reading([ReadDigit(int(c), s, box) for c, s in zip(text, sure, strict=True)], 0.5)

    found = [
        reading("42", [0.9, 0.8]),  # the 7 read as a 2
        reading("4917", [0.7, 0.6, 0.5, 0.4]),  # a 9 too many
        reading("3", [0.3]),  # a digit missed: nothing to judge
        reading("", []),
    ]
    confidence, right, conditions = digit_answers(
        found, ["47", "417", "53", "8"], ["a", "b", "c", "d"]
    )
    assert confidence.tolist() == [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
    assert right.tolist() == [True, False, True, False, True, True, True]
    assert conditions.tolist() == ["a", "a", "b", "b", "b", "b", "c"]


def test_digit_rows_count_wrong_digits_only_above_the_threshold() -> None:
    confidence = np.array([0.99, 0.98, 0.5, 0.97])
    right = np.array([True, False, False, True])
    rows = digit_rows(confidence, right, np.array(["a", "a", "a", "b"]), 0.9)
    assert rows == {
        "a": {"digits": 3, "unflagged": 2, "wrong_unflagged": 1},
        "b": {"digits": 1, "unflagged": 1, "wrong_unflagged": 0},
    }
    assert below_target(rows, "wrong_unflagged") == ["a"]


def copied_reader(folder: Path) -> Path:
    """The shipped reader and its card, copied where a command may rewrite the card."""
    model = folder / "reader.onnx"
    shutil.copy(READER, model)
    shutil.copy(READER.with_suffix(".json"), model.with_suffix(".json"))
    return model


def run(command: Callable[..., None], options: list[str]) -> None:
    app = typer.Typer(add_completion=False)
    app.command()(command)
    result = CliRunner().invoke(app, options)
    assert result.exit_code == 0, result.output


def test_a_tiny_draw_is_read_and_written_into_the_card(tmp_path: Path) -> None:
    model = copied_reader(tmp_path)
    run(main, ["--model", str(model), "--count", "2", "--seed", "9"])
    check = read_card(model)["held_out_check"]
    assert (
        check["threshold"]
        == json.loads(READER.with_suffix(".json").read_text())["confidence_threshold"]
    )
    assert len(check["per_condition"]) == 1 + len(NUMBERS)
    assert all(row["count"] == 2 for row in check["per_condition"].values())
    assert "seed 9" in check["set"]
    assert 0.0 <= check["ece"] <= 1.0 and 0.0 <= check["digit_ece"] <= 1.0
    assert check["digit_threshold"] == read_card(model)["digit_threshold"]
    assert set(check["digits_per_condition"]) == set(check["per_condition"])


def test_a_recalibration_drops_the_check_made_at_the_old_threshold(tmp_path: Path) -> None:
    model = copied_reader(tmp_path)
    update_card(model, held_out_check={"threshold": 0.5})
    run(calibrate, ["--model", str(model), "--calibration-count", "2", "--test-lines", "8"])
    card = read_card(model)
    assert card["held_out_check"] is None
    # What serving reads: the map, and the string's and the digits' thresholds.
    assert set(card["confidence_map"]) == {"slope", "intercept"}
    assert card["confidence_map"]["slope"] > 0
    assert 0.5 <= card["confidence_threshold"] <= 1.0
    assert 0.0 < card["digit_threshold"] <= 1.0
    # The digits' threshold is chosen on the digits read, and says what it leaves unflagged.
    digits = card["calibration"]["digits"]
    assert digits["count"] > 0 and set(digits["per_condition"]) == set(NUMBERS) | {"numbers_spaced"}
