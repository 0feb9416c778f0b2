"""Pixels a file declares not square (a fax's 204 × 98 dpi) are made square on decoding."""

import io

import numpy as np
import pytest
from PIL import Image

from digits_core.decoding import decode_image
from digits_core.pixel_aspect import STRETCH_BUDGET

PAGE = (60, 100)  # rows, columns as stored


def encoded(file_format: str, **options: object) -> bytes:
    """A white page with a dark square block, encoded with the given save options."""
    pixels = np.full(PAGE, 255, np.uint8)
    pixels[20:40, 30:70] = 0
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=file_format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("file_format", ["TIFF", "PNG", "JPEG"])
def test_a_fax_page_gets_its_rows_stretched_to_square_pixels(file_format: str) -> None:
    gray = decode_image(encoded(file_format, dpi=(204, 98)))
    assert gray.shape == (round(PAGE[0] * 204 / 98), PAGE[1])
    block_rows = np.flatnonzero((gray < 128).any(axis=1))
    assert block_rows.size == pytest.approx(20 * 204 / 98, abs=2)


def test_pixels_wider_than_tall_get_their_columns_stretched() -> None:
    assert decode_image(encoded("PNG", dpi=(100, 200))).shape == (PAGE[0], PAGE[1] * 2)


@pytest.mark.parametrize("dpi", [None, (300, 300), (300, 301), (1, 1), (400, 50)], ids=str)
def test_square_untagged_or_implausible_densities_leave_the_page_as_stored(dpi) -> None:
    options = {"dpi": dpi} if dpi else {}
    assert decode_image(encoded("PNG", **options)).shape == PAGE


def test_a_rotated_photo_takes_its_density_in_the_upright_axes() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 270° to stand upright
    gray = decode_image(encoded("JPEG", dpi=(204, 98), exif=exif.tobytes()))
    # Upright, the stored rows are columns: the coarse axis is now across.
    assert gray.shape == (PAGE[1], round(PAGE[0] * 204 / 98))


def test_a_large_page_shrinks_its_fine_axis_instead() -> None:
    side = int(np.sqrt(STRETCH_BUDGET)) + 100
    buffer = io.BytesIO()
    Image.new("1", (side, side), 1).save(buffer, format="TIFF", dpi=(200, 100))
    assert decode_image(buffer.getvalue(), work_side=None).shape == (side, side // 2)
