"""`python -m training.reader_check`: does the reader card's threshold hold on validation
numbers it was not chosen on?

`training.reader_calibrate` picks the lowest threshold at which every number condition of its
draw (seed CALIBRATION_SEED) is ≥ 99.5 % right among the unflagged. Picking the lowest that
passes flatters the draw it was picked on: a condition's few surest errors decide it. This
reads another draw of the same conditions from the same validation digits (another seed, so
other digits, layouts and paper), at the card's temperature and threshold, as `/v1/read`
reads, and writes what it saw into the card as `held_out_check`. The test digits stay unseen.

Each unflagged wrong answer is printed with its number as the classifier reads the digits one
by one from their clean MNIST images. A few validation digits look like another even alone (a
"4" written as a 7); a wrong answer equal to that reading is one no reader of those digits
would avoid. The card counts them per condition (`wrong_unflagged_as_alone`); they still count
against the target.

The digits' own threshold (`digit_threshold`, chosen with a margin on the calibration draw) is
checked the same way: per condition, the digits read, those left unflagged and the wrong among
them, a digit judged right where an edit alignment of the reading with its number matches it.
"""

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from digits_core.model import DigitModel, confidence_map_of
from training.calibration import (
    CALIBRATION_COUNT,
    TARGET_ACCURACY,
    expected_calibration_error,
)
from training.card import read_card, update_card
from training.reader_calibrate import CLASSIFIER, digit_answers, realistic_validation
from training.reader_train import ROOT

CHECK_SEED = 6  # any seed but the calibration's


def held_out_rows(
    confidence: np.ndarray,
    right: np.ndarray,
    alike: np.ndarray,
    conditions: list[str],
    threshold: float,
) -> dict[str, dict[str, float | int]]:
    """Per condition: numbers, exact, unflagged, wrong among the unflagged; and of all wrong
    answers and of the unflagged ones, how many the classifier reads the same from the
    digits' clean images alone (`alike`)."""
    groups = np.array(conditions)
    rows: dict[str, dict[str, float | int]] = {}
    for condition in dict.fromkeys(conditions):
        inside = groups == condition
        kept = inside & (confidence >= threshold)
        rows[condition] = {
            "count": int(inside.sum()),
            "exact": round(float(right[inside].mean()), 4),
            "wrong_as_alone": int((inside & ~right & alike).sum()),
            "unflagged": int(kept.sum()),
            "wrong_unflagged": int((kept & ~right).sum()),
            "wrong_unflagged_as_alone": int((kept & ~right & alike).sum()),
        }
    return rows


def digit_rows(
    confidence: np.ndarray, right: np.ndarray, conditions: np.ndarray, threshold: float
) -> dict[str, dict[str, int]]:
    """Per condition: digits read, unflagged at `threshold`, and wrong among them."""
    rows = {}
    for condition in dict.fromkeys(conditions.tolist()):
        kept = (conditions == condition) & (confidence >= threshold)
        rows[condition] = {
            "digits": int((conditions == condition).sum()),
            "unflagged": int(kept.sum()),
            "wrong_unflagged": int((kept & ~right).sum()),
        }
    return rows


def below_target(rows: dict[str, dict[str, int]], wrong: str) -> list[str]:
    """The conditions whose unflagged answers are under the target."""
    return [
        name
        for name, row in rows.items()
        if row["unflagged"] and 1 - row[wrong] / row["unflagged"] < TARGET_ACCURACY
    ]


def main(
    model: Annotated[Path, typer.Option(help="The reader ONNX (its card is beside it).")] = ROOT
    / "models"
    / "reader.onnx",
    seed: Annotated[int, typer.Option(help="The held-out draw's seed.")] = CHECK_SEED,
    count: Annotated[int, typer.Option(help="Numbers per condition.")] = CALIBRATION_COUNT,
    data_dir: Annotated[Path, typer.Option(help="MNIST IDX directory.")] = ROOT / "data" / "mnist",
    classifier: Annotated[
        Path, typer.Option(help="The digit classifier that gives the second opinion.")
    ] = CLASSIFIER,
) -> None:
    """Read a held-out validation draw at the card's threshold; record it in the card."""
    card = read_card(model)
    classify = DigitModel.load(classifier).predict_batch
    numbers = realistic_validation(model, count, seed, data_dir, classify)
    found = numbers.readings(card["temperature"])
    texts = [reading.text for reading in found]
    calibrated = confidence_map_of(card, model)  # as served: the same reading of the card
    confidence = np.array([calibrated(reading.confidence) for reading in found])
    right = np.array([text == label for text, label in zip(texts, numbers.labels, strict=True)])
    alike = numbers.as_alone(texts)
    threshold = card["confidence_threshold"]
    rows = held_out_rows(confidence, right, alike, numbers.conditions, threshold)
    failing = below_target(rows, "wrong_unflagged")
    digit_confidence, digit_right, digit_conditions = digit_answers(
        found, numbers.labels, numbers.conditions
    )
    digit_threshold = card["digit_threshold"]
    digits = digit_rows(digit_confidence, digit_right, digit_conditions, digit_threshold)
    for name, row in rows.items():
        print(
            f"{name:20} exact {row['exact']:.2%} ({row['wrong_as_alone']} wrong as the digits"
            f" read alone)  unflagged {row['unflagged']:4d}  wrong among them"
            f" {row['wrong_unflagged']} ({row['wrong_unflagged_as_alone']} as alone)"
        )
    for index in np.flatnonzero((confidence >= threshold) & ~right):
        print(
            f"  unflagged: {numbers.conditions[index]} {numbers.labels[index]} read "
            f"{texts[index] or '-'} at {confidence[index]:.6f}; its digits alone read "
            f"{numbers.alone[index]}"
        )
    ece = round(expected_calibration_error(confidence, right), 4)
    digit_ece = round(expected_calibration_error(digit_confidence, digit_right), 4)
    digit_coverage = round(float((digit_confidence >= digit_threshold).mean()), 4)
    for name, row in digits.items():
        print(
            f"{name:20} digits {row['digits']:5d}  unflagged {row['unflagged']:5d}  wrong among "
            f"them {row['wrong_unflagged']}"
        )
    print(f"at threshold {threshold}: below {TARGET_ACCURACY:.1%} among the unflagged: {failing}")
    print(
        f"digits at {digit_threshold}: {digit_coverage:.2%} unflagged, below "
        f"{TARGET_ACCURACY:.1%} among them: {below_target(digits, 'wrong_unflagged')}"
    )
    print(f"expected calibration error: strings {ece}, digits {digit_ece}")
    update_card(
        model,
        held_out_check={
            "set": f"the same number conditions, {count} each, seed {seed}, MNIST validation "
            "digits",
            "threshold": threshold,
            "coverage": round(float((confidence >= threshold).mean()), 4),
            "ece": ece,
            "digit_ece": digit_ece,
            "conditions_below_target": failing,
            "per_condition": rows,
            "digit_threshold": digit_threshold,
            "digit_coverage": digit_coverage,
            "digit_conditions_below_target": below_target(digits, "wrong_unflagged"),
            "digits_per_condition": digits,
        },
    )


if __name__ == "__main__":
    typer.run(main)
