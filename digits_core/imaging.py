"""The one preprocessing definition shared by training and serving.

bytes → decoded grayscale (limits checked from the header, EXIF orientation, alpha on white)
→ MNIST-style 28×28 float32 in 0..1, white ink on black, the digit's longer side 20 px,
centred by centre of mass (how MNIST itself was made).
"""

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digits_core.errors import ImageTooLarge, InvalidImage, InvalidPixels

MNIST_SIZE = 28
DIGIT_BOX = 20
DEFAULT_MAX_PIXELS = 40_000_000


def scale_mnist(images: np.ndarray) -> np.ndarray:
    """uint8 MNIST images [N, 28, 28] → model input float32 [N, 28, 28, 1] in 0..1."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def open_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open image bytes lazily and refuse oversized images before any pixel is decoded."""
    if not data:
        raise InvalidImage("The image is empty (0 bytes).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"The image is too large to decode: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidImage(
            "The data is not an image we can read (PNG, JPEG, BMP, GIF, TIFF or WebP)."
        ) from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidImage(f"The image has no pixels ({width}×{height}).")
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"The image is {width}×{height} = {width * height:,} pixels; "
            f"the limit is {max_pixels:,}."
        )
    return image


def to_grayscale(image: Image.Image) -> np.ndarray:
    """Decode a PIL image (first frame) to a float32 grayscale array in 0..255.

    EXIF orientation is honoured and transparent pixels become white paper, because a
    browser canvas is dark strokes on a transparent background.
    """
    try:
        image.seek(0)
        image = ImageOps.exif_transpose(image) or image
        if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            array = np.asarray(image, dtype=np.float32)
            peak = 65535.0 if array.max(initial=0) > 255 else 255.0
            return np.clip(array * (255.0 / peak), 0, 255)
        if image.mode in ("RGBA", "LA", "PA") or (
            image.mode in ("P", "L", "RGB") and "transparency" in image.info
        ):
            rgba = image.convert("RGBA")
            paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(paper, rgba)
        return np.asarray(image.convert("L"), dtype=np.float32)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InvalidImage("The image data is truncated or corrupt.") from exc


def decode_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Image bytes → float32 grayscale array in 0..255 (raises InvalidImage/ImageTooLarge)."""
    return to_grayscale(open_image(data, max_pixels=max_pixels))


def ink_map(gray: np.ndarray) -> np.ndarray:
    """Grayscale 0..255 → ink intensity 0..1 (1 = ink) with polarity decided by the border.

    Paper is whatever the image border mostly is: dark ink on light paper is inverted to
    MNIST's white-on-black; the paper level is subtracted and the ink contrast stretched.
    """
    gray = np.asarray(gray, dtype=np.float32)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border))
    ink = paper - gray if paper > 127.5 else gray - paper
    ink = np.clip(ink, 0, None)
    peak = float(ink.max(initial=0))
    if peak < 1e-6:
        return np.zeros_like(ink)
    return ink / peak


def fit_to_mnist(ink: np.ndarray) -> np.ndarray:
    """Ink crop 0..1 → 28×28: longer side to 20 px (aspect kept), centred by centre of mass."""
    height, width = ink.shape
    scale = DIGIT_BOX / max(height, width)
    new_w = max(1, round(width * scale))
    new_h = max(1, round(height * scale))
    resized = Image.fromarray(ink.astype(np.float32), mode="F").resize(
        (new_w, new_h), Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BILINEAR
    )
    digit = np.clip(np.asarray(resized, dtype=np.float32), 0, 1)
    canvas = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    top = (MNIST_SIZE - new_h) // 2
    left = (MNIST_SIZE - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = digit
    total = float(canvas.sum())
    if total <= 0:
        return canvas
    rows, cols = np.indices(canvas.shape)
    shift_y = round(MNIST_SIZE / 2 - 0.5 - float((rows * canvas).sum()) / total)
    shift_x = round(MNIST_SIZE / 2 - 0.5 - float((cols * canvas).sum()) / total)
    shift_y = int(np.clip(shift_y, -top, MNIST_SIZE - top - new_h))
    shift_x = int(np.clip(shift_x, -left, MNIST_SIZE - left - new_w))
    return np.roll(canvas, (shift_y, shift_x), axis=(0, 1))


def normalize_digit(gray: np.ndarray, *, ink_threshold: float = 0.25) -> np.ndarray:
    """Grayscale image of one digit (either polarity, 0..255) → 28×28 float32 MNIST input.

    An image with no ink gives an all-zero array.
    """
    ink = ink_map(gray)
    mask = ink >= ink_threshold
    if not mask.any():
        return np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return fit_to_mnist(crop)


def image_to_input(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Image bytes → 28×28 float32 model input."""
    return normalize_digit(decode_image(data, max_pixels=max_pixels))


def pixels_to_input(pixels: object) -> np.ndarray:
    """A 28×28 list of numbers 0..255 (MNIST convention, white ink on black) → model input.

    Already MNIST-shaped, so it is only validated and scaled, not re-cropped.
    """
    try:
        array = np.asarray(pixels, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidPixels("`pixels` must be a 28×28 array of numbers 0..255.") from exc
    if array.shape != (MNIST_SIZE, MNIST_SIZE):
        raise InvalidPixels(f"`pixels` must be 28×28; got shape {list(array.shape)}.")
    if not np.isfinite(array).all():
        raise InvalidPixels("`pixels` contains NaN or infinite values.")
    if array.min() < 0 or array.max() > 255:
        raise InvalidPixels("`pixels` values must be between 0 and 255.")
    return (array / 255.0).astype(np.float32)
