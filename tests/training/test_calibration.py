"""Temperature, calibration error and a threshold that holds on every condition."""

import numpy as np
import pytest

from digits_core.reading import with_temperature
from training.calibration import (
    MIN_THRESHOLD,
    RIGHT_PER_ERROR,
    TARGET_ACCURACY,
    TEMPERATURES,
    best_temperature,
    bounded_threshold,
    calibrate,
    expected_calibration_error,
    fit_confidence_map,
    lowest_threshold,
    surest_errors,
    wilson_lower,
)


def test_a_calibrated_source_has_a_small_error() -> None:
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, 20_000)
    right = rng.random(20_000) < confidence
    assert expected_calibration_error(confidence, right) < 0.02
    assert expected_calibration_error(np.full(1000, 0.99), np.arange(1000) < 700) > 0.25


def test_an_overconfident_model_is_cooled_down() -> None:
    rng = np.random.default_rng(1)
    # Two-class scores whose true probability of being right is p, reported as p ** 0.25
    # (overconfident); tempering must bring the calibration error down.
    p = rng.uniform(0.55, 0.999, 5000)
    right = rng.random(5000) < p
    sharp = p**0.25
    scores = np.stack([sharp, 1 - sharp], axis=1)
    conditions = ["a/x"] * 2500 + ["b/y"] * 2500

    def read(temperature: float) -> tuple[np.ndarray, np.ndarray]:
        return with_temperature(scores, temperature)[:, 0], right

    result = calibrate(read, conditions)
    assert result.temperature > 1.0
    assert result.ece_after < result.ece_before
    assert set(result.per_condition) == {"a", "b", "x", "y"}
    assert all(group["count"] == 2500 for group in result.per_condition.values())


def test_a_condition_with_one_name_counts_each_sample_once() -> None:
    confidence = np.linspace(0.6, 1.0, 300)
    right = np.ones(300, bool)
    conditions = ["numbers_spaced"] * 100 + ["comb_field"] * 200
    result = calibrate(lambda _: (confidence, right), conditions)
    assert {k: v["count"] for k, v in result.per_condition.items()} == {
        "numbers_spaced": 100,
        "comb_field": 200,
    }


def test_the_threshold_holds_on_every_group_not_only_pooled() -> None:
    confidence = np.array([0.6] * 200 + [0.9] * 200 + [0.6] * 200)
    right = np.array([True] * 200 + [True] * 200 + [True] * 150 + [False] * 50)
    groups = np.array(["easy"] * 400 + ["hard"] * 200)
    # Pooled, 0.6 would pass (550/600 < 99.5 % though); group "hard" fails at 0.6.
    threshold = lowest_threshold(confidence, right, groups)
    kept = confidence >= threshold
    for group in ("easy", "hard"):
        inside = kept & (groups == group)
        assert not inside.any() or right[inside].mean() >= TARGET_ACCURACY
    assert threshold > 0.6


def test_the_threshold_never_goes_below_an_even_chance() -> None:
    confidence = np.full(100, 0.3)
    assert lowest_threshold(confidence, np.ones(100, bool), np.zeros(100)) == MIN_THRESHOLD


@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_temperature_keeps_rows_normalised(temperature: float) -> None:
    scores = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    tempered = with_temperature(scores, temperature)
    assert np.allclose(tempered.sum(axis=1), 1.0)
    assert (tempered.argmax(axis=1) == scores.argmax(axis=1)).all()


def test_surest_errors_rank_within_their_own_condition() -> None:
    confidence = np.array([0.99, 0.2, 0.95, 0.97, 0.5, 0.98, 0.96])
    right = np.array([True, False, False, True, True, False, False])
    conditions = ["a", "a", "a", "b", "b", "b", "a"]
    # a, surest first: 0.99 (right), 0.96 (wrong, index 6), 0.95 (wrong, 2), 0.2 (wrong, 1)
    assert surest_errors(confidence, right, conditions, 2) == {"a": [(1, 6), (2, 2)], "b": [(0, 5)]}
    assert surest_errors(confidence, np.ones(7, bool), conditions, 2) == {"a": [], "b": []}


def test_an_error_needs_199_right_answers_above_it_at_the_target() -> None:
    assert RIGHT_PER_ERROR == 199
    assert RIGHT_PER_ERROR / (RIGHT_PER_ERROR + 1) >= TARGET_ACCURACY
    assert (RIGHT_PER_ERROR - 1) / RIGHT_PER_ERROR < TARGET_ACCURACY


@pytest.mark.parametrize("best", [0.5, 0.55, 0.85, 1.2, 2.95, 3.0])
def test_the_temperature_search_finds_the_grid_minimum_in_fewer_reads(best: float) -> None:
    asked: list[float] = []
    right = np.ones(100, bool)

    def read(temperature: float) -> tuple[np.ndarray, np.ndarray]:
        # The log loss of all-right answers falls as confidence rises: confidence peaks at
        # `best`, so the loss is least there and grows away from it.
        asked.append(temperature)
        return np.full(100, 0.99 - abs(temperature - best) / 10), right

    assert best_temperature(read) == best
    assert len(set(asked)) < len(TEMPERATURES) / 2


