"""`python -m training.reader_calibrate`: the reader's temperature, threshold and exact-match
figures measured as `/v1/read` reads (each line twice, a turned line also turned, then the
classifier's second opinion: `digits_core.numbers`), from the ONNX models alone;
updates the reader's card in place. `training.reader_export` calls the same functions after an
export.
"""

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from digits_core.confidence import ConfidenceMap
from digits_core.contract import READER_INPUT_NAME, READER_OUTPUT_NAME, session
from digits_core.decoding import decode_image
from digits_core.model import DigitModel
from digits_core.numbers import decided, present_lines, score_twice
from digits_core.reading import Line, Reading, decode_twice, line_views, with_temperature
from digits_core.second_opinion import Classify, second_opinions
from training.calibration import (
    CALIBRATION_SEED,
    READER_CALIBRATION_COUNT,
    RIGHT_PER_ERROR,
    Calibration,
    calibrate,
    surest_errors,
)
from training.card import update_card
from training.lines import make_lines
from training.reader import Batches
from training.reader_train import ROOT, digits_of
from training.realistic_scoring import read_alone
from training.realistic_set import number_samples

DECODING = (
    "each line read as is and moved half a frame, in one call (a line left as written whose "
    "ink runs along an axis tilted 5-50 degrees also turned along it, in the same call); CTC "
    "best path of each; when they differ, the string with the larger product of CTC "
    "likelihoods, its confidence at most its share of the two; digit confidence = peak "
    "probability; string = product of digits × least sure blank frame; then every digit is "
    "re-read by the classifier (models/digits.onnx, one call; its own strokes, or the ink of "
    "its aligned columns when it shares a stroke with a neighbour) and the two opinions "
    "pooled (normalised geometric mean), its confidence P(digit at its surest frame) × "
    "pooled probability; the turned reading kept when it reads otherwise and its 1 - "
    "confidence is 10x smaller, its confidence then at most its share of the two"
)
CLASSIFIER = ROOT / "models" / "digits.onnx"  # the second opinion, as served
BATCH = 64


def tempered(pair: tuple[np.ndarray, np.ndarray], temperature: float) -> tuple[np.ndarray, ...]:
    return tuple(with_temperature(scores, temperature) for scores in pair)


