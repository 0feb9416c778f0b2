"""Shared preprocessing: every real-world condition lands on the same MNIST-style 28×28 input."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits_core import morphology
from digits_core.decoding import decode_image
from digits_core.errors import ImageTooLarge, InvalidImage
from digits_core.imaging import prepare_digit
from tests.utils.paperwork import ink_of, png


def normalize_digit(gray: np.ndarray) -> np.ndarray:
    return prepare_digit(gray)[0]


def image_to_digit(data: bytes) -> tuple[np.ndarray, bool]:
    return prepare_digit(decode_image(data))


def image_to_input(data: bytes) -> np.ndarray:
    return image_to_digit(data)[0]


def seven(size: int = 120, width: int = 10) -> np.ndarray:
    """A dark "7" on white paper, float32 0..255, digit in the middle with wide margins."""
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(0.3 * size, 0.25 * size), (0.7 * size, 0.25 * size)], fill=0, width=width)
    draw.line([(0.7 * size, 0.25 * size), (0.45 * size, 0.75 * size)], fill=0, width=width)
    return np.asarray(image, dtype=np.float32)


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two 28×28 inputs (1 = the same picture), best over ±1 px shifts.

    Centring by mass rounds to whole pixels, so equivalent inputs may differ by a 1 px shift.
    """
    norm = np.linalg.norm(a) * np.linalg.norm(b) + 1e-9
    return max(
        float((np.roll(a, (dy, dx), axis=(0, 1)) * b).sum() / norm)
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    array, has_digit = prepare_digit(seven())
    assert has_digit
    return array


def test_output_is_mnist_shaped(reference: np.ndarray) -> None:
    assert reference.shape == (28, 28) and reference.dtype == np.float32
    assert reference.min() >= 0.0 and reference.max() <= 1.0
    assert reference.max() > 0.9  # strokes saturate like MNIST's
    rows = np.flatnonzero(reference.any(axis=1))
    assert rows[-1] - rows[0] + 1 == 20  # the longer side is 20 px
    ys, xs = np.indices(reference.shape)
    mass = reference.sum()
    assert abs((ys * reference).sum() / mass - 14) <= 0.5  # centred by mass, as MNIST
    assert abs((xs * reference).sum() / mass - 14) <= 0.5


def test_grey_anti_aliasing_is_kept(reference: np.ndarray) -> None:
    grey = (reference > 0.05) & (reference < 0.95)
    assert grey.sum() >= 10


def test_polarity_does_not_matter(reference: np.ndarray) -> None:
    assert similarity(normalize_digit(255.0 - seven()), reference) > 0.99


def test_mnist_passes_through_unchanged(mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    images, _ = mnist_test
    for image in images[:50]:
        array, has_digit = prepare_digit(image.astype(np.float32))
        assert has_digit
        assert np.abs(array - image / 255.0).max() < 0.1


def test_uneven_lighting_is_removed(reference: np.ndarray) -> None:
    ramp = np.linspace(0.35, 1.0, 120, dtype=np.float32)[None, :]
    shaded = seven() * ramp  # the left of the page is much darker than the strokes' contrast
    assert similarity(normalize_digit(shaded), reference) > 0.95


def test_paper_noise_and_specks_are_ignored(reference: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    noisy = seven() + rng.normal(0, 12, (120, 120)).astype(np.float32)
    noisy[5:8, 5:8] = 0  # a speck of dust in the corner must not widen the crop
    noisy[110:112, 100:102] = 0
    array, has_digit = prepare_digit(np.clip(noisy, 0, 255))
    assert has_digit
    assert similarity(array, reference) > 0.95


def test_page_edge_shadow_is_ignored(reference: np.ndarray) -> None:
    shadowed = seven()
    shadowed[:, :6] = 40  # the table beside the page along the left edge
    assert similarity(normalize_digit(shadowed), reference) > 0.97


def test_a_tilted_page_edge_along_the_bottom_is_ignored(reference: np.ndarray) -> None:
    edged = seven()
    columns = np.arange(120)
    for x in columns:  # the page's lower edge, running out of the image at the right
        top = 104 + round(x * 0.12)
        edged[top : top + 3, x] = 40
    assert similarity(normalize_digit(edged), reference) > 0.97


def test_a_bold_digit_cut_to_its_ink_is_found_as_with_paper_around(
    mnist_test: tuple[np.ndarray, np.ndarray],
) -> None:
    """Ink is most of the image and meets every side: still dark ink on paper, still found."""
    for image in mnist_test[0][:20]:
        bold = morphology.max_filter(np.pad(ink_of(image), 4), 7)  # strokes 6 px wider
        rows, cols = np.flatnonzero(bold.max(1) > 0.1), np.flatnonzero(bold.max(0) > 0.1)
        bold = bold[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        with_paper = prepare_digit(decode_image(png(np.pad(bold, 20))))[0]
        cut, has_digit = prepare_digit(decode_image(png(bold)))
        assert has_digit and similarity(cut, with_paper) > 0.9


def test_tinted_paper_and_coloured_ink(reference: np.ndarray) -> None:
    mask = seven() < 128
    rgb = np.empty((120, 120, 3), np.uint8)
    rgb[:] = (245, 238, 200)
    rgb[mask] = (30, 50, 160)
    array = image_to_input(encode(Image.fromarray(rgb, "RGB")))
    assert similarity(array, reference) > 0.97


def test_jpeg_blur_and_thick_strokes_keep_the_shape(reference: np.ndarray) -> None:
    jpeg = image_to_input(encode(Image.fromarray(seven().astype(np.uint8)), "JPEG", quality=30))
    assert similarity(jpeg, reference) > 0.95
    thick = normalize_digit(seven(width=22))
    assert similarity(thick, reference) > 0.7


def test_small_digit_in_large_image(reference: np.ndarray) -> None:
    page = np.full((1500, 1800), 250, dtype=np.float32)
    page[900:1020, 300:420] = seven()
    array, has_digit = prepare_digit(page)
    assert has_digit
    assert similarity(array, reference) > 0.9


def test_big_jpeg_is_decoded_at_reduced_size_without_losing_the_digit(
    reference: np.ndarray,
) -> None:
    big = Image.fromarray(seven(size=3000, width=250).astype(np.uint8))
    data = encode(big, "JPEG", quality=90)
    gray = decode_image(data)
    assert 1024 <= max(gray.shape) < 3000
    assert similarity(normalize_digit(gray), reference) > 0.95


def test_transparent_canvas_dark_or_light_strokes(reference: np.ndarray) -> None:
    mask = (seven() < 128).astype(np.uint8) * 255
    for colour in ((0, 0, 0), (255, 255, 255)):
        rgba = np.zeros((120, 120, 4), np.uint8)
        rgba[..., :3] = colour
        rgba[..., 3] = mask
        array, has_digit = image_to_digit(encode(Image.fromarray(rgba, "RGBA")))
        assert has_digit, colour
        assert similarity(array, reference) > 0.97, colour


def test_sixteen_bit_and_palette_pngs(reference: np.ndarray) -> None:
    wide = Image.fromarray((seven() * 257).astype(np.uint16))
    assert similarity(image_to_input(encode(wide)), reference) > 0.99
    palette = Image.fromarray(seven().astype(np.uint8)).convert("RGB").convert("P")
    assert similarity(image_to_input(encode(palette)), reference) > 0.99


def test_exif_orientation_is_honoured(reference: np.ndarray) -> None:
    # Stored rotated; the EXIF tag (6 = rotate 90° clockwise to display) puts it upright.
    stored = Image.fromarray(seven().astype(np.uint8)).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    assert similarity(image_to_input(data), reference) > 0.95


@pytest.mark.parametrize(
    "gray",
    [
        pytest.param(np.full((200, 300), 240, np.float32), id="blank paper"),
        pytest.param(
            np.clip(np.random.default_rng(1).normal(230, 8, (200, 200)), 0, 255), id="noisy paper"
        ),
        pytest.param(np.zeros((28, 28), np.float32), id="empty MNIST canvas"),
    ],
)
def test_no_digit_is_flagged(gray: np.ndarray) -> None:
    _, has_digit = prepare_digit(np.asarray(gray, np.float32))
    assert not has_digit


def test_solid_blob_is_flagged() -> None:
    image = Image.new("L", (300, 300), 245)
    ImageDraw.Draw(image).ellipse([60, 80, 230, 220], fill=30)
    _, has_digit = prepare_digit(np.asarray(image, dtype=np.float32))
    assert not has_digit


def test_empty_transparent_canvas_is_flagged() -> None:
    data = encode(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))
    array, has_digit = image_to_digit(data)
    assert not has_digit and not array.any()


def test_bad_bytes_and_oversized_images_are_refused() -> None:
    with pytest.raises(InvalidImage):
        decode_image(b"not an image")
    with pytest.raises(ImageTooLarge):
        decode_image(encode(Image.new("L", (400, 400), 255)), max_pixels=1000)


@pytest.mark.parametrize("page", [120, 900])
def test_a_faint_digit_is_found(reference: np.ndarray, page: int) -> None:
    # Ink 15 % darker than the paper (a hard pencil): under MIN_CONTRAST, once blank paper. On
    # a big page the first, reduced look sees it fainter still and looks again closer.
    gray = np.full((page, page), 240.0, np.float32)
    gray[:120, :120] = 240.0 - 0.15 * (255.0 - seven())
    array, has_digit = prepare_digit(gray)
    assert has_digit and similarity(array, reference) > 0.9
