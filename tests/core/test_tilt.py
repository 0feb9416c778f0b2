"""A line of digits written askew is found askew, turned level, and mapped back."""

import numpy as np
import pytest
from PIL import Image

from digits_core import morphology
from digits_core.tilt import ELONGATION, MIN_TILT, levelled, line_angle
from tests.utils.paperwork import written


def turned(coverage: np.ndarray, angle: float) -> np.ndarray:
    """Ink coverage turned `angle` degrees anticlockwise on the page."""
    image = Image.fromarray(coverage.astype(np.float32), mode="F")
    return np.asarray(image.rotate(angle, resample=Image.BILINEAR, expand=True))


def angle_of(ink: np.ndarray) -> float | None:
    """`line_angle` of the ink, its pieces labelled as the analysis labels them."""
    return line_angle(ink, morphology.label(ink > 0.25, eight=True)[0])


@pytest.fixture(scope="module")
def line(mnist_test: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    images, _ = mnist_test
    return written(list(images[:6]), overlap=-0.3, slope=0.0, margin=10)


@pytest.mark.parametrize("angle", [-35, -20, -12, 12, 20, 35])
def test_a_line_written_askew_is_found_at_its_angle(line: np.ndarray, angle: float) -> None:
    found = angle_of(turned(line, angle))
    assert found is not None
    assert np.degrees(found) == pytest.approx(-angle, abs=2)  # image y runs down


@pytest.mark.parametrize("angle", [0, 4, -4])
def test_a_line_near_level_is_left_as_it_is(line: np.ndarray, angle: float) -> None:
    assert abs(angle) < MIN_TILT
    assert angle_of(turned(line, angle)) is None


@pytest.mark.parametrize("angle", [-20, 20])
def test_one_long_run_of_ink_is_found_at_its_angle(
    mnist_test: tuple[np.ndarray, np.ndarray], angle: float
) -> None:
    """Digits that touch may be one piece: no centres to go by, and the run's axis is the
    line's (here a stroke through six digits joins them)."""
    images, _ = mnist_test
    run = written(list(images[:6]), overlap=0.3, slope=0.0, margin=10)
    middle = run.shape[0] // 2
    run[middle - 1 : middle + 2, 10:-10] = 1.0
    found = angle_of(turned(run, angle))
    assert found is not None
    assert np.degrees(found) == pytest.approx(-angle, abs=3)


def leaning(images: np.ndarray, lean: float) -> list[np.ndarray]:
    """Each digit sheared about its centre: `lean` columns per row (italic writing)."""
    return [
        np.asarray(
            Image.fromarray(image).transform(
                (28, 28), Image.Transform.AFFINE, (1, lean, -14 * lean, 0, 1, 0), Image.BILINEAR
            )
        )
        for image in images
    ]


def principal_axis(ink: np.ndarray) -> tuple[float, float]:
    """(degrees, elongation) of the ink's principal axis: what the first version went by."""
    rows, cols = np.nonzero(ink)
    spreads, axes = np.linalg.eigh(np.cov(np.stack([cols, rows]), aweights=ink[rows, cols]))
    along = axes[:, 1] * np.sign(axes[0, 1])
    return float(np.degrees(np.arctan2(along[1], along[0]))), float(
        np.sqrt(spreads[1] / spreads[0])
    )


@pytest.mark.parametrize("lean", [-0.35, 0.35])
def test_slanted_digits_written_level_are_left_as_they_are(
    mnist_test: tuple[np.ndarray, np.ndarray], lean: float
) -> None:
    """Italic writing leans each digit, not the line: the centres stay on one level."""
    images, _ = mnist_test
    assert angle_of(written(leaning(images[:3], lean), overlap=-0.3, slope=0.0)) is None


def test_a_short_slanted_line_tilts_its_axis_not_its_centres(
    mnist_test: tuple[np.ndarray, np.ndarray],
) -> None:
    """Three digits leaning hard, written level: the principal axis of their ink alone is
    tilted past MIN_TILT on a line long enough to go by (so it would turn them); the line
    through their centres is level."""
    images, _ = mnist_test
    ink = written(leaning(images[:3], -0.6), overlap=-0.2, slope=0.0)
    degrees, elongation = principal_axis(ink)
    assert abs(degrees) >= MIN_TILT and elongation >= ELONGATION
    assert angle_of(ink) is None


def test_a_digit_or_two_is_no_line(mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    """A single "1" is long but upright, two digits are not much longer than tall: their
    ink's axis says nothing about how the page lies."""
    images, labels = mnist_test
    one = images[int(np.flatnonzero(labels == 1)[0])]
    assert angle_of(turned(written([one], 0.0, 0.0), 20)) is None
    assert angle_of(turned(written(list(images[:2]), -0.3, 0.0), 20)) is None
    assert angle_of(np.zeros((10, 10))) is None


def test_levelled_ink_maps_back_to_where_it_was(line: np.ndarray) -> None:
    page = turned(line, 25)
    marked = page.copy()
    marked[np.nonzero(page > 0.5)] = 0.5
    y, x = np.argwhere(page > 0.5)[len(np.argwhere(page > 0.5)) // 2]
    marked[y - 2 : y + 3, x - 2 : x + 3] = 1.0  # a bright mark on a stroke
    angle = angle_of(marked)
    assert angle is not None
    level, tilt = levelled(marked, angle)
    assert angle_of(level) is None  # level now
    # The mark in the level frame, mapped back, is where it was on the page.
    v, u = np.argwhere(level >= 0.99).mean(axis=0)
    left, top, right, bottom = tilt.bounds(u, v, u, v)
    assert (left, top) == pytest.approx((x, y), abs=1.5)
    assert (right, bottom) == pytest.approx((left, top))
