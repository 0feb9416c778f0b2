"""The faint family (issue 13): strokes only 12–40 % darker than the paper, whatever the ink."""

import numpy as np

from training.realistic_faint import CONTRAST, faint_sheet
from training.realistic_forms import ink_of


def test_faint_strokes_darken_the_paper_by_the_drawn_share(
    mnist_test: tuple[np.ndarray, np.ndarray],
) -> None:
    images, _ = mnist_test
    darkest = []
    for seed in range(40):
        ink = ink_of(np.random.default_rng(seed), images[seed], 80, stroke=0.4)
        # The same draws with and without the writing: the difference is the writing alone.
        written = faint_sheet(np.random.default_rng(seed), ink, 80).mean(axis=-1)
        blank = faint_sheet(np.random.default_rng(seed), np.zeros_like(ink), 80).mean(axis=-1)
        darkness = 1.0 - written / blank
        darkest.append(float(np.percentile(darkness[darkness > 0.01], 99)))
    low, high = CONTRAST
    assert all(0.9 * low <= d <= 1.1 * high for d in darkest), darkest
    # Both sides of the contrast once taken for blank paper (digits_core.ink.MIN_CONTRAST).
    assert min(darkest) < 0.2 < 0.3 < max(darkest)
