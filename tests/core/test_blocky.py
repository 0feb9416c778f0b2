"""A nearest-neighbour enlargement is re-drawn smooth; every other image is left as it is."""

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

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


def jpeg(gray: np.ndarray, quality: int) -> np.ndarray:
    """`gray` saved as a JPEG of `quality` and decoded again (float32)."""
    buffer = io.BytesIO()
    Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer), dtype=np.float32)


@pytest.mark.parametrize(("scale", "quality"), [(2.0, 75), (3.5, 60), (5.0, 40), (6.5, 90)])
def test_a_blocky_jpeg_comes_out_like_a_smooth_one(
    sources: list[np.ndarray], scale: float, quality: int
) -> None:
    for source in sources:
        blocky = jpeg(enlarged(source, scale, Image.Resampling.NEAREST), quality)
        smooth = enlarged(source, scale, Image.Resampling.BILINEAR)
        redrawn = deblocked(blocky, lossy=True)
        assert redrawn.shape == blocky.shape
        assert np.abs(redrawn - smooth).mean() < 0.5 * np.abs(blocky - smooth).mean()
        assert deblocked(blocky) is blocky  # as a lossless page it has no flat runs


def test_a_blocky_jpeg_on_jpegs_own_grid_is_found_by_its_flat_blocks(
    sources: list[np.ndarray],
) -> None:
    for source in sources:
        blocky = jpeg(enlarged(source, 8.0, Image.Resampling.NEAREST), 60)
        smooth = enlarged(source, 8.0, Image.Resampling.BILINEAR)
        redrawn = deblocked(blocky, lossy=True)
        assert np.abs(redrawn - smooth).mean() < 0.5 * np.abs(blocky - smooth).mean()


def paperwork(digit: np.ndarray, rule_every: int, boxed: bool) -> np.ndarray:
    """An MNIST digit written 84 px tall on squared paper (2-px rules) or in a printed box
    (3-px sides) on paper lit unevenly: a ramp of one grey level every ~3 px, a staircase of
    its own once saved in 8 bits."""
    light = np.linspace(200.0, 250.0, 150, dtype=np.float32)
    page = np.round(np.broadcast_to(light, (160, 150))).astype(np.float32)
    if boxed:
        page[30:134, 25:28] = page[30:134, 121:124] = 90.0
        page[30:33, 25:124] = page[131:134, 25:124] = 90.0
    else:
        page[rule_every // 2 :: rule_every, :] = page[:, rule_every // 3 :: rule_every] = 150.0
        page[rule_every // 2 + 1 :: rule_every, :] = page[:, rule_every // 3 + 1 :: rule_every] = (
            150.0
        )
    ink = np.asarray(Image.fromarray(digit).resize((84, 84), Image.Resampling.BILINEAR)) / 255.0
    page[38:122, 33:117] *= 1 - 0.85 * ink
    return page


def photo(digit: np.ndarray, seed: int) -> np.ndarray:
    """An MNIST digit 100 px tall on grainy paper half in shadow, slightly out of focus."""
    rng = np.random.default_rng(seed)
    page = np.full((240, 220), 225.0) + rng.normal(0, 6, (240, 220))
    page *= 1 - 0.4 / (1 + np.exp(-(np.arange(220) - 150) / 15.0))
    ink = np.asarray(Image.fromarray(digit).resize((100, 100), Image.Resampling.BILINEAR))
    page[70:170, 60:160] *= 1 - 0.8 * ink / 255.0
    blurred = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(1.0)
    )
    return np.asarray(blurred, dtype=np.float32)


@pytest.mark.parametrize("quality", [12, 20, 30, 60, 90])
def test_jpegs_that_are_no_enlargement_are_left_as_they_are(
    mnist_test: tuple[np.ndarray, np.ndarray], sources: list[np.ndarray], quality: int
) -> None:
    images, _ = mnist_test
    pages = [jpeg(enlarged(source, 4.0, Image.Resampling.BICUBIC), quality) for source in sources]
    pages += [jpeg(255.0 - 0.9 * digit, quality) for digit in images[:20]]
    for index, digit in enumerate(images[20:32]):
        pages.append(jpeg(paperwork(digit, rule_every=12 + 4 * (index % 4), boxed=False), quality))
        pages.append(jpeg(paperwork(digit, rule_every=0, boxed=True), quality))
    # At low quality JPEG's own 8×8 blocks stand out like a nearest ×8 enlargement's.
    pages += [jpeg(photo(digit, seed), quality) for seed, digit in enumerate(images[32:44])]
    for gray in pages:
        assert deblocked(gray, lossy=True) is gray
