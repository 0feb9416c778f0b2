"""Renders MNIST digits the way real uploads look: paper, ink, light, cameras and file formats.

Every scene is a pure function of a numpy Generator and MNIST digits (uint8 28×28, white on
black), so the realistic set is reproducible from its seed. Sizes are in pixels of the output.
"""

import io
from collections.abc import Callable

import numpy as np
from PIL import Image
from scipy import ndimage

Rng = np.random.Generator
PAPERS = np.array(
    [[250, 250, 248], [245, 238, 215], [252, 246, 196], [226, 236, 246], [214, 214, 208]],
    dtype=np.float32,
)
INKS = np.array(
    [[20, 20, 25], [25, 45, 150], [10, 20, 80], [160, 25, 30], [30, 90, 40], [85, 85, 90]],
    dtype=np.float32,
)


def digit_alpha(
    digit: np.ndarray,
    height: int,
    *,
    stroke: float = 0.0,
    angle: float = 0.0,
    crisp: bool = True,
) -> np.ndarray:
    """An MNIST digit as ink coverage 0..1, its 20-px box scaled to `height` pixels.

    `stroke` grows (+) or thins (−) strokes by that many MNIST pixels per side, `angle`
    rotates (degrees), `crisp` sharpens the upscaled edges the way a pen stroke looks.
    """
    side = max(8, round(height * 28 / 20))
    image = Image.fromarray(digit.astype(np.float32) / 255.0, mode="F")
    alpha = np.asarray(image.resize((side, side), Image.Resampling.BICUBIC), dtype=np.float32)
    alpha = np.clip(alpha, 0.0, 1.0)
    if crisp:
        alpha = np.clip((alpha - 0.5) * 2.5 + 0.5, 0.0, 1.0)
    radius = abs(stroke) * side / 28
    if radius >= 0.5:
        disk = disk_footprint(radius)
        morph = ndimage.grey_dilation if stroke > 0 else ndimage.grey_erosion
        alpha = morph(alpha, footprint=disk)
    if angle:
        rotated = Image.fromarray(alpha, mode="F").rotate(
            angle, Image.Resampling.BICUBIC, expand=True
        )
        alpha = np.clip(np.asarray(rotated, dtype=np.float32), 0.0, 1.0)
    return alpha


def disk_footprint(radius: float) -> np.ndarray:
    reach = int(np.ceil(radius))
    ys, xs = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    return (ys**2 + xs**2) <= radius**2 + 0.25


def paper(
    height: int, width: int, rng: Rng, *, noise: float = 0.0, light: float = 0.0
) -> np.ndarray:
    """Tinted paper, RGB float32 0..255, with grain `noise` (σ) and uneven `light` (0..1)."""
    tint = PAPERS[rng.integers(len(PAPERS))]
    sheet = np.broadcast_to(tint, (height, width, 3)).astype(np.float32)
    if light > 0:
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        ys, xs = ys / height - rng.uniform(0, 1), xs / width - rng.uniform(0, 1)
        direction = rng.uniform(0, 2 * np.pi)
        ramp = xs * np.cos(direction) + ys * np.sin(direction)
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        vignette = np.clip(1 - (xs**2 + ys**2), 0, 1)
        shade = 1 - light * (0.7 * ramp + 0.3 * (1 - vignette))
        sheet = sheet * shade[..., None]
    if noise > 0:
        grain = rng.normal(0, noise, (height, width, 1)).astype(np.float32)
        sheet = sheet + grain
    return sheet


def add_edge_shadow(sheet: np.ndarray, rng: Rng) -> np.ndarray:
    """A dark band along one edge: the table beside the page, or the page's own shadow."""
    height, width, _ = sheet.shape
    depth = int(rng.uniform(0.02, 0.06) * min(height, width))
    band = np.zeros((height, width), dtype=np.float32)
    edge = rng.integers(4)
    if edge == 0:
        band[:depth] = 1
    elif edge == 1:
        band[-depth:] = 1
    elif edge == 2:
        band[:, :depth] = 1
    else:
        band[:, -depth:] = 1
    band = ndimage.gaussian_filter(band, depth / 4)
    return sheet * (1 - 0.75 * band[..., None])


def add_specks(sheet: np.ndarray, rng: Rng, count: int, size: float) -> np.ndarray:
    """Dark dust and pepper specks of about `size` pixels."""
    height, width, _ = sheet.shape
    for _ in range(count):
        y, x = rng.integers(height), rng.integers(width)
        r = max(1, int(rng.uniform(0.5, 1.0) * size))
        sheet[max(0, y - r) : y + r, max(0, x - r) : x + r] *= rng.uniform(0.3, 0.7)
    return sheet


def place(sheet: np.ndarray, alpha: np.ndarray, ink: np.ndarray, top: int, left: int) -> None:
    """Composite ink coverage `alpha` onto `sheet` in place (clipped at the edges)."""
    height, width, _ = sheet.shape
    bottom, right = min(height, top + alpha.shape[0]), min(width, left + alpha.shape[1])
    cover = alpha[: bottom - top, : right - left, None]
    region = sheet[top:bottom, left:right]
    sheet[top:bottom, left:right] = region * (1 - cover) + ink * cover


def ink_colour(rng: Rng) -> np.ndarray:
    return INKS[rng.integers(len(INKS))] + rng.uniform(-10, 10, 3).astype(np.float32)


def centred(
    alpha: np.ndarray, margin: float, rng: Rng, sheet_fn: Callable[[int, int], np.ndarray]
) -> np.ndarray:
    """A sheet `margin` × the digit's size on every side, the digit placed with some jitter."""
    height, width = alpha.shape
    pad_y = int(height * margin * rng.uniform(0.6, 1.4))
    pad_x = int(width * margin * rng.uniform(0.6, 1.4))
    sheet = sheet_fn(height + 2 * pad_y, width + 2 * pad_x)
    place(sheet, alpha, ink_colour(rng), pad_y, pad_x)
    return sheet


def to_uint8(sheet: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(sheet), 0, 255).astype(np.uint8)


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def rgb_png(sheet: np.ndarray) -> bytes:
    return encode(Image.fromarray(to_uint8(sheet), "RGB"))


def gray_png(sheet: np.ndarray) -> bytes:
    return encode(Image.fromarray(to_uint8(sheet), "RGB").convert("L"))


def palette_png(sheet: np.ndarray) -> bytes:
    image = Image.fromarray(to_uint8(sheet), "RGB")
    return encode(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=64))


def jpeg(sheet: np.ndarray, quality: int) -> bytes:
    return encode(Image.fromarray(to_uint8(sheet), "RGB"), "JPEG", quality=quality)


def transparent_png(alpha: np.ndarray, side: int, ink: np.ndarray, rng: Rng) -> bytes:
    """Strokes of colour `ink` on a fully transparent `side`×`side` canvas (RGBA PNG)."""
    canvas = np.zeros((side, side, 4), dtype=np.float32)
    height, width = alpha.shape
    top = int(rng.integers(0, max(1, side - height)))
    left = int(rng.integers(0, max(1, side - width)))
    canvas[top : top + height, left : left + width, :3] = ink
    canvas[top : top + height, left : left + width, 3] = alpha * 255
    return encode(Image.fromarray(to_uint8(canvas), "RGBA"))
