"""The optdigits probe: real writers nobody trained on, enlarged as low-resolution scans, read
as served; and what the blocky re-drawing buys there."""

import io

import numpy as np
import pytest
from PIL import Image

import digits_core.decoding
from tests.conftest import MODEL_PATH
from training.optdigits import (
    MNIST_SIDE,
    NEAREST,
    NUMBER_VIEWS,
    SINGLE_VIEWS,
    Served,
    View,
    as_mnist,
    enlarged,
    in_our_conditions,
    number_lines,
    optdigits,
    report,
)
from training.realistic_set import Sample


@pytest.fixture(scope="module")
def served() -> Served:
    return Served.load(MODEL_PATH)


def test_a_page_is_the_digit_dark_on_paper_enlarged() -> None:
    inks, _ = optdigits()
    assert inks.shape == (1797, 8, 8) and inks.min() == 0.0 and inks.max() == 1.0
    gray = np.asarray(Image.open(io.BytesIO(View(NEAREST, 3.5).page(inks[0]))))
    assert gray.shape == (42, 42)  # (8 + 2 × 2) × 3.5
    assert gray[0, 0] > 200 and gray.min() < 60
    jpeg = View(NEAREST, 4.0, quality=60)
    assert (
        jpeg.page(inks[0])[:2] == b"\xff\xd8" and jpeg.name("digit") == "digit, nearest ×4, JPEG 60"
    )


def test_numbers_are_three_to_six_digits_side_by_side() -> None:
    inks, labels = optdigits()
    lines, texts = number_lines(inks, labels, 40, seed=3)
    for line, text in zip(lines, texts, strict=True):
        assert 3 <= len(text) <= 6
        assert line.shape[0] == 8 and 8 * len(text) <= line.shape[1] <= 10 * len(text) - 2
    assert number_lines(inks, labels, 40, seed=3)[1] == texts


def test_made_mnist_like_a_digit_is_20_px_centred_by_mass() -> None:
    inks, _ = optdigits()
    images = as_mnist(inks[:50])
    assert images.shape == (50, MNIST_SIDE, MNIST_SIDE) and images.dtype == np.uint8
    for image in images:
        rows, cols = np.nonzero(image > 10)
        assert np.ptp(rows) < 21 and np.ptp(cols) < 21
        weight = image.astype(float) / image.sum()
        centre = (weight.sum(axis=1) @ np.arange(28), weight.sum(axis=0) @ np.arange(28))
        assert np.allclose(centre, 13.5, atol=1.5)


def test_every_condition_is_measured_and_reported(served: Served) -> None:
    enlargements = enlarged(served, limit=40, number_count=8)
    assert [row.count for row in enlargements] == [40] * len(SINGLE_VIEWS) + [8] * len(NUMBER_VIEWS)
    conditions = in_our_conditions(served, count=3)
    names = [row.condition for row in conditions]
    assert "box" in names and "comb_field" in names and "numbers_touching" in names
    assert all(row.count == 3 for row in conditions)
    text = report(enlargements, conditions, served)
    for row in enlargements + conditions:
        assert f"| {row.condition} |" in text
    assert all(0.0 <= row.right <= 1.0 for row in enlargements + conditions)
    assert enlargements[4].right >= 0.9  # smoothly enlarged digits: 97.5 % on all 1,797


@pytest.mark.parametrize("quality", [None, 60])
def test_blocky_digits_read_better_redrawn_smooth(
    served: Served, monkeypatch: pytest.MonkeyPatch, quality: int | None
) -> None:
    inks, labels = optdigits()
    view = View(NEAREST, 4.0, quality)
    samples = [
        Sample(view.name("digit"), view.page(ink), str(label))
        for ink, label in zip(inks[:300], labels[:300], strict=True)
    ]

    def right() -> int:
        answers, _ = served.digits(samples)
        return sum(a == s.label for a, s in zip(answers, samples, strict=True))

    redrawn = right()
    monkeypatch.setattr(digits_core.decoding, "deblocked", lambda gray, lossy: gray)
    as_sent = right()
    assert redrawn >= as_sent + 5, (redrawn, as_sent)
