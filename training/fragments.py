"""Non-digits for the default model's 11th class: what segmentation cuts out that is not a digit.

The segmenter (`training.segmenter`, the baseline the number reader replaced) classifies
every run of ink pieces as a candidate digit; a classifier that has only seen whole digits
reads half a "0" or two touching digits as some digit with confidence. These generators make
such candidates from training digits, through the same `fit_to_mnist` the service uses: two
digits side by side, a digit with a large chunk of its neighbour, the left or right part of a
digit, its top or bottom part (a stroke broken across), and strokes that are no digit at all.
Digits with a thin sliver of a neighbour stay digits, so a tight cut does not make a digit
unreadable.
"""

from collections.abc import Callable

import numpy as np

from digits_core.imaging import fit_to_mnist

NOT_A_DIGIT = 10  # the class index of these samples
INK = 0.05  # a pixel of a 28×28 digit with more ink than this belongs to its extent
Rng = np.random.Generator


def ink_crop(image: np.ndarray) -> np.ndarray:
    """A 28×28 digit in 0..1 cropped to its ink."""
    rows, cols = np.flatnonzero(image.max(axis=1) > INK), np.flatnonzero(image.max(axis=0) > INK)
    if rows.size == 0:
        return np.zeros((1, 1), np.float32)
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def beside(left: np.ndarray, right: np.ndarray, gap: int, rng: Rng) -> np.ndarray:
    """Two crops side by side (a negative gap overlaps), bottoms roughly aligned."""
    height = max(left.shape[0], right.shape[0]) + 3
    width = max(left.shape[1] + gap + right.shape[1], left.shape[1], right.shape[1])
    sheet = np.zeros((height, width), np.float32)
    top_left = height - left.shape[0] - int(rng.integers(0, 4))
    top_right = height - right.shape[0] - int(rng.integers(0, 4))
    sheet[top_left : top_left + left.shape[0], : left.shape[1]] = left
    start = max(0, left.shape[1] + gap)
    region = sheet[top_right : top_right + right.shape[0], start : start + right.shape[1]]
    np.maximum(region, right[:, : region.shape[1]], out=region)
    return sheet


def pair(a: np.ndarray, b: np.ndarray, rng: Rng) -> np.ndarray:
    """Two digits, touching, overlapping or close: one candidate that holds both."""
    gap = round(rng.uniform(-0.35, 0.25) * a.shape[0])
    return beside(a, b, gap, rng)


def with_chunk(a: np.ndarray, b: np.ndarray, rng: Rng, share: tuple[float, float]) -> np.ndarray:
    """Digit `a` with the facing `share` of its neighbour `b`'s width, on either side."""
    width = max(1, round(rng.uniform(*share) * b.shape[1]))
    gap = round(rng.uniform(-0.08, 0.04) * a.shape[0])
    if rng.random() < 0.5:
        return beside(a, b[:, :width], gap, rng)
    return beside(b[:, -width:], a, gap, rng)


def chunk(a: np.ndarray, b: np.ndarray, rng: Rng) -> np.ndarray:
    return with_chunk(a, b, rng, (0.35, 0.6))


def side_part(a: np.ndarray, b: np.ndarray, rng: Rng) -> np.ndarray:
    """The left or right part of a digit, at most a little over half of it."""
    cut = max(1, round(rng.uniform(0.3, 0.55) * a.shape[1]))
    return a[:, :cut] if rng.random() < 0.5 else a[:, -cut:]


def band_part(a: np.ndarray, b: np.ndarray, rng: Rng) -> np.ndarray:
    """The top or bottom part of a digit: one piece of a stroke broken across."""
    cut = max(1, round(rng.uniform(0.35, 0.6) * a.shape[0]))
    return ink_crop(a[:cut]) if rng.random() < 0.5 else ink_crop(a[cut:])


def scribble(a: np.ndarray, b: np.ndarray, rng: Rng) -> np.ndarray:
    """No digit at all: a blob, a slanted bar, or a few dots."""
    side = 28
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32) - side / 2
    kind = rng.integers(0, 3)
    if kind == 0:
        ry, rx = rng.uniform(3, 12, size=2)
        shape = (ys / ry) ** 2 + (xs / rx) ** 2 <= 1
    elif kind == 1:
        angle = np.radians(rng.uniform(-45, 45))  # far from upright, so not a "1"
        across = np.abs(xs * np.sin(angle) - ys * np.cos(angle))
        shape = across <= rng.uniform(1, 3)
    else:
        shape = np.zeros((side, side), bool)
        for _ in range(int(rng.integers(2, 6))):
            y, x = rng.integers(2, side - 2, size=2)
            shape[y - 2 : y + 2, x - 2 : x + 2] = True
    return ink_crop(shape.astype(np.float32))


MAKERS: list[tuple[Callable[[np.ndarray, np.ndarray, Rng], np.ndarray], float]] = [
    (pair, 0.3),
    (chunk, 0.2),
    (side_part, 0.2),
    (band_part, 0.2),
    (scribble, 0.1),
]


def usable(piece: np.ndarray, maker: Callable) -> bool:
    """Parts that are thin upright bars look like a "1" and are left out, not mislabelled."""
    if maker in (side_part, band_part):
        return piece.shape[1] >= 0.6 * piece.shape[0] and piece.size >= 12
    return piece.size >= 4


def not_digits(images: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` non-digit model inputs [count, 28, 28] made from digits `images` (uint8)."""
    rng = np.random.default_rng(seed)
    makers, weights = zip(*MAKERS, strict=True)
    out = np.zeros((count, 28, 28), np.float32)
    made = 0
    while made < count:
        maker = makers[rng.choice(len(makers), p=np.array(weights))]
        a, b = (ink_crop(images[i] / 255.0) for i in rng.integers(0, len(images), size=2))
        piece = maker(a, b, rng)
        if usable(piece, maker):
            out[made] = fit_to_mnist(piece)
            made += 1
    return out


def slivered(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> tuple:
    """`count` digits with a thin sliver of a neighbour (a tight cut): still that digit."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(images), size=(count, 2))
    out = np.zeros((count, 28, 28), np.float32)
    for index, (i, j) in enumerate(picks):
        a, b = ink_crop(images[i] / 255.0), ink_crop(images[j] / 255.0)
        out[index] = fit_to_mnist(with_chunk(a, b, rng, (0.03, 0.1)))
    return out, labels[picks[:, 0]]
