"""Confidence that means probability: temperature scaling, then Platt scaling of the answer's
log-odds, calibration error, and the threshold under which an answer is flagged uncertain,
chosen so every condition meets the target."""

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from digits_core.confidence import ConfidenceMap, logit

TARGET_ACCURACY = 0.995  # answers not flagged must be at least this often right, per condition
MIN_THRESHOLD = 0.5  # below an even chance an answer is more likely wrong than right
# The calibration draw: the realistic set's conditions made from MNIST validation digits (the
# report uses seed 4 on test digits). At 150 images a condition, ~50 of a hard one were left
# unflagged: one wrong among them moves its figure by 2 points, so a threshold that held there
# did not hold on the report's draw (ruled numbers, 97.8 % unflagged right).
CALIBRATION_SEED = 5
CALIBRATION_COUNT = 400
# The number reader's draw is three times that (its first 400 a condition are the same numbers):
# at 400 its threshold rested on one surest error a condition and did not hold on a second
# draw (seed 6: box rows and turned pages left wrong answers unflagged); at 800 it was the same.
READER_CALIBRATION_COUNT = 1200
# An unflagged wrong answer needs this many right ones above it for its condition to stay on
# target: at 99.5 %, a condition's surest error must rank past its 199th answer.
RIGHT_PER_ERROR = round(TARGET_ACCURACY / (1 - TARGET_ACCURACY))
TEMPERATURES = np.round(np.arange(0.5, 3.01, 0.05), 2)
# Every COARSE-th temperature first, then every one within COARSE of the best: 19 reads of the
# set instead of 51 (a read of the reader's 12,000 calibration numbers takes ~30 s), the same
# choice wherever the log loss falls then rises with the temperature.
COARSE = 5
BINS = 15
NEWTON_STEPS = 50  # Platt scaling's two parameters converge in well under this many steps
# A digit's threshold rests on thousands of digits a condition, and is chosen with a margin:
# the share right among the unflagged must meet the target at the lower end of its one-sided
# 95 % Wilson interval. The lowest threshold that merely meets it on one draw rests on that
# draw's luck (the strings' threshold did not hold on a second draw).
WILSON_Z = 1.645

