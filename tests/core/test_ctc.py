"""CTC sums over every alignment: checked against brute-force enumeration on small matrices."""

import itertools

import numpy as np

from digits_core.contract import BLANK
from digits_core.ctc import log_likelihood, single_digit_probabilities


def collapse(path: tuple[int, ...]) -> tuple[int, ...]:
    merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    return tuple(c for c in merged if c != BLANK)


def brute_force(scores: np.ndarray) -> np.ndarray:
    """P(the string is exactly digit d), enumerating all 11**T frame paths."""
    singles = np.zeros(BLANK)
    for path in itertools.product(range(BLANK + 1), repeat=len(scores)):
        text = collapse(path)
        if len(text) == 1:
            singles[text[0]] += np.prod(scores[np.arange(len(scores)), path])
    return singles


def random_scores(rng: np.random.Generator, frames: int) -> np.ndarray:
    logits = rng.normal(0, 2, (frames, BLANK + 1))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def test_single_digit_probabilities_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    scores = np.stack([random_scores(rng, 4) for _ in range(3)])
    found = single_digit_probabilities(scores, np.array([4, 4, 4]))
    for row, line in zip(found, scores, strict=True):
        np.testing.assert_allclose(row, brute_force(line), rtol=1e-9)


def test_frames_past_a_line_are_ignored() -> None:
    rng = np.random.default_rng(1)
    short = random_scores(rng, 3)
    padded = np.concatenate([short, random_scores(rng, 2)])[np.newaxis]
    np.testing.assert_allclose(
        single_digit_probabilities(padded, np.array([3]))[0], brute_force(short), rtol=1e-9
    )


def test_a_clear_digit_is_likely_and_two_digits_are_not_one() -> None:
    sure = np.full((6, BLANK + 1), 0.001)
    for frame, cls in enumerate([BLANK, 7, 7, BLANK, BLANK, BLANK]):
        sure[frame, cls] = 0.99
    two = sure.copy()
    two[4] = 0.001
    two[4, 1] = 0.99
    found = single_digit_probabilities(np.stack([sure, two]), np.array([6, 6]))
    assert found[0].argmax() == 7 and found[0, 7] > 0.9
    assert found[1].sum() < 0.05


def test_long_lines_do_not_underflow() -> None:
    rng = np.random.default_rng(2)
    scores = random_scores(rng, 400)[np.newaxis]
    scores[0, :, BLANK] += 5  # a mostly blank line ...
    scores[0, 200, 3] += 50  # ... with one clear 3
    scores[0] /= scores[0].sum(axis=1, keepdims=True)
    found = single_digit_probabilities(scores, np.array([400]))[0]
    assert np.isfinite(found).all() and found.argmax() == 3


def test_log_likelihood_of_a_string_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    scores = random_scores(rng, 5)
    totals: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(BLANK + 1), repeat=len(scores)):
        text = collapse(path)
        totals[text] = totals.get(text, 0.0) + np.prod(scores[np.arange(len(scores)), path])
    for label in [(), (3,), (3, 3), (1, 2), (4, 4, 4), (1, 2, 1), (0, 0, 0, 0, 0)]:
        expected = np.log(totals.get(label, 0.0)) if label in totals else -np.inf
        assert np.isclose(log_likelihood(scores, list(label)), expected, rtol=1e-9)


def test_a_string_longer_than_its_frames_allow_is_impossible() -> None:
    scores = random_scores(np.random.default_rng(4), 3)
    assert log_likelihood(scores, [1, 1, 1]) < -600  # repeats need a blank between them
