"""Paperwork scenes (issue 13): deterministic, the formats they name, labels match the digits."""

import io

import numpy as np
import pytest
from PIL import Image

from digits_core.decoding import decode_image
from training import paperwork as pw
from training.realistic_forms import FORMS
from training.realistic_numbers import NUMBERS
from training.realistic_set import number_samples


@pytest.fixture(scope="module")
def digits(mnist_test: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    images, labels = mnist_test
    return images[:100], labels[:100]


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("name", list(FORMS))
def test_single_digit_scenes_are_deterministic(name: str, digits: tuple) -> None:
    images, _ = digits
    scene = FORMS[name]
    first = [scene(np.random.default_rng([3, i]), images[i]) for i in range(3)]
    again = [scene(np.random.default_rng([3, i]), images[i]) for i in range(3)]
    other = [scene(np.random.default_rng([4, i]), images[i]) for i in range(3)]
    assert first == again
    assert first != other
    for data in first:
        assert max(opened(data).size) <= 1500


@pytest.mark.parametrize("name", list(NUMBERS))
def test_number_scenes_are_deterministic_and_sane(name: str, digits: tuple) -> None:
    images, _ = digits
    scene, (low, high), _ = NUMBERS[name]
    for count in (low, high):
        picks = list(images[:count])
        data = scene(np.random.default_rng(5), picks)
        assert data == scene(np.random.default_rng(5), picks)
        assert max(opened(data).size) <= 1500


def test_bilevel_formats(digits: tuple) -> None:
    images, _ = digits
    for seed in range(4):
        png = opened(FORMS["bilevel_png"](np.random.default_rng(seed), images[seed]))
        assert png.format == "PNG" and png.mode == "1"
        tiff = opened(FORMS["bilevel_g4"](np.random.default_rng(seed), images[seed]))
        assert tiff.format == "TIFF" and tiff.mode == "1"
        assert tiff.info.get("compression") == "group4"
        assert min(png.size) >= 10 and max(png.size) <= 200


def test_g4_scans_come_in_fine_and_standard_fax_mode(digits: tuple) -> None:
    """Standard mode keeps half the rows and says so in the TIFF; decoding squares them."""
    images, _ = digits
    modes = set()
    for seed in range(12):
        data = FORMS["bilevel_g4"](np.random.default_rng(seed), images[seed])
        tiff = opened(data)
        modes.add(tiff.info["dpi"])
        if tiff.info["dpi"] == pw.FAX_STANDARD:
            gray = decode_image(data)
            assert gray.shape[0] == pytest.approx(tiff.height * 204 / 98, abs=1)
    assert modes == {(200.0, 200.0), (204.0, 98.0)}


def test_numbers_bilevel_is_one_bit(digits: tuple) -> None:
    images, _ = digits
    for seed in range(4):
        data = NUMBERS["numbers_bilevel"][0](np.random.default_rng(seed), list(images[:5]))
        assert opened(data).mode == "1"


def test_low_resolution_is_blocky_upscaled(digits: tuple) -> None:
    images, _ = digits
    for seed in range(4):
        image = opened(FORMS["low_resolution"](np.random.default_rng(seed), images[seed]))
        assert min(image.size) >= 2 * 10  # at least 2× a ≥ 10 px source


def test_number_labels_are_the_digits_drawn(digits: tuple) -> None:
    images, labels = digits
    samples = number_samples(images, labels, count=3, seed=9)
    names = {s.condition for s in samples}
    assert names == {"numbers_spaced", *NUMBERS}
    for sample in samples:
        assert sample.label.isdigit()
        if sample.condition in NUMBERS:
            low, high = NUMBERS[sample.condition][1]
            assert low <= len(sample.label) <= high
    # The labels are the drawn digits: re-rendering from the label's digits gives the bytes.
    rng = np.random.default_rng([9, 201])
    picks = rng.choice(len(labels), size=int(rng.integers(2, 9)), replace=False)
    first = next(s for s in samples if s.condition == "numbers_touching")
    assert first.label == "".join(str(labels[i]) for i in picks)
    assert first.data == NUMBERS["numbers_touching"][0](rng, [images[i] for i in picks])


def test_printed_lines_cross_the_sheet() -> None:
    sheet = np.full((60, 80, 3), 255.0, np.float32)
    pw.box(sheet, 10, 10, 40, 60, 2, (0, 0, 0))
    assert sheet[10, 40].max() < 60 and sheet[50, 40].max() < 60  # top and bottom lines
    assert sheet[30, 10].max() < 60 and sheet[30, 70].max() < 60  # left and right lines
    assert sheet[30, 40].min() == 255  # inside untouched
    ruled = np.full((100, 50, 3), 255.0, np.float32)
    pw.ruling(ruled, 20, 5, 1.5, (0, 0, 0))
    dark_rows = np.flatnonzero(ruled[:, 25, 0] < 128)
    assert set(dark_rows) >= {5, 25, 45, 65, 85}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_turned_page_keeps_its_ink_and_paper(dtype: type) -> None:
    sheet = np.full((60, 200, 3), (240.0, 230.0, 200.0), dtype)
    sheet[25:35, 20:180] = 30.0  # a dark bar along the page
    turned = pw.turned(sheet, 30)
    assert turned.shape[:2] == pytest.approx(
        (200 * 0.5 + 60 * 0.866, 200 * 0.866 + 60 * 0.5), abs=2
    )
    assert np.isfinite(turned).all()
    assert turned[0, 0] == pytest.approx((240, 230, 200), abs=1)  # an uncovered corner
    dark = np.argwhere(turned.min(axis=2) < 60)
    slope = np.polyfit(dark[:, 1], dark[:, 0], 1)[0]
    assert np.degrees(np.arctan(-slope)) == pytest.approx(30, abs=2)  # risen to the right


def test_a_tinted_form_is_shaded_outside_its_white_boxes() -> None:
    for seed in range(20):
        sheet = np.full((60, 100, 3), 250.0, np.float32)
        pw.tinted(sheet, [(10, 10, 40, 30), (10, 50, 40, 30)], np.random.default_rng(seed))
        luma = sheet.mean(axis=2)
        assert np.allclose(luma[13:47, 13:37], 250.0)  # inside a box (an outline is 1–2 px)
        assert np.allclose(luma[13:47, 53:77], 250.0)
        shade = np.concatenate([luma[:8].ravel(), luma[:, :8].ravel(), luma[13:47, 42:48].ravel()])
        assert shade.max() < 245.0 and np.ptp(shade) < 1.0  # the tint, evenly, between them too
