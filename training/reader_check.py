"""`python -m training.reader_check`: does the reader card's threshold hold on validation
numbers it was not chosen on?

`training.reader_calibrate` picks the lowest threshold at which every number condition of its
draw (seed CALIBRATION_SEED) is ≥ 99.5 % right among the unflagged. Picking the lowest that
passes flatters the draw it was picked on: a condition's few surest errors decide it. This
reads another draw of the same conditions from the same validation digits (another seed, so
other digits, layouts and paper), at the card's temperature and threshold, as `/v1/read`
reads, and writes what it saw into the card as `held_out_check`. The test digits stay unseen.
"""

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from digits_core.model import DigitModel
from training.calibration import CALIBRATION_COUNT, TARGET_ACCURACY
from training.card import read_card, update_card
from training.reader_calibrate import CLASSIFIER, realistic_validation
from training.reader_train import ROOT

CHECK_SEED = 6  # any seed but the calibration's


def held_out_rows(
    confidence: np.ndarray, right: np.ndarray, conditions: list[str], threshold: float
) -> dict[str, dict[str, float | int]]:
    """Per condition: numbers, exact, unflagged, wrong among the unflagged."""
    groups = np.array(conditions)
    rows: dict[str, dict[str, float | int]] = {}
    for condition in dict.fromkeys(conditions):
        inside = groups == condition
        kept = inside & (confidence >= threshold)
        rows[condition] = {
            "count": int(inside.sum()),
            "exact": round(float(right[inside].mean()), 4),
            "unflagged": int(kept.sum()),
            "wrong_unflagged": int((kept & ~right).sum()),
        }
    return rows


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
    confidence, right = numbers.read(card["temperature"])
    threshold = card["confidence_threshold"]
    rows = held_out_rows(confidence, right, numbers.conditions, threshold)
    failing = [
        name
        for name, row in rows.items()
        if row["unflagged"] and 1 - row["wrong_unflagged"] / row["unflagged"] < TARGET_ACCURACY
    ]
    for name, row in rows.items():
        print(
            f"{name:20} exact {row['exact']:.2%}  unflagged {row['unflagged']:4d}"
            f"  wrong among them {row['wrong_unflagged']}"
        )
    print(f"at threshold {threshold}: below {TARGET_ACCURACY:.1%} among the unflagged: {failing}")
    update_card(
        model,
        held_out_check={
            "set": f"the same number conditions, {count} each, seed {seed}, MNIST validation "
            "digits",
            "threshold": threshold,
            "coverage": round(float((confidence >= threshold).mean()), 4),
            "conditions_below_target": failing,
            "per_condition": rows,
        },
    )


if __name__ == "__main__":
    typer.run(main)
