"""A nearest-neighbour enlargement is re-drawn smooth; every other image is left as it is."""

import numpy as np
import pytest
from PIL import Image

from digits_core.blocky import deblocked


def page(digit: np.ndarray, side: int) -> np.ndarray:
    """An MNIST digit dark on paper, shrunk to `side` px: a low-resolution source (uint8)."""
    gray = Image.fromarray((255 - digit * 0.9).astype(np.uint8))
    return np.asarray(gray.resize((side, side), Image.Resampling.BOX))


def enlarged(source: np.ndarray, scale: float, resample: Image.Resampling) -> np.ndarray:
    image = Image.fromarray(source)
    size = (round(image.width * scale), round(image.height * scale))
    return np.asarray(image.resize(size, resample), dtype=np.float32)


@pytest.fixture(scope="module")
def sources(mnist_test: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    images, _ = mnist_test
    return [page(images[i], side) for i, side in enumerate((10, 12, 14, 16, 11, 13))]


@pytest.mark.parametrize("scale", [2.0, 3.0, 3.5, 8.0])
def test_a_blocky_enlargement_comes_out_like_a_smooth_one(
    sources: list[np.ndarray], scale: float
) -> None:
    for source in sources:
        blocky = enlarged(source, scale, Image.Resampling.NEAREST)
        smooth = enlarged(source, scale, Image.Resampling.BILINEAR)
        redrawn = deblocked(blocky)
        assert redrawn.shape == blocky.shape and redrawn.dtype == np.float32
        # Bilinear from the same source pixels: what is left is where the grid's centres sit
        # (Pillow's and ours differ by a fraction of a source pixel at a non-integer scale).
        assert np.abs(redrawn - smooth).mean() < 0.4 * np.abs(blocky - smooth).mean()


def test_a_blocky_enlargement_cut_off_its_grid_is_still_found(sources: list[np.ndarray]) -> None:
    for source in sources:
        cut = np.s_[3:-2, 5:-1]  # the first and last blocks cut short
        blocky = enlarged(source, 6.0, Image.Resampling.NEAREST)[cut]
        smooth = enlarged(source, 6.0, Image.Resampling.BILINEAR)[cut]
        redrawn = deblocked(blocky)
        assert redrawn.shape == blocky.shape
        assert np.abs(redrawn - smooth).mean() < 0.4 * np.abs(blocky - smooth).mean()


@pytest.mark.parametrize(
    "resample", [Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS]
)
def test_a_smooth_enlargement_is_left_as_it_is(
    sources: list[np.ndarray], resample: Image.Resampling
) -> None:
    for source in sources:
        smooth = enlarged(source, 4.0, resample)
        assert deblocked(smooth) is smooth


def test_digits_at_their_own_resolution_are_left_as_they_are(
    mnist_test: tuple[np.ndarray, np.ndarray],
) -> None:
    images, _ = mnist_test
    for digit in images[:50]:
        gray = (255.0 - digit).astype(np.float32)
        one_bit = np.where(enlarged(digit, 1.2, Image.Resampling.BILINEAR) > 100, 0.0, 255.0)
        assert deblocked(gray) is gray
        assert deblocked(one_bit) is one_bit  # a 1-bit scan: flat runs, but not on a grid


def test_a_page_with_too_little_on_it_is_left_as_it_is() -> None:
    blank = np.full((80, 120), 250.0, dtype=np.float32)
    bar = blank.copy()
    bar[30:50, 40:44] = 10.0  # a printed bar: four changes, no grid to speak of
    box = blank.copy()
    box[10:70, 30:90] = 10.0
    box[12:68, 32:88] = 250.0  # an empty printed box: 2-px sides, runs of 2 and more only
    assert deblocked(blank) is blank
    assert deblocked(bar) is bar
    assert deblocked(box) is box