@pytest.mark.parametrize("surest_error", [0.99993649, 0.9999372, 0.99993749, 0.999937])
def test_the_card_threshold_never_lets_the_binding_error_through(surest_error: float) -> None:
    # Right answers just above the error, wrong ones well below: the threshold is the least
    # right answer, and six decimals must not round it down to where the error passes.
    above = [surest_error + 1e-9 * k for k in range(1, 100)]
    confidence = np.array([surest_error, *above] + [0.6] * 100)
    right = np.array([False] + [True] * 99 + [False] * 100)
    result = calibrate(lambda _: (confidence, right), ["a"] * 200)
    # The threshold is on the served (mapped) scale, like the confidence it is compared with.
    assert result.threshold > result.confidence_map(surest_error)
    assert result.threshold == round(result.threshold, 6)


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def test_platt_scaling_recovers_the_map_that_made_the_answers() -> None:
    rng = np.random.default_rng(3)
    odds = rng.normal(3.0, 3.0, 50_000)  # the reported confidence's log-odds
    right = rng.random(odds.size) < logistic(0.6 * odds + 1.5)
    fitted = fit_confidence_map(logistic(odds), right)
    assert fitted.slope == pytest.approx(0.6, abs=0.03)
    assert fitted.intercept == pytest.approx(1.5, abs=0.1)


def test_a_draw_without_errors_gets_a_finite_map_and_nothing_read_stays_at_zero() -> None:
    confidence = np.array([0.0, *np.linspace(0.6, 0.99, 299)])
    right = np.array([False, *[True] * 299])
    fitted = fit_confidence_map(confidence, right)
    assert np.isfinite([fitted.slope, fitted.intercept]).all()
    assert fitted(0.0) == 0.0
    # With no error among 299 read answers, no answer can be surer than 300 / 301.
    assert fitted(0.99) <= 300 / 301 + 1e-9


def test_the_map_fixes_what_one_temperature_cannot() -> None:
    # Like the reader's strings: unsure answers under-confident, the surest over-confident.
    rng = np.random.default_rng(4)
    odds = rng.normal(4.0, 3.0, 20_000)
    right = rng.random(odds.size) < logistic(0.6 * odds + 1.5)
    scores = np.stack([logistic(odds), 1 - logistic(odds)], axis=1)

    def read(temperature: float) -> tuple[np.ndarray, np.ndarray]:
        return with_temperature(scores, temperature)[:, 0], right

    result = calibrate(read, ["a"] * odds.size)
    assert result.ece_after < result.ece_temperature
    assert result.ece_after < 0.02
    # A monotone map flags the same answers the tempered confidence would at its threshold.
    tempered = read(result.temperature)[0]
    mapped = np.array([result.confidence_map(c) for c in tempered])
    assert (np.argsort(mapped, kind="stable") == np.argsort(tempered, kind="stable")).all()


def test_the_wilson_bound_is_below_the_share_and_tightens_with_count() -> None:
    bounds = wilson_lower(np.array([99, 990, 9900, 0]), np.array([100, 1000, 10000, 0]))
    assert bounds[0] < bounds[1] < bounds[2] < 0.99
    assert bounds[0] == pytest.approx(0.9564, abs=1e-4)  # one-sided 95 %, 99 of 100 (by hand)
    assert bounds[3] == 0.0
    # All right: the bound reaches 99.5 % only from ~540 answers (z² / (z² + n)).
    assert wilson_lower(np.array([500]), np.array([500]))[0] < TARGET_ACCURACY
    assert wilson_lower(np.array([600]), np.array([600]))[0] > TARGET_ACCURACY


def test_the_digits_threshold_keeps_a_margin_on_every_group() -> None:
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0.5, 1.0, 40_000)
    right = rng.random(40_000) < np.where(confidence > 0.9, 0.999, 0.9)
    groups = np.array(["a", "b"] * 20_000)
    cut = bounded_threshold(confidence, right, groups)
    # Over 0.9 each group's ~4,000 digits are 99.9 % right: a few less sure ones fit under
    # the margin, no more.
    assert 0.88 < cut < 0.92
    # The merely lowest threshold that meets the target sits lower, on the draw's luck.
    assert lowest_threshold(confidence, right, groups) < cut
    for group in "ab":
        kept = (groups == group) & (confidence >= cut)
        bound = wilson_lower(np.array([right[kept].sum()]), np.array([kept.sum()]))[0]
        assert right[kept].mean() > bound >= TARGET_ACCURACY
    # A group too small for the bound to reach the target holds the cut above its answers.
    tiny = np.r_[confidence, [0.99] * 50], np.r_[right, [True] * 50], np.r_[groups, ["c"] * 50]
    assert bounded_threshold(*tiny) > 0.99


def test_too_few_answers_vouch_for_no_cut() -> None:
    # 400 answers over 0.9 with 2 wrong: 99.5 % right, which the merely lowest threshold
    # takes; 400 cannot show 99.5 % with 95 % confidence (that needs ~540 with none wrong).
    confidence = np.linspace(0.5, 1.0, 2000)
    right = confidence > 0.9
    right[np.flatnonzero(right)[::200]] = False
    groups = np.array(["a"] * 2000)
    assert lowest_threshold(confidence, right, groups) < 0.91
    assert bounded_threshold(confidence, right, groups) == 1.0


def test_calibrate_chooses_the_digits_threshold_on_the_digits() -> None:
    confidence = np.linspace(0.6, 1.0, 300)
    right = np.ones(300, bool)
    digit_confidence = np.linspace(0.5, 1.0, 10_000)
    digit_right = digit_confidence > 0.7

    def read_digits(_: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return digit_confidence, digit_right, np.array(["a"] * 10_000)

    result = calibrate(lambda _: (confidence, right), ["a"] * 300, read_digits)
    # Every digit over 0.7 is right: the cut lies there, a few wrong ones under the margin.
    assert 0.69 < result.digit_threshold < 0.71
    assert result.digits["per_condition"]["a"]["accuracy_unflagged"] >= TARGET_ACCURACY
    assert result.digits["coverage"] == pytest.approx((1 - result.digit_threshold) / 0.5, abs=0.01)
