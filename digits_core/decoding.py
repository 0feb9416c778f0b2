"""Image bytes → grayscale: limits checked from the header before any pixel is decoded, the
first frame, EXIF orientation, alpha composited on paper, a blocky enlargement re-drawn smooth,
square pixels; a large JPEG decoded at a reduced DCT scale when the analysis needs fewer
pixels."""

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digits_core.blocky import deblocked
from digits_core.errors import ImageTooLarge, InvalidImage
from digits_core.ink import WORK_SIDE
from digits_core.pixel_aspect import pixel_aspect, squared

DEFAULT_MAX_PIXELS = 40_000_000


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

    EXIF orientation is honoured. Transparent pixels become paper that contrasts with the
    strokes: white behind dark strokes (a browser canvas), black behind light ones.
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
            return flatten_alpha(image.convert("LA"))
        return np.asarray(image.convert("L"), dtype=np.float32)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InvalidImage("The image data is truncated or corrupt.") from exc


def flatten_alpha(image: Image.Image) -> np.ndarray:
    """LA image → grayscale composited on paper of the opposite tone to its opaque strokes."""
    pair = np.asarray(image)  # one [h, w, 2] uint8 copy instead of two bands
    alpha8 = pair[..., 1]
    opaque = alpha8 > 127  # alpha / 255 > 0.5
    # Fully opaque or fully transparent: the alpha channel carries no drawing.
    if not opaque.any():
        return np.full(alpha8.shape, 255.0, dtype=np.float32)
    luma = pair[..., 0].astype(np.float32)
    if opaque.all():
        return luma
    alpha = alpha8.astype(np.float32) / np.float32(255.0)
    paper = 0.0 if float(luma[opaque].mean()) > 127.5 else 255.0
    return luma * alpha + paper * (1.0 - alpha)


def decode_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, work_side: int | None = WORK_SIDE
) -> np.ndarray:
    """Image bytes → float32 grayscale array in 0..255 (raises InvalidImage/ImageTooLarge).

    A JPEG much larger than `work_side` is decoded at a reduced DCT scale (at least
    `work_side` on its longer side, so thin strokes survive); None decodes at full size.
    A nearest-neighbour enlargement is re-drawn smooth (`digits_core.blocky`); pixels the file
    declares not square (a fax) are made square (`digits_core.pixel_aspect`).
    """
    return decode_reduced(data, max_pixels=max_pixels, work_side=work_side)[0]


def decode_reduced(
    data: bytes, *, max_pixels: int, work_side: int | None
) -> tuple[np.ndarray, bool]:
    """`decode_image`, and whether the JPEG was decoded at a reduced DCT scale."""
    image = open_image(data, max_pixels=max_pixels)
    size = image.size
    if work_side and image.format == "JPEG" and max(size) > 2 * work_side:
        width, height = size
        shrink = work_side / max(width, height)
        image.draft(image.mode, (max(1, round(width * shrink)), max(1, round(height * shrink))))
    reduced = image.size != size
    # A JPEG decoded at a reduced DCT scale has its 8×8 grid elsewhere: no blocky test there.
    lossy = image.format == "JPEG" and not reduced
    return squared(deblocked(to_grayscale(image), lossy=lossy), pixel_aspect(image)), reduced
