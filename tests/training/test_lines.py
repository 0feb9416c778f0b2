"""Synthetic lines for the reader: deterministic, labelled right, every layout, serving-shaped."""

import numpy as np

from digits_core.contract import FRAME_STEP, LINE_HEIGHT
from training.lines import LAYOUTS, make_lines, render_line


def test_lines_are_deterministic(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = mnist_train
    first = make_lines(images[:500], labels[:500], 5, seed=7)
    again = make_lines(images[:500], labels[:500], 5, seed=7)
    assert first[1] == again[1] and first[2] == again[2]
    assert all(np.array_equal(a, b) for a, b in zip(first[0], again[0], strict=True))


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
