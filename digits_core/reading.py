"""Reading a line of digits without segmenting it: ink → a height-normalised line → the reader
model's per-frame scores → CTC decoding → digits, each with a confidence and a box.

The reader (`models/reader.onnx`) sees the line's ink, white on black, `LINE_HEIGHT` pixels
tall, and scores one frame per `FRAME_STEP` columns over the ten digits and the CTC blank.
Every line is read twice in the same model call: as is, and moved half a frame to the right,
so the second reading's frames fall between the first's. Each is decoded by best path (the
likeliest class per frame, repeats merged, blanks dropped). When the two agree, that is the
reading; when they differ, the string that both together find likelier (CTC likelihoods summed
over every alignment, multiplied) wins, and its confidence is at most its share of the two
(validation numbers: 92.2 % → 93.9 % exact, coverage at the threshold unchanged). A digit's
confidence is its peak probability; the string's is the product of its digits' and of the
least sure blank, so a digit the model half saw between two others makes the string unsure.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
from PIL import Image

from digits_core.contract import BLANK, FRAME_STEP, LINE_HEIGHT
from digits_core.ctc import log_likelihood
from digits_core.imaging import looks_like_digit
from digits_core.ink import Ink, analyse
from digits_core.tilt import Tilt, axis_angle, levelled, line_angle

INK_HEIGHT = 28  # the line's ink spans this many of the LINE_HEIGHT rows
PAD_X = 8  # blank columns either side, so the first and last digits get frames of their own
MAX_WIDTH = 512  # a longer line is scaled down to fit (12 digits fit at full size)
HALF_FRAME = FRAME_STEP // 2  # the second reading's shift, in line columns
BLANK_MARGIN = 12 * FRAME_STEP  # wider than the reader's reach (~40 columns; measured)
# A page whose shorter side is under this is analysed upscaled to it: a number a few pixels
# tall has strokes of a pixel or two, too few for the analysis' 3×3 windows, speck sizes and
# closings (validation numbers with 8–12 px tall ink: 78 % read exactly as they were, 88 %
# upscaled; single digits keep their path, where the classifier learned small digits as is).
LEAST_SIDE = 28
# A blank run between inked columns wider than this (line columns) is narrowed to it. The
# reader learned gaps up to ~0.8 of a digit's height (`training.lines`); in a longer blank it
# writes a "1" that is not there (validation numbers with gaps of 2–4 digit widths: 50 % read,
# most of the misses an extra 1).
MAX_GAP = 20


@dataclass(frozen=True)
class Line:
    """One line ready for the reader, and how its columns map back to the input image."""

    pixels: np.ndarray  # float32 [LINE_HEIGHT, width], 0..1 ink; width a multiple of FRAME_STEP
    left: float  # input-image x of line column PAD_X
    top: float  # input-image y of line row 0
    scale: float  # line pixels per input pixel
    # Where blank runs were narrowed (MAX_GAP): (line column, input pixels taken out there).
    cuts: tuple[tuple[float, float], ...] = ()
    # A line turned level (`digits_core.tilt`): left, top and cuts are then in the level
    # frame, and this maps it back to the input image.
    tilt: Tilt | None = None

    def input_x(self, column: float) -> float:
        """The input-image x of a line column."""
        removed = sum(width for at, width in self.cuts if column > at)
        return self.left + (column - PAD_X) / self.scale + removed


@dataclass(frozen=True)
class Box:
    """A rectangle in the input image's pixels."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class ReadDigit:
    """One digit of a number."""

    digit: int
    confidence: float
    box: Box
    # The reader's scores of the ten digits at this digit's surest frame (the blank has the
    # rest), and the line columns between its neighbours' midpoints; None from the segmenter.
    frame_scores: np.ndarray | None = None
    columns: tuple[int, int] | None = None


@dataclass(frozen=True)
class Reading:
    """A decoded line: its digits left to right and the confidence of the whole string."""

    digits: list[ReadDigit]
    confidence: float
    line: Line | None = None  # the view of the line the digits were read on

    @property
    def text(self) -> str:
        return "".join(str(d.digit) for d in self.digits)