# confidence per answer, and whether it is right, at a temperature
Read = Callable[[float], tuple[np.ndarray, np.ndarray]]
# confidence per digit read, whether it is right, and its condition, at a temperature
ReadDigits = Callable[[float], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Calibration:
    temperature: float
    confidence_map: ConfidenceMap
    threshold: float  # on the string's mapped confidence
    digit_threshold: float  # on a digit's own confidence (not mapped)
    accuracy: float
    coverage: float
    accuracy_unflagged: float
    ece_before: float  # the raw scores' confidence
    ece_temperature: float  # after the temperature alone
    ece_after: float  # after the temperature and the map: what is served
    count: int
    per_condition: dict[str, dict[str, float]]
    # The digits read, at digit_threshold: overall and per condition (None: not measured).
    digits: dict[str, object] | None = None

    def as_card(self) -> dict[str, object]:
        card = asdict(self)
        card["method"] = (
            "temperature minimising the log loss of the confidence, then the logistic map of "
            "its log-odds (slope, intercept) minimising it again (Platt scaling); threshold "
            f"the lowest (at least {MIN_THRESHOLD}) at which every condition's unflagged "
            f"answers are ≥ {TARGET_ACCURACY:.1%} right; digit_threshold the lowest at which "
            f"every condition's unflagged digits are ≥ {TARGET_ACCURACY:.1%} right at the lower "
            "end of a one-sided 95 % Wilson interval (a digit is right where an edit alignment "
            "of the reading with the number matches it); on the validation split"
        )
        return card

    def card_fields(self) -> dict[str, object]:
        """What a reader's card says of its calibration, and what serving reads from it."""
        return {
            "temperature": self.temperature,
            "confidence_map": asdict(self.confidence_map),
            "confidence_threshold": self.threshold,
            "digit_threshold": self.digit_threshold,
            "calibration": self.as_card(),
        }


def expected_calibration_error(confidence: np.ndarray, right: np.ndarray) -> float:
    """Mean |accuracy − confidence| over equal-width confidence bins, weighted by bin size;
    NaN when there are no answers."""
    if len(confidence) == 0:
        return float("nan")
    bins = np.minimum((confidence * BINS).astype(int), BINS - 1)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.sum() * abs(right[inside].mean() - confidence[inside].mean())
    return float(total / len(confidence))


def log_loss(confidence: np.ndarray, right: np.ndarray) -> float:
    p = np.clip(confidence, 1e-6, 1 - 1e-6)
    return float(-np.mean(np.where(right, np.log(p), np.log(1 - p))))


def fit_confidence_map(confidence: np.ndarray, right: np.ndarray) -> ConfidenceMap:
    """Platt scaling: the slope and intercept on the answers' log-odds with the least log loss
    (logistic regression by Newton's method), against Platt's targets (N₊ + 1) / (N₊ + 2) for
    right answers and 1 / (N₋ + 2) for wrong ones, so a draw with few errors cannot claim more
    than it saw and the fit stays finite. Answers with no confidence (nothing read) stay at 0
    under any map and take no part; a fit that does not rank right above wrong (slope ≤ 0)
    keeps the identity."""
    read = confidence > 0
    odds = np.array([logit(c) for c in confidence[read]])
    design = np.stack([odds, np.ones_like(odds)], axis=1)
    hits = right[read]
    rights, wrongs = int(hits.sum()), int((~hits).sum())
    target = np.where(hits, (rights + 1) / (rights + 2), 1 / (wrongs + 2))

    def loss(weights: np.ndarray) -> float:
        z = design @ weights
        return float(np.sum(np.logaddexp(0.0, z) - target * z))

    weights = np.array([1.0, 0.0])
    for _ in range(NEWTON_STEPS):
        p = 0.5 * (1.0 + np.tanh(0.5 * (design @ weights)))  # the logistic, without overflow
        gradient = design.T @ (p - target)
        hessian = (design * (p * (1.0 - p))[:, np.newaxis]).T @ design
        step = np.linalg.solve(hessian + 1e-9 * np.eye(2), gradient)
        # Halve the step until the loss falls: a full Newton step overshoots on answers that
        # the confidence nearly separates.
        while loss(weights - step) > loss(weights) and np.abs(step).max() > 1e-12:
            step = step / 2
        weights = weights - step
        if np.abs(step).max() < 1e-10:
            break
    slope, intercept = round(float(weights[0]), 6), round(float(weights[1]), 6)
    return ConfidenceMap(slope, intercept) if slope > 0 else ConfidenceMap()


def summary(confidence: np.ndarray, right: np.ndarray, threshold: float) -> dict[str, float]:
    kept = confidence >= threshold
    return {
        "count": len(right),
        "accuracy": round(float(right.mean()), 4),
        "coverage": round(float(kept.mean()), 4),
        "accuracy_unflagged": round(float(right[kept].mean()), 4) if kept.any() else None,
    }


def surest_errors(
    confidence: np.ndarray, right: np.ndarray, conditions: list[str], count: int
) -> dict[str, list[tuple[int, int]]]:
    """Each condition's `count` surest wrong answers: (rank among the condition's answers,
    surest first, from 0; index of the answer). What holds the threshold up: a condition
    whose first error ranks under RIGHT_PER_ERROR keeps the threshold above that error."""
    groups = np.array(conditions)
    found = {}
    for condition in dict.fromkeys(conditions):
        members = np.flatnonzero(groups == condition)
        order = members[np.argsort(-confidence[members], kind="stable")]
        found[condition] = [
            (rank, int(index)) for rank, index in enumerate(order) if not right[index]
        ][:count]
    return found


def lowest_threshold(confidence: np.ndarray, right: np.ndarray, groups: np.ndarray) -> float:
    """The lowest threshold ≥ MIN_THRESHOLD at which every group meets the target."""
    for threshold in np.unique(np.concatenate([[MIN_THRESHOLD], confidence])):
        if threshold < MIN_THRESHOLD:
            continue
        kept = confidence >= threshold
        if all(
            right[kept & (groups == g)].mean() >= TARGET_ACCURACY
            for g in np.unique(groups)
            if (kept & (groups == g)).any()
        ):
            return float(threshold)
    return 1.0


def wilson_lower(right: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The lower end of the one-sided 95 % Wilson score interval of the share `right` of
    `count` (0 where count is 0)."""
    n = np.maximum(count, 1).astype(np.float64)
    share = right / n
    z2 = WILSON_Z**2
    margin = WILSON_Z * np.sqrt(share * (1 - share) / n + z2 / (4 * n * n))
    return np.where(count > 0, (share + z2 / (2 * n) - margin) / (1 + z2 / n), 0.0)


def bounded_threshold(confidence: np.ndarray, right: np.ndarray, groups: np.ndarray) -> float:
    """The lowest threshold ≥ MIN_THRESHOLD at which every group with answers above it meets
    the target at the lower end of its Wilson interval (`wilson_lower`)."""
    candidates = np.unique(np.r_[MIN_THRESHOLD, confidence[confidence >= MIN_THRESHOLD]])
    passes = np.ones(candidates.size, dtype=bool)
    for group in np.unique(groups):
        order = np.argsort(confidence[groups == group], kind="stable")
        ascending = confidence[groups == group][order]
        # Right answers at or above each position, and none past the end.
        right_from = np.r_[np.cumsum(right[groups == group][order][::-1])[::-1], 0]
        start = np.searchsorted(ascending, candidates, side="left")
        count = ascending.size - start
        passes &= (count == 0) | (wilson_lower(right_from[start], count) >= TARGET_ACCURACY)
    return float(candidates[np.argmax(passes)]) if passes.any() else 1.0


def best_temperature(read: Read) -> float:
    """The temperature of TEMPERATURES with the least log loss, searched coarse to fine.
    Which answer is given may depend on the temperature (a reader's two readings are weighed
    by it), so each temperature is judged on its own answers."""
    losses: dict[int, float] = {}

    def loss(index: int) -> float:
        if index not in losses:
            losses[index] = log_loss(*read(float(TEMPERATURES[index])))
        return losses[index]

    coarse = min(range(0, len(TEMPERATURES), COARSE), key=loss)
    nearby = range(max(coarse - COARSE + 1, 0), min(coarse + COARSE, len(TEMPERATURES)))
    return float(TEMPERATURES[min(nearby, key=loss)])


def rounded_up(threshold: float) -> float:
    """`threshold` to six decimals for a card, never below it: rounded down, it could fall
    under the calibration's surest error and let that answer through unflagged."""
    shown = round(threshold, 6)
    return shown if shown >= threshold else round(shown + 1e-6, 6)


def calibrate(
    read: Read, conditions: list[str], read_digits: ReadDigits | None = None
) -> Calibration:
    """Temperature, map, then threshold, on one calibration set whose answers have `conditions`
    ("layout/degradation": each part is a group the target must hold for); then the digits'
    own threshold from `read_digits` (without it, the string's cut unmapped: a digit is never
    less sure than its string, so that flags no digit of an unflagged string)."""
    raw_confidence, raw_right = read(1.0)
    temperature = best_temperature(read)
    tempered, right = read(temperature)
    confidence_map = fit_confidence_map(tempered, right)
    confidence = np.array([confidence_map(c) for c in tempered])
    # Each sample counts in its layout group and in its degradation group (once when a
    # condition names only one, as the realistic number conditions do).
    owners, groups = [], []
    for index, condition in enumerate(conditions):
        parts = condition.split("/")
        for group in dict.fromkeys((parts[0], parts[-1])):
            owners.append(index)
            groups.append(group)
    grouped_conf, grouped_right = confidence[owners], right[owners]
    group_of = np.array(groups)
    cut = lowest_threshold(grouped_conf, grouped_right, group_of)
    threshold = rounded_up(cut)
    overall = summary(confidence, right, threshold)
    per_condition = {
        g: summary(grouped_conf[group_of == g], grouped_right[group_of == g], threshold)
        for g in sorted(set(groups))
    }
    digit_threshold, digits = rounded_up(confidence_map.inverse(cut)), None
    if read_digits is not None:
        digit_threshold, digits = digit_calibration(*read_digits(temperature))
    return Calibration(
        temperature=temperature,
        confidence_map=confidence_map,
        threshold=threshold,
        digit_threshold=digit_threshold,
        accuracy=overall["accuracy"],
        coverage=overall["coverage"],
        accuracy_unflagged=overall["accuracy_unflagged"],
        ece_before=round(expected_calibration_error(raw_confidence, raw_right), 4),
        ece_temperature=round(expected_calibration_error(tempered, right), 4),
        ece_after=round(expected_calibration_error(confidence, right), 4),
        count=len(right),
        per_condition=per_condition,
        digits=digits,
    )


def digit_calibration(
    confidence: np.ndarray, right: np.ndarray, groups: np.ndarray
) -> tuple[float, dict[str, object]]:
    """The digits' threshold (`bounded_threshold`), and what it leaves unflagged."""
    threshold = rounded_up(bounded_threshold(confidence, right, groups))
    measured: dict[str, object] = summary(confidence, right, threshold)
    measured["ece"] = round(expected_calibration_error(confidence, right), 4)
    measured["per_condition"] = {
        g: summary(confidence[groups == g], right[groups == g], threshold)
        for g in sorted(set(groups.tolist()))
    }
    return threshold, measured
