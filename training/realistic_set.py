"""The realistic evaluation set: each condition of issue 4 as a deterministic image generator.

Digits come from one MNIST split (the report uses `test`; tuning uses `train`, never the
evaluation digits). Every sample is encoded to file bytes, so it goes through exactly the
decoding path an upload takes.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from training import realistic_scenes as sc
from training.realistic_faint import faint_digit
from training.realistic_forms import FORM_DESCRIPTIONS, FORMS, blank_form
from training.realistic_numbers import NUMBERS

Rng = np.random.Generator
Scene = Callable[[Rng, np.ndarray], bytes]


def on_paper(rng: Rng, alpha: np.ndarray, *, noise: float = 2.0, light: float = 0.0) -> np.ndarray:
    """The digit centred with a margin on tinted paper."""
    margin = rng.uniform(0.3, 0.8)
    return sc.centred(
        alpha, margin, rng, lambda h, w: sc.paper(h, w, rng, noise=noise, light=light)
    )


def height(rng: Rng, low: int = 40, high: int = 160) -> int:
    return int(rng.integers(low, high + 1))


def mnist(rng: Rng, digit: np.ndarray) -> bytes:
    return sc.encode(Image.fromarray(digit, "L"))


def ink_paper(rng: Rng, digit: np.ndarray) -> bytes:
    return sc.rgb_png(on_paper(rng, sc.digit_alpha(digit, height(rng))))


def noise_lighting(rng: Rng, digit: np.ndarray) -> bytes:
    size = height(rng, 60, 160)
    noise, light = rng.uniform(6, 18), rng.uniform(0.3, 0.6)
    sheet = on_paper(rng, sc.digit_alpha(digit, size), noise=noise, light=light)
    if rng.random() < 0.5:
        sheet = sc.add_edge_shadow(sheet, rng)
    sheet = sc.add_specks(sheet, rng, int(rng.integers(0, 16)), size / 40)
    return sc.gray_png(sheet) if rng.random() < 0.5 else sc.rgb_png(sheet)


def jpeg(rng: Rng, digit: np.ndarray) -> bytes:
    sheet = on_paper(rng, sc.digit_alpha(digit, height(rng)), noise=3.0, light=0.2)
    return sc.jpeg(sheet, int(rng.integers(30, 91)))


def blur(rng: Rng, digit: np.ndarray) -> bytes:
    size = height(rng, 60, 160)
    sheet = on_paper(rng, sc.digit_alpha(digit, size))
    sigma = rng.uniform(0.4, 1.2) * size / 20
    return sc.rgb_png(ndimage.gaussian_filter(sheet, (sigma, sigma, 0)))


def rotation(rng: Rng, digit: np.ndarray) -> bytes:
    alpha = sc.digit_alpha(digit, height(rng, 60, 160), angle=rng.uniform(-15, 15))
    return sc.rgb_png(on_paper(rng, alpha))


def small_in_large(rng: Rng, digit: np.ndarray) -> bytes:
    """A digit 2–40 % of the image height, anywhere on a big photo-like page (JPEG)."""
    tall, wide = int(rng.integers(1000, 2001)), int(rng.integers(1000, 2001))
    alpha = sc.digit_alpha(digit, max(12, round(rng.uniform(0.02, 0.40) * tall)))
    sheet = sc.paper(tall, wide, rng, noise=3.0, light=0.15)
    top = int(rng.integers(0, max(1, tall - alpha.shape[0])))
    left = int(rng.integers(0, max(1, wide - alpha.shape[1])))
    sc.place(sheet, alpha, sc.ink_colour(rng), top, left)
    return sc.jpeg(sheet, 90)


def thick(rng: Rng, digit: np.ndarray) -> bytes:
    alpha = sc.digit_alpha(digit, height(rng, 60, 160), stroke=rng.uniform(0.5, 1.75))
    return sc.rgb_png(on_paper(rng, alpha))


def thin(rng: Rng, digit: np.ndarray) -> bytes:
    alpha = sc.digit_alpha(digit, height(rng, 60, 160), stroke=-rng.uniform(0.3, 0.7))
    return sc.rgb_png(on_paper(rng, alpha))


def png_rgb(rng: Rng, digit: np.ndarray) -> bytes:
    return sc.rgb_png(on_paper(rng, sc.digit_alpha(digit, height(rng)), noise=4.0))


def png_gray(rng: Rng, digit: np.ndarray) -> bytes:
    return sc.gray_png(on_paper(rng, sc.digit_alpha(digit, height(rng)), noise=4.0))


def png_palette(rng: Rng, digit: np.ndarray) -> bytes:
    return sc.palette_png(on_paper(rng, sc.digit_alpha(digit, height(rng)), noise=4.0))


def png_rgba(rng: Rng, digit: np.ndarray) -> bytes:
    """Coloured ink on a transparent background (a cut-out scan)."""
    alpha = sc.digit_alpha(digit, height(rng))
    side = int(max(alpha.shape) * rng.uniform(1.3, 2.0))
    return sc.transparent_png(alpha, side, sc.ink_colour(rng), rng)


def canvas(rng: Rng, digit: np.ndarray) -> bytes:
    """Black brush strokes on a transparent 280×280 browser canvas."""
    alpha = sc.digit_alpha(digit, height(rng, 120, 190), stroke=rng.uniform(0.2, 1.0))
    return sc.transparent_png(alpha[:280, :280], 280, np.zeros(3, np.float32), rng)


SINGLE: dict[str, Scene] = {
    "mnist": mnist,
    "ink_paper": ink_paper,
    "noise_lighting": noise_lighting,
    "jpeg": jpeg,
    "blur": blur,
    "rotation": rotation,
    "small_in_large": small_in_large,
    "thick": thick,
    "thin": thin,
    "png_rgb": png_rgb,
    "png_gray": png_gray,
    "png_palette": png_palette,
    "png_rgba": png_rgba,
    "canvas": canvas,
    **FORMS,  # issue 13: paperwork
    "faint": faint_digit,  # added later: last, so the seeds of the conditions above stay
}
DESCRIPTIONS = {
    "mnist": "MNIST 28×28 PNG as is (white on black)",
    "ink_paper": "dark ink of various colours on tinted paper, 40–160 px tall",
    "noise_lighting": "paper grain σ 6–18, uneven light 30–60 %, edge shadows, specks",
    "jpeg": "JPEG quality 30–90",
    "blur": "Gaussian blur σ 0.4–1.2 MNIST px",
    "rotation": "rotated ±15°",
    "small_in_large": "digit 2–40 % of a 1000–2000 px photo (JPEG)",
    "thick": "strokes dilated 0.5–1.75 MNIST px per side",
    "thin": "strokes eroded 0.3–0.7 MNIST px per side",
    "png_rgb": "RGB PNG",
    "png_gray": "grayscale PNG",
    "png_palette": "palette (64 colours) PNG",
    "png_rgba": "coloured ink on a transparent RGBA PNG",
    "canvas": "black strokes on a transparent 280×280 canvas",
    **FORM_DESCRIPTIONS,
    "faint": "ink 12–40 % darker than the paper (pencil with its grain, a pen running dry, a "
    "faded copy), 30–160 px; plain, ruled or squared paper; scans and phone photos",
}


def blank_paper(rng: Rng) -> bytes:
    tall, wide = int(rng.integers(100, 600)), int(rng.integers(100, 600))
    sheet = sc.paper(tall, wide, rng, noise=rng.uniform(0, 12), light=rng.uniform(0, 0.5))
    return sc.gray_png(sheet) if rng.random() < 0.5 else sc.jpeg(sheet, 75)


def empty_canvas(rng: Rng) -> bytes:
    return sc.transparent_png(np.zeros((1, 1), np.float32), 280, np.zeros(3, np.float32), rng)


def blob(rng: Rng) -> bytes:
    """A solid stain or thumb: a filled ellipse of ink."""
    side = int(rng.integers(150, 500))
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32) / side - 0.5
    ry, rx = rng.uniform(0.12, 0.4), rng.uniform(0.12, 0.4)
    alpha = ((ys / ry) ** 2 + (xs / rx) ** 2 <= 1).astype(np.float32)
    alpha = ndimage.gaussian_filter(alpha, 1.5)
    sheet = sc.paper(side, side, rng, noise=4.0)
    sc.place(sheet, alpha, sc.ink_colour(rng), 0, 0)
    return sc.rgb_png(sheet)


NO_DIGIT: dict[str, Callable[[Rng], bytes]] = {
    "blank_paper": blank_paper,
    "empty_canvas": empty_canvas,
    "blob": blob,
    "blank_form": blank_form,
}


@dataclass(frozen=True)
class Sample:
    condition: str
    data: bytes
    label: str  # the digit, the expected number, or "" when there is nothing to read
    # The indices of the drawn digits in the pool given, in the label's order: what a misread
    # digit looked like on its own (`training.reader_check`).
    sources: tuple[int, ...] = ()


def ink_columns(alpha: np.ndarray) -> np.ndarray:
    """The alpha cropped to its inked columns and rows."""
    rows = np.flatnonzero(alpha.max(axis=1) > 0.05)
    cols = np.flatnonzero(alpha.max(axis=0) > 0.05)
    return alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def break_stroke(alpha: np.ndarray, rng: Rng) -> np.ndarray:
    """Erase a thin horizontal band across the digit: a pen that skipped."""
    height = alpha.shape[0]
    band = max(1, round(rng.uniform(0.04, 0.08) * height))
    start = int(rng.uniform(0.3, 0.7) * height)
    broken = alpha.copy()
    broken[start : start + band] = 0
    return broken


def number_image(rng: Rng, digits: list[np.ndarray]) -> bytes:
    """2–8 digits side by side: gaps vary, some touch, some strokes are broken."""
    size = int(rng.integers(40, 101))
    alphas = []
    for digit in digits:
        alpha = ink_columns(sc.digit_alpha(digit, round(size * rng.uniform(0.9, 1.1))))
        alphas.append(break_stroke(alpha, rng) if rng.random() < 0.25 else alpha)
    gaps = [
        round(size * (rng.uniform(-0.06, 0.0) if rng.random() < 0.3 else rng.uniform(0.05, 0.5)))
        for _ in alphas
    ]
    margin = size
    width = sum(a.shape[1] for a in alphas) + sum(gaps[1:]) + 2 * margin
    strip = np.zeros((size * 2 + 2 * margin, max(width, 2 * margin + 1)), np.float32)
    left = margin
    for index, alpha in enumerate(alphas):
        left += gaps[index] if index else 0
        top = margin + int(rng.integers(0, max(1, round(size * 0.15))))
        region = strip[top : top + alpha.shape[0], left : left + alpha.shape[1]]
        np.maximum(region, alpha[: region.shape[0], : region.shape[1]], out=region)
        left += alpha.shape[1]
    strip = ink_columns(strip)
    noise, light = rng.uniform(2, 8), rng.uniform(0, 0.3)
    sheet = on_paper(rng, strip, noise=noise, light=light)
    return sc.jpeg(sheet, int(rng.integers(60, 91))) if rng.random() < 0.5 else sc.rgb_png(sheet)


def single_samples(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> list[Sample]:
    """`count` samples of every single-digit condition, plus the no-digit inputs."""
    samples = []
    for index, (name, scene) in enumerate(SINGLE.items()):
        rng = np.random.default_rng([seed, index])
        picks = rng.choice(len(labels), size=count, replace=False)
        samples += [Sample(name, scene(rng, images[i]), str(labels[i]), (int(i),)) for i in picks]
    for index, (name, make) in enumerate(NO_DIGIT.items()):
        rng = np.random.default_rng([seed, 100 + index])
        samples += [Sample(name, make(rng), "") for _ in range(max(10, count // 10))]
    return samples


NUMBER_DESCRIPTIONS = {
    "numbers_spaced": "2–8 digits, gaps vary, ~30 % touching, 25 % broken strokes",
    **{name: spec[2] for name, spec in NUMBERS.items()},
}


def number_samples(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> list[Sample]:
    """`count` images of every number condition with their expected strings."""
    rng = np.random.default_rng([seed, 200])
    samples = []
    for _ in range(count):  # numbers_spaced: the original `numbers` set, same seeds
        picks = rng.choice(len(labels), size=int(rng.integers(2, 9)), replace=False)
        text = "".join(str(labels[i]) for i in picks)
        data = number_image(rng, [images[i] for i in picks])
        samples.append(Sample("numbers_spaced", data, text, tuple(map(int, picks))))
    for index, (name, (scene, (low, high), _)) in enumerate(NUMBERS.items()):
        rng = np.random.default_rng([seed, 201 + index])
        for _ in range(count):
            picks = rng.choice(len(labels), size=int(rng.integers(low, high + 1)), replace=False)
            text = "".join(str(labels[i]) for i in picks)
            data = scene(rng, [images[i] for i in picks])
            samples.append(Sample(name, data, text, tuple(map(int, picks))))
    return samples
