"""Benchmark inputs made from MNIST test digits with code: one list of encoded images per kind."""

import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
MNIST_IMAGES = ROOT / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"
MNIST_LABELS = ROOT / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz"

KINDS = ("mnist_png", "canvas_png", "photo_jpeg", "scan_jpeg")
DESCRIPTIONS = {
    "mnist_png": "28×28 MNIST PNG",
    "canvas_png": "280×280 canvas PNG (black on transparent)",
    "photo_jpeg": "1000×800 phone-photo JPEG, one digit",
    "scan_jpeg": "2480×3508 A4 300-dpi scan JPEG, a 5-digit number",
}


@dataclass(frozen=True)
class Inputs:
    """Encoded images per kind, the labels they show, and the matching float tensors."""

    images: dict[str, list[bytes]]
    labels: dict[str, list[str]]
    tensors: np.ndarray  # float32 [256, 28, 28, 1] of MNIST test digits in 0..1


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip) as a uint8 array."""
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    """A PIL image encoded as PNG or JPEG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def mnist_png(digit: np.ndarray) -> bytes:
    """The MNIST digit itself: 28×28 grayscale PNG, white ink on black."""
    return encode(Image.fromarray(digit, mode="L"), "PNG")


def canvas_png(digit: np.ndarray) -> bytes:
    """A browser-canvas drawing: 280×280 RGBA, black strokes, alpha = ink, transparent paper."""
    alpha = Image.fromarray(digit, mode="L").resize((280, 280), Image.Resampling.BILINEAR)
    rgba = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    rgba.putalpha(alpha)
    return encode(rgba, "PNG", optimize=False)


def paper(
    height: int, width: int, tint: tuple[int, int, int], rng: np.random.Generator
) -> np.ndarray:
    """Float RGB paper with uneven lighting (a horizontal/vertical gradient) and sensor noise."""
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    light = 0.85 + 0.15 * (0.6 * xs + 0.4 * ys)
    base = np.asarray(tint, dtype=np.float32)[None, None, :] * light[..., None]
    noise = rng.normal(0.0, 4.0, size=(height, width, 1)).astype(np.float32)
    return base + noise


def ink_on(page: np.ndarray, digit: np.ndarray, top: int, left: int, size: int) -> None:
    """Draw an MNIST digit scaled to `size`×`size` in dark blue ink onto `page` (in place)."""
    alpha = Image.fromarray(digit, mode="L").resize((size, size), Image.Resampling.BICUBIC)
    weight = (np.asarray(alpha, dtype=np.float32) / 255.0)[..., None]
    ink = np.asarray([25.0, 30.0, 80.0], dtype=np.float32)
    area = page[top : top + size, left : left + size]
    area[...] = area * (1.0 - weight) + ink * weight


def photo_jpeg(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """A phone photo of one digit: 1000×800 tinted, unevenly lit paper, digit ~45 % high."""
    page = paper(800, 1000, (232, 224, 205), rng)
    ink_on(page, digit, top=220, left=330, size=360)
    rgb = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8), mode="RGB")
    return encode(rgb, "JPEG", quality=85)


def scan_jpeg(digits: list[np.ndarray], rng: np.random.Generator) -> bytes:
    """An A4 300-dpi scan (2480×3508) with one handwritten number of len(digits) digits."""
    page = paper(3508, 2480, (250, 250, 248), rng)
    size = 170  # about 14 mm tall at 300 dpi
    for position, digit in enumerate(digits):
        ink_on(page, digit, top=900, left=700 + position * (size - 40), size=size)
    rgb = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8), mode="RGB")
    return encode(rgb, "JPEG", quality=90)


def make_inputs(*, small: int = 256, photos: int = 8, scans: int = 3, seed: int = 9) -> Inputs:
    """Deterministic inputs: `small` MNIST/canvas images, fewer (costly) photos and scans."""
    digits = read_idx(MNIST_IMAGES)
    labels = read_idx(MNIST_LABELS)
    rng = np.random.default_rng(seed)
    images: dict[str, list[bytes]] = {kind: [] for kind in KINDS}
    texts: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for index in range(small):
        images["mnist_png"].append(mnist_png(digits[index]))
        images["canvas_png"].append(canvas_png(digits[index]))
        texts["mnist_png"].append(str(labels[index]))
        texts["canvas_png"].append(str(labels[index]))
    for index in range(photos):
        images["photo_jpeg"].append(photo_jpeg(digits[1000 + index], rng))
        texts["photo_jpeg"].append(str(labels[1000 + index]))
    for index in range(scans):
        picks = range(2000 + 5 * index, 2005 + 5 * index)
        images["scan_jpeg"].append(scan_jpeg([digits[i] for i in picks], rng))
        texts["scan_jpeg"].append("".join(str(labels[i]) for i in picks))
    tensors = (digits[:256].astype(np.float32) / 255.0)[..., np.newaxis]
    return Inputs(images=images, labels=texts, tensors=tensors)