def resize(ink: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resample float ink (antialiased when shrinking)."""
    image = Image.fromarray(ink.astype(np.float32), mode="F")
    shrinking = width < ink.shape[1] or height < ink.shape[0]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    return np.clip(np.asarray(image.resize((width, height), method)), 0.0, 1.0)


def line_of(found: Ink, *, level: bool = False, along_axis: bool = False) -> Line | None:
    """The ink of every kept component as one reader line; None when there is no ink.
    `level`: a line written askew is turned level first (`digits_core.tilt.line_angle`).
    `along_axis`: the ink turned along its principal axis instead
    (`digits_core.tilt.axis_angle`); None when that axis is not tilted like a short line's."""
    if found.count == 0:
        return None
    own = found.labels > 0  # every label is a kept component
    rows = np.flatnonzero(own.any(axis=1))
    cols = np.flatnonzero(own.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = found.ink[top:bottom, left:right] * own[top:bottom, left:right]
    inked = own[top:bottom, left:right]
    tilt = None
    angle = line_angle(crop, found.labels[top:bottom, left:right]) if level else None
    if along_axis:
        angle = axis_angle(crop)
        if angle is None:
            return None
    if angle is not None:
        crop, turn = levelled(crop, angle)
        tilt = turn.scaled(1.0 / found.scale, (left, top))
        inked = crop > 0.0
        rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        crop, inked = crop[top:bottom, left:right], inked[top:bottom, left:right]
    scale = INK_HEIGHT / crop.shape[0]
    crop, narrowed = narrow_gaps(crop, inked.any(axis=0), MAX_GAP / scale)
    width = max(1, round(crop.shape[1] * scale))
    if width > MAX_WIDTH - 2 * PAD_X:
        scale *= (MAX_WIDTH - 2 * PAD_X) / width
        width = MAX_WIDTH - 2 * PAD_X
    height = max(1, round(crop.shape[0] * scale))
    ink = resize(crop, width, height)
    total = -(-(width + 2 * PAD_X) // FRAME_STEP) * FRAME_STEP
    pixels = np.zeros((LINE_HEIGHT, total), dtype=np.float32)
    y = (LINE_HEIGHT - height) // 2
    pixels[y : y + height, PAD_X : PAD_X + width] = ink
    # Working pixels → input pixels: the analysis ran at `found.scale` of the input.
    per_input = scale * found.scale
    cuts = tuple((PAD_X + at * scale, taken / found.scale) for at, taken in narrowed)
    return Line(
        pixels, left / found.scale, top / found.scale - y / per_input, per_input, cuts, tilt
    )


def narrow_gaps(
    crop: np.ndarray, inked: np.ndarray, widest: float
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The crop with every run of blank columns wider than `widest` narrowed to it (its middle
    taken out), and where: (column of the narrowed crop, columns taken out)."""
    keep = np.ones(inked.size, dtype=bool)
    cuts = []
    edges = np.flatnonzero(np.diff(np.concatenate(([1], inked.astype(np.int8), [1]))))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        excess = stop - start - max(1, round(widest))
        if excess > 0:
            cut = start + (stop - start - excess) // 2
            keep[cut : cut + excess] = False
            cuts.append((int(keep[:cut].sum()), int(excess)))
    return crop[:, keep], cuts


def page_ink(gray: np.ndarray) -> Ink | None:
    """The ink of a page the reader reads; None when it holds only specks or one stain (a
    thumb, a spill, the rim of a big blot: `looks_like_digit`, the rule `/v1/predict` follows).
    A page that was one solid blot read "0" at 0.9999+: the reader and the classifier both take
    a filled disc, or a big blot's rim, for a bold zero."""
    found = analyse(gray, least=LEAST_SIDE)
    if found.count and not looks_like_digit(found, np.arange(1, found.count + 1)):
        return None
    return found


def line_view(gray: np.ndarray) -> Line | None:
    """THE line of digits of a page (grayscale 0..255, either polarity) as the reader reads it,
    in serving and in training; None when there is no ink."""
    found = page_ink(gray)
    return None if found is None else line_of(found, level=True)


def line_views(gray: np.ndarray) -> tuple[Line | None, Line | None]:
    """`line_view`'s line, and when it was left as written but its ink runs along a tilted
    axis, the same ink turned along that axis (`digits_core.numbers` reads both), from one
    analysis."""
    found = page_ink(gray)
    line = None if found is None else line_of(found, level=True)
    if found is None or line is None or line.tilt is not None:
        return line, None
    return line, line_of(found, along_axis=True)


def shifted(line: Line, columns: int) -> Line:
    """The same line moved `columns` to the right (its frames fall elsewhere on the ink)."""
    width = -(-(line.pixels.shape[1] + columns) // FRAME_STEP) * FRAME_STEP
    pixels = np.zeros((LINE_HEIGHT, width), dtype=np.float32)
    pixels[:, columns : columns + line.pixels.shape[1]] = line.pixels
    cuts = tuple((at + columns, taken) for at, taken in line.cuts)
    return replace(line, pixels=pixels, left=line.left - columns / line.scale, cuts=cuts)


def batch_lines(lines: list[Line]) -> np.ndarray:
    """Lines padded on the right with blank ink to one width: float32 [N, H, W, 1].

    Every line gets at least BLANK_MARGIN blank columns after it: the reader's convolutions
    see real blank ink there, not their own zero padding, so a line's scores do not depend on
    how long the other lines of its batch are (without it: up to 0.08 apart, enough to change
    a pooled single digit; with it: below 1e-5, tested).
    """
    width = max(line.pixels.shape[1] for line in lines) + BLANK_MARGIN
    batch = np.zeros((len(lines), LINE_HEIGHT, width, 1), dtype=np.float32)
    for index, line in enumerate(lines):
        batch[index, :, : line.pixels.shape[1], 0] = line.pixels
    return batch


def with_temperature(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax scores re-tempered: the same as dividing the logits by `temperature`."""
    if temperature == 1.0:
        return scores
    logits = np.log(np.clip(scores, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    tempered = np.exp(logits)
    return tempered / tempered.sum(axis=-1, keepdims=True)


def best_path(scores: np.ndarray) -> list[tuple[int, int, int]]:
    """Frames [T, C] → (class, first frame, last frame) per emitted label, blanks dropped."""
    best = scores.argmax(axis=1)
    labels = []
    start = 0
    for frame in range(1, len(best) + 1):
        if frame == len(best) or best[frame] != best[start]:
            if best[start] != BLANK:
                labels.append((int(best[start]), start, frame - 1))
            start = frame
    return labels


def digit_box(line: Line, first: int, last: int) -> Box:
    """The ink between the columns `first`..`last` (line pixels), in input pixels."""
    window = line.pixels[:, first:last]
    rows = np.flatnonzero(window.max(axis=1) > 0.1)
    cols = np.flatnonzero(window.max(axis=0) > 0.1)
    if rows.size == 0:
        rows, cols = np.arange(LINE_HEIGHT), np.arange(last - first)
    x0 = line.input_x(first + cols[0])
    x1 = line.input_x(first + cols[-1] + 1)
    y0 = line.top + rows[0] / line.scale
    y1 = line.top + (rows[-1] + 1) / line.scale
    if line.tilt is not None:
        x0, y0, x1, y1 = line.tilt.bounds(x0, y0, x1, y1)
    return Box(round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0)))


def decode(scores: np.ndarray, line: Line) -> Reading:
    """One line's frame scores [T, 11] (T may include right padding) → its reading.

    Each digit's box is the ink between the midpoints of its alignment and its neighbours'.
    """
    scores = scores[: line.pixels.shape[1] // FRAME_STEP]
    labels = best_path(scores)
    centres = [(first + last + 1) / 2 * FRAME_STEP for _, first, last in labels]
    edges = [0.0, *((a + b) / 2 for a, b in pairwise(centres))]
    edges.append(float(line.pixels.shape[1]))
    digits = []
    for index, (digit, first, last) in enumerate(labels):
        surest = first + int(scores[first : last + 1, digit].argmax())
        confidence = float(scores[surest, digit])
        columns = (round(edges[index]), max(round(edges[index + 1]), 1))
        box = digit_box(line, *columns)
        digits.append(ReadDigit(digit, confidence, box, scores[surest, :BLANK], columns))
    best = scores.argmax(axis=1)
    blanks = scores[best == BLANK, BLANK]
    gaps = float(blanks.min()) if blanks.size else 1.0
    confidence = float(np.prod([d.confidence for d in digits])) * gaps if digits else 0.0
    return Reading(digits, confidence, line)


def decode_twice(pair: tuple[np.ndarray, np.ndarray], line: Line) -> Reading:
    """A line's frame scores as is and moved by HALF_FRAME → its reading (see the module)."""
    views = (line, shifted(line, HALF_FRAME))
    trimmed = [
        scores[: view.pixels.shape[1] // FRAME_STEP]
        for scores, view in zip(pair, views, strict=True)
    ]
    first, second = (decode(scores, view) for scores, view in zip(trimmed, views, strict=True))
    if first.text == second.text:
        return first

    # Each string's log-likelihood under both readings, computed once per string.
    first_fit, second_fit = (
        sum(log_likelihood(scores, [d.digit for d in reading.digits]) for scores in trimmed)
        for reading in (first, second)
    )
    chosen = first if first_fit >= second_fit else second
    gap = abs(first_fit - second_fit)  # the loser's log-likelihood below the winner's
    share = 1.0 / (1.0 + float(np.exp(-gap)))
    return Reading(chosen.digits, min(chosen.confidence, share), chosen.line)


# Lines [N, LINE_HEIGHT, W, 1] → frame scores [N, W / FRAME_STEP, BLANK + 1]: the reader model.
Score = Callable[[np.ndarray], np.ndarray]
