"""Image factories for the service tests: every fixture image is drawn with Pillow here."""

import base64
import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

# Strokes on a 0..1 square, per digit; drawn dark on light paper like a pen on a page.
STROKES = {
    1: [[(0.5, 0.12), (0.5, 0.88)]],
    7: [[(0.22, 0.15), (0.78, 0.15), (0.42, 0.88)]],
    0: [[(0.5, 0.1), (0.75, 0.3), (0.75, 0.7), (0.5, 0.9), (0.25, 0.7), (0.25, 0.3), (0.5, 0.1)]],
}


def draw_digit(
    digit: int, *, size: int = 200, dark_on_light: bool = True, mode: str = "L"
) -> Image.Image:
    """A hand-drawn-looking digit made of thick strokes."""
    paper, ink = (255, 0) if dark_on_light else (0, 255)
    image = Image.new("L", (size, size), paper)
    draw = ImageDraw.Draw(image)
    for stroke in STROKES[digit]:
        draw.line([(x * size, y * size) for x, y in stroke], fill=ink, width=size // 12)
    return image.convert(mode)


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def mnist_png(pixels: np.ndarray) -> bytes:
    """An MNIST uint8 28×28 image as PNG bytes, white ink on black as in the data set."""
    return encode(Image.fromarray(np.asarray(pixels, dtype=np.uint8), mode="L"))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{b64(data)}"


def canvas_png(digit: int, size: int = 280) -> bytes:
    """What a browser canvas's toDataURL() gives: black strokes on a transparent background."""
    strokes = draw_digit(digit, size=size)
    alpha = Image.eval(strokes, lambda v: 255 - v)
    rgba = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    rgba.putalpha(alpha)
    return encode(rgba)


@pytest.fixture
def seven_png() -> bytes:
    return encode(draw_digit(7))


@pytest.fixture
def one_png() -> bytes:
    return encode(draw_digit(1))
