"""One digit, two opinions: the classifier's softmax over its 28×28 crop and the reader's
probability that the image's line of ink says exactly that one digit.

The two models see the ink differently (a centred, size-normalised crop vs a line the reader
was trained to read on boxes, rules, scans and photos), so they rarely fail together. Their
opinions are pooled log-linearly (the normalised geometric mean): where both agree the answer
is sure, where one doubts the answer is unsure, and a digit either model rules out is out.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from digits_core.contract import FRAME_STEP
from digits_core.ctc import single_digit_probabilities
from digits_core.decoding import DEFAULT_MAX_PIXELS, decode_image, decode_reduced
from digits_core.imaging import COARSE_SIDE, digit_input, locate_digit
from digits_core.ink import analyse
from digits_core.reading import Line, Score, batch_lines, line_of, with_temperature

FLOOR = 1e-30  # a probability either model gives as 0 is taken as this, so logs stay finite
# Lines per reader call: a full 512-image batch in one call would hold ~100 MB of activations
# at once; 64 lines keep the calls efficient and that peak small.
CHUNK = 64
FIRST_SIDE = 2 * COARSE_SIDE  # see view_image


@dataclass(frozen=True, slots=True)
class DigitView:
    """One image as both models see it: the classifier's input and the reader's line."""

    array: np.ndarray  # float32 [28, 28], 0..1 white ink on black
    has_digit: bool
    line: Line | None  # None when there is no ink


def view_digit(gray: np.ndarray, full: Callable[[], np.ndarray] | None = None) -> DigitView:
    """A grayscale image (either polarity, 0..255) of one digit → both models' inputs, from
    one analysis of its ink (`full`: see `locate_digit`)."""
    located = locate_digit(gray, full)
    array, has_digit = digit_input(located)
    return DigitView(array, has_digit, line_of(located[0]) if located else None)


def view_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> DigitView:
    """Image bytes of one digit → both models' inputs (raises InvalidImage/ImageTooLarge).

    A large JPEG is first decoded at a reduced DCT scale, FIRST_SIDE or more on its longer
    side: enough for the first look and for most second looks, at a fraction of the cost
    (a 1000×800 photo: 3.9 → 1.5 ms). It is decoded again at full size only when a look
    needs more pixels than that (a digit under ~1/8 of the photo's longer side).
    """
    return view_digit(*decode_digit_image(data, max_pixels=max_pixels))


def decode_digit_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[np.ndarray, Callable[[], np.ndarray] | None]:
    """`view_image`'s first decode, and the way to the full one (None: the first is full)."""
    gray, reduced = decode_reduced(data, max_pixels=max_pixels, work_side=FIRST_SIDE)
    return gray, partial(decode_image, data, max_pixels=max_pixels) if reduced else None


def view_pixels(array: np.ndarray) -> DigitView:
    """An MNIST-style 28×28 input (0..1, white ink on black), used as is by the classifier."""
    found = analyse(array * 255.0)
    return DigitView(array, bool(array.any()), line_of(found))


def reader_opinions(views: Sequence[DigitView], score: Score, temperature: float) -> np.ndarray:
    """[N, 10]: P(the line is exactly digit d) per view, in reader calls of at most CHUNK
    lines; a view without a line gets NaN (no opinion)."""
    opinions = np.full((len(views), 10), np.nan)
    present = [i for i, view in enumerate(views) if view.line is not None]
    for start in range(0, len(present), CHUNK):
        chosen = present[start : start + CHUNK]
        lines = [views[i].line for i in chosen]
        scores = with_temperature(score(batch_lines(lines)), temperature)
        frames = np.array([line.pixels.shape[1] // FRAME_STEP for line in lines])
        opinions[chosen] = single_digit_probabilities(scores, frames)
    return opinions


def pooled(probabilities: np.ndarray, opinions: np.ndarray) -> np.ndarray:
    """Classifier softmax [N, 10] and reader opinions [N, 10] → the normalised geometric mean
    (float32); a row where the reader has no opinion keeps the classifier's."""
    logs = 0.5 * (np.log(np.maximum(probabilities, FLOOR)) + np.log(np.maximum(opinions, FLOOR)))
    logs -= logs.max(axis=1, keepdims=True)
    both = np.exp(logs)
    both /= both.sum(axis=1, keepdims=True)
    alone = np.isnan(opinions).any(axis=1)
    return np.where(alone[:, np.newaxis], probabilities, both).astype(np.float32)