def frame_scores(path: Path, lines: list[Line]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each line's frame scores as is and moved (temperature 1), `BATCH` lines per call."""
    sess = session(path)

    def score(batch: np.ndarray) -> np.ndarray:
        return sess.run([READER_OUTPUT_NAME], {READER_INPUT_NAME: batch})[0]

    pairs = []
    for start in range(0, len(lines), BATCH):
        pairs += score_twice(lines[start : start + BATCH], score, 1.0)
    return pairs


@dataclass(frozen=True)
class ValidationNumbers:
    """The realistic set's number conditions drawn from the validation digits, read as
    `/v1/read` reads them at any temperature. The reader never trained on these digits; the
    report's test digits are never seen here."""

    readings: Callable[[float], list[Reading]]
    labels: list[str]
    conditions: list[str]
    # Each number as the classifier reads its digits one by one, from their own clean MNIST
    # images. A few validation digits look like another digit even then (index 4915 is a "4"
    # written as a 7), so a reading equal to this, and not to the label, is one that any
    # reader of the digits alone would give.
    alone: list[str]

    def read(self, temperature: float) -> tuple[np.ndarray, np.ndarray]:
        """(confidence, right) of every sample: what `calibrate` weighs."""
        found = self.readings(temperature)
        right = np.array([r.text == label for r, label in zip(found, self.labels, strict=True)])
        return np.array([r.confidence for r in found]), right

    def read_digits(self, temperature: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(confidence, right, condition) of every digit read: what `calibrate` weighs for
        the digits' own threshold."""
        return digit_answers(self.readings(temperature), self.labels, self.conditions)

    def as_alone(self, texts: list[str]) -> np.ndarray:
        """Which readings are wrong the way the digits read alone are."""
        return np.array(
            [
                text == alone != label
                for text, alone, label in zip(texts, self.alone, self.labels, strict=True)
            ]
        )


def remembered(classify: Classify) -> Classify:
    """`classify` answering the crops it has seen from memory: the calibration decodes the
    same lines at a dozen temperatures, and the classifier's crops rarely change with it.
    It holds every distinct crop of the run (a few kB each): a training tool's memory."""
    seen: dict[bytes, np.ndarray] = {}

    def classify_once(crops: np.ndarray) -> np.ndarray:
        if len(crops) == 0:
            return classify(crops)
        keys = [crop.tobytes() for crop in crops]
        first_unseen: dict[bytes, int] = {}
        for index, key in enumerate(keys):
            if key not in seen:
                first_unseen.setdefault(key, index)
        if first_unseen:
            answers = classify(crops[list(first_unseen.values())])
            seen.update(zip(first_unseen, answers, strict=True))
        return np.stack([seen[key] for key in keys])

    return classify_once


def page_views(data: bytes) -> list[Line | None]:
    """The lines `/v1/read` reads on an uploaded file."""
    return line_views(decode_image(data))


def realistic_validation(
    path: Path, count: int, seed: int, data_dir: Path, classify: Classify, workers: int = 2
) -> ValidationNumbers:
    """`count` samples of every number condition (validation digits, `seed`), each line
    scored once by the reader at `path`; decoding runs per temperature. The pages are
    analysed in `workers` processes."""
    images, labels = digits_of("validation", data_dir)
    samples = number_samples(images, labels, count, seed)
    with ProcessPoolExecutor(workers) as pool:
        views = list(pool.map(page_views, [sample.data for sample in samples], chunksize=16))
    pairs = frame_scores(path, present_lines(views))
    classify = remembered(classify)

    def readings(temperature: float) -> list[Reading]:
        return decided(views, (tempered(pair, temperature) for pair in pairs), classify)

    return ValidationNumbers(
        readings,
        [sample.label for sample in samples],
        [sample.condition for sample in samples],
        read_alone(images, [sample.sources for sample in samples], classify),
    )


def lines_of(part: str, count: int, seed: int, data_dir: Path) -> tuple[Batches, list[str]]:
    pixels, texts, conditions = make_lines(*digits_of(part, data_dir), count, seed)
    return Batches(pixels, texts), conditions


def exact(path: Path, data: Batches, temperature: float, classify: Classify | None = None) -> float:
    """Share of synthetic lines read exactly, each line read twice as `/v1/read` does, and
    with the classifier's second opinion when `classify` is given."""
    lines = [Line(p.astype(np.float32) / 255.0, 0.0, 0.0, 1.0) for p in data.pixels]
    order = np.argsort([line.pixels.shape[1] for line in lines])  # similar widths together
    ordered = [lines[i] for i in order]
    pairs = frame_scores(path, ordered)
    texts = [data.texts[i] for i in order]
    found = [
        decode_twice(tempered(pair, temperature), line)
        for pair, line in zip(pairs, ordered, strict=True)
    ]
    if classify is not None:
        found = second_opinions(found, classify)
    return float(np.mean([r.text == t for r, t in zip(found, texts, strict=True)]))


def digit_answers(
    found: list[Reading], labels: list[str], conditions: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(confidence, right, condition) of every digit read. A digit is right where an edit
    alignment of the reading with its number matches it (difflib): a digit read in place of
    another, or one too many, is wrong; a digit missed has no confidence to judge."""
    rows = []
    for reading, label, condition in zip(found, labels, conditions, strict=True):
        right = np.zeros(len(reading.digits), dtype=bool)
        matcher = SequenceMatcher(None, reading.text, label, autojunk=False)
        for block in matcher.get_matching_blocks():
            right[block.a : block.a + block.size] = True
        rows += [
            (digit.confidence, hit, condition)
            for digit, hit in zip(reading.digits, right, strict=True)
        ]
    confidence, right, condition = zip(*rows, strict=True) if rows else ((), (), ())
    return np.array(confidence, np.float64), np.array(right, bool), np.array(condition, str)


def calibration_set(count: int) -> str:
    """The card's description of the calibration draw."""
    return (
        f"the realistic set's number conditions, {count} each, seed {CALIBRATION_SEED}, "
        "drawn from MNIST validation digits"
    )


def measured(
    path: Path, calibration_count: int, test: Batches, data_dir: Path, classifier: Path
) -> tuple[Calibration, float, ValidationNumbers]:
    """(calibration on the validation numbers, exact match on the synthetic test lines, the
    validation numbers), both as `/v1/read` reads, with `classifier`'s second opinion."""
    classify = DigitModel.load(classifier).predict_batch
    numbers = realistic_validation(path, calibration_count, CALIBRATION_SEED, data_dir, classify)
    calibration = calibrate(numbers.read, numbers.conditions, numbers.read_digits)
    return calibration, exact(path, test, calibration.temperature, classify), numbers


def surest_errors_text(
    numbers: ValidationNumbers, temperature: float, calibrated: ConfidenceMap, count: int
) -> str:
    """Each condition's surest errors at `temperature`, their confidence `calibrated`: rank,
    confidence, truth → reading."""
    found = numbers.readings(temperature)
    confidence = np.array([calibrated(r.confidence) for r in found])
    right = np.array([r.text == label for r, label in zip(found, numbers.labels, strict=True)])
    alike = numbers.as_alone([r.text for r in found])
    lines = [
        f"surest errors (rank among the condition's answers, surest first; the target needs "
        f"rank ≥ {RIGHT_PER_ERROR}; *: the classifier reads the digits alone so too):"
    ]
    for condition, errors in surest_errors(confidence, right, numbers.conditions, count).items():
        shown = ", ".join(
            f"{rank} at {confidence[i]:.6f} ({numbers.labels[i]} read {found[i].text or '-'}"
            f"{'*' if alike[i] else ''})"
            for rank, i in errors
        )
        lines.append(f"  {condition}: {shown or 'none'}")
    return "\n".join(lines)


def main(
    model: Annotated[Path, typer.Option(help="The reader ONNX (its card is beside it).")] = ROOT
    / "models"
    / "reader.onnx",
    calibration_count: Annotated[
        int, typer.Option(help="Images per realistic number condition to calibrate on.")
    ] = READER_CALIBRATION_COUNT,
    test_lines: Annotated[int, typer.Option(help="Test lines (MNIST test digits).")] = 2000,
    seed: Annotated[int, typer.Option(help="The training run's seed (names the test lines).")] = 0,
    data_dir: Annotated[Path, typer.Option(help="MNIST IDX directory.")] = ROOT / "data" / "mnist",
    classifier: Annotated[
        Path, typer.Option(help="The digit classifier that gives the second opinion.")
    ] = CLASSIFIER,
    errors: Annotated[
        int,
        typer.Option(
            "--surest-errors",
            help="Also print each condition's N surest errors (what holds the threshold up).",
        ),
    ] = 0,
) -> None:
    """Re-measure the shipped reader's calibration and test figure; update its card."""
    test, _ = lines_of("test", test_lines, seed * 1000 + 777, data_dir)
    calibration, test_exact, numbers = measured(
        model, calibration_count, test, data_dir, classifier
    )
    if errors:
        print(
            surest_errors_text(numbers, calibration.temperature, calibration.confidence_map, errors)
        )
    update_card(
        model,
        decoding=DECODING,
        **calibration.card_fields(),
        calibration_set=calibration_set(calibration_count),
        test_exact=round(test_exact, 4),
        held_out_check=None,  # it was read at the old threshold: run training.reader_check
    )
    print(
        f"calibration set exact {calibration.accuracy:.4f}, coverage {calibration.coverage}; "
        f"test exact {test_exact:.4f}; T {calibration.temperature}; "
        f"map {calibration.confidence_map}; threshold {calibration.threshold}; "
        f"ECE {calibration.ece_before} raw, {calibration.ece_temperature} tempered, "
        f"{calibration.ece_after} mapped; digit threshold {calibration.digit_threshold}: "
        f"{calibration.digits}"
    )


if __name__ == "__main__":
    typer.run(main)
