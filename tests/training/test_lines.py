"""Synthetic lines for the reader: deterministic, labelled right, every layout, serving-shaped."""

import numpy as np
import pytest

from digits_core.contract import FRAME_STEP, LINE_HEIGHT
from tests.utils.lines import drawn_alike_twice
from training import lines
from training.lines import LAYOUTS, handwriting, make_lines, render_line


def test_lines_are_deterministic(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = mnist_train
    assert drawn_alike_twice(make_lines, images[:500], labels[:500], 5)


def test_texts_are_the_digits_drawn(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = mnist_train
    # Only sevens to draw from: every text is all sevens, 1–12 of them.
    sevens = images[labels == 7][:50]
    _, texts, _ = make_lines(sevens, np.full(len(sevens), 7), 20, seed=1)
    assert all(set(t) == {"7"} and 1 <= len(t) <= 12 for t in texts)


def test_every_layout_and_lines_fit_the_reader(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = mnist_train
    pixels, texts, conditions = make_lines(images[:2000], labels[:2000], 120, seed=3)
    assert {c.split("/")[0] for c in conditions} == set(LAYOUTS)
    for line, text in zip(pixels, texts, strict=True):
        assert line.dtype == np.uint8 and line.shape[0] == LINE_HEIGHT
        assert line.shape[1] % FRAME_STEP == 0
        # CTC needs a frame per digit and a blank between repeats.
        assert line.shape[1] // FRAME_STEP >= 2 * len(text) - 1


def test_pages_are_dark_ink_on_light_paper(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = mnist_train
    rng = np.random.default_rng(0)
    for _ in range(10):
        gray, text, _ = render_line(rng, images[:200], labels[:200])
        assert gray.dtype == np.float32 and gray.min() >= 0 and gray.max() <= 255
        assert np.median(gray) > gray.min() + 40 and text.isdigit()


def test_other_hands_lean_and_tilt_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "DISTORT_CHANCE", 1.0)
    monkeypatch.setattr(lines, "MAX_TILT", 0.0)
    monkeypatch.setattr(lines, "ELASTIC_CHANCE", 0.0)
    bar = np.zeros((28, 28), np.float32)
    bar[4:24, 13:15] = 1.0  # an upright "1"
    rng = np.random.default_rng(5)
    leans = []
    for _ in range(30):
        leant = handwriting(rng, bar)
        assert leant.shape == (28 + 2 * lines.PAD_DISTORT,) * 2
        assert abs(leant.sum() - bar.sum()) < 0.1 * bar.sum()  # the ink is moved, not lost
        cols = np.arange(leant.shape[1])
        top, bottom = (
            (leant[rows] * cols).sum() / leant[rows].sum()
            for rows in (slice(10, 14), slice(24, 28))  # the bar's top and bottom, padded
        )
        leans.append((top - bottom) / 14)  # columns per row between them
    leans = np.array(leans)
    assert np.abs(leans).max() <= lines.MAX_SLANT + 0.05
    assert (leans > 0.1).any() and (leans < -0.1).any()  # both ways


def test_most_digits_keep_their_own_hand(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    images, _ = mnist_train
    rng = np.random.default_rng(2)
    alpha = images[0].astype(np.float32) / 255.0
    kept = sum(handwriting(rng, alpha) is alpha for _ in range(400))
    assert abs(kept / 400 - (1 - lines.DISTORT_CHANCE)) < 0.08
    warped = [handwriting(rng, alpha) for _ in range(200)]
    warped = [w for w in warped if w is not alpha]
    assert all(w.dtype == np.float32 and w.min() >= 0 and w.max() <= 1 for w in warped)


def test_a_standard_mode_fax_keeps_half_the_rows_and_is_squared_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = np.full((80, 60), 230.0)
    page[20:60, 25:35] = 20.0
    monkeypatch.setattr(lines, "FAX_STANDARD_CHANCE", 0.0)
    fine = lines.one_bit_scan(np.random.default_rng(0), page, 100)
    monkeypatch.setattr(lines, "FAX_STANDARD_CHANCE", 1.0)
    standard = lines.one_bit_scan(np.random.default_rng(0), page, 100)
    assert set(np.unique(fine)) <= {0.0, 255.0}
    # Half the rows were kept, then stretched back (as decoding does): between-rows grays.
    assert standard.shape[0] == pytest.approx(fine.shape[0], abs=2)
    assert standard.shape[1] == fine.shape[1]
    assert not set(np.unique(standard)) <= {0.0, 255.0}
