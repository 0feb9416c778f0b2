"""The fast alpha flattening gives exactly the floats of the plain definition it replaced."""

import io

import numpy as np
from PIL import Image

from digits_core.decoding import decode_image, flatten_alpha


def reference_flatten(image: Image.Image) -> np.ndarray:
    """The previous definition, band by band (kept here as the specification)."""
    luma, alpha = (np.asarray(band, dtype=np.float32) for band in image.split())
    alpha = alpha / 255.0
    opaque = alpha > 0.5
    if opaque.all() or not opaque.any():
        return luma if opaque.all() else np.full_like(luma, 255.0)
    paper = 0.0 if float(luma[opaque].mean()) > 127.5 else 255.0
    return luma * alpha + paper * (1.0 - alpha)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_flatten_alpha_is_bit_identical_on_varied_images() -> None:
    rng = np.random.default_rng(14)
    for _ in range(40):
        height, width = (int(n) for n in rng.integers(1, 120, 2))
        pixels = rng.integers(0, 256, (height, width, 2), dtype=np.uint8)
        for alphas in ([0, 1, 127, 128, 254, 255], [255], [0], [0, 255]):
            pixels[..., 1] = rng.choice(alphas, size=(height, width))
            image = Image.fromarray(pixels, "LA")
            expected, actual = reference_flatten(image), flatten_alpha(image)
            assert actual.dtype == expected.dtype == np.float32
            np.testing.assert_array_equal(actual, expected)


def test_decoded_rgba_canvas_matches_the_reference() -> None:
    rng = np.random.default_rng(15)
    rgba = rng.integers(0, 256, (64, 48, 4), dtype=np.uint8)
    rgba[..., 3] = rng.choice([0, 90, 200, 255], size=(64, 48))
    image = Image.fromarray(rgba, "RGBA")
    expected = reference_flatten(image.convert("LA"))
    np.testing.assert_array_equal(decode_image(png(image)), expected)
