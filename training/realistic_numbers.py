"""Numbers on paperwork (issue 13): touching digits, comb fields, box rows, ruled paper, 1-bit
scans, guide lines, crooked pages. Every generator is `(rng, digits) -> file bytes` where
`digits` are 28×28 uint8 MNIST-style images (white on black) and the label is their digits in
order, so the same code renders test sets from any digit source. Images stay ≤ ~1500 px on
their long side (~1900 turned).
"""

from collections.abc import Callable

import numpy as np

from training import paperwork as pw
from training.realistic_faint import faint_bytes, faint_sheet
from training.realistic_forms import blank, ink_of, layer

Rng = np.random.Generator
NumberScene = Callable[[Rng, list[np.ndarray]], bytes]
LONG_SIDE = 1400
# A neighbour covers at most this share of the narrower digit's width: the issue's "overlap up
# to ~30 % of a digit's width". An overlap in digit heights alone hid a whole "1" behind its
# neighbours, a digit nobody could read, and such images set the reader's calibrated threshold.
MOST_HIDDEN = 0.3


def fit_height(tall: float, count: int, per_digit: float) -> int:
    """`tall`, lowered so that `count` digits of `per_digit` heights each fit LONG_SIDE."""
    return max(10, int(min(tall, LONG_SIDE / max(1.0, count * per_digit + 1.0))))


def beside(left: float, width: int, right: float, previous: int) -> float:
    """`left`, moved right where a digit `width` wide would cover more than MOST_HIDDEN of
    the narrower of itself and its left neighbour (`previous` wide, ending at `right`)."""
    return max(left, right - MOST_HIDDEN * min(width, previous))


def line_ink(
    rng: Rng,
    digits: list[np.ndarray],
    tall: int,
    gaps: list[float],
    *,
    slope: float = 0.0,
    size_jitter: float = 0.1,
    stroke: float = 0.2,
    stroke_jitter: float = 0.2,
) -> np.ndarray:
    """The digits side by side as one ink coverage (tight crop). `gaps[i]` is the space before
    digit i in digit heights (negative: it overlaps its left neighbour, by at most MOST_HIDDEN
    of the narrower one's width); the baseline rises by `slope` px per px; each digit's size
    and pen weight vary."""
    inks = [
        ink_of(
            rng,
            digit,
            max(6, round(tall * rng.uniform(1 - size_jitter, 1 + size_jitter))),
            stroke=stroke + rng.uniform(-stroke_jitter, stroke_jitter),
        )
        for digit in digits
    ]
    lefts, right = [0.0], float(inks[0].shape[1])
    for index, ink in enumerate(inks[1:], start=1):
        lefts.append(
            beside(right + gaps[index] * tall, ink.shape[1], right, inks[index - 1].shape[1])
        )
        right = lefts[-1] + ink.shape[1]
    tops = [
        -ink.shape[0] + slope * left + rng.uniform(-0.05, 0.05) * tall
        for ink, left in zip(inks, lefts, strict=True)
    ]
    shift_y, shift_x = -min(tops), -min(lefts)
    tall_out = int(max(t + ink.shape[0] for t, ink in zip(tops, inks, strict=True)) + shift_y) + 2
    wide_out = int(max(lf + ink.shape[1] for lf, ink in zip(lefts, inks, strict=True)) + shift_x)
    canvas = np.zeros((tall_out, wide_out + 2), np.float32)
    for ink, top, left in zip(inks, tops, lefts, strict=True):
        np.maximum(canvas, layer(canvas.shape, ink, top + shift_y, left + shift_x), out=canvas)
    return canvas


def on_sheet(rng: Rng, ink: np.ndarray, pad: float, noise: float = 3.0) -> np.ndarray:
    """The line's ink on blank paper with `pad` × its height around it."""
    h, w = ink.shape
    margin = int(h * pad) + 4
    sheet = blank(rng, h + 2 * margin, w + 2 * margin, noise)
    return pw.composite(sheet, layer(sheet.shape[:2], ink, margin, margin), rng)


def touching(rng: Rng, digits: list[np.ndarray]) -> bytes:
    """Neighbours touch or overlap by up to ~30 % of a digit's width; baseline slope ±5°,
    size jitter ±15 %, pen weights mixed within the number."""
    tall = fit_height(rng.integers(30, 101), len(digits), 0.75)
    gaps = [-rng.uniform(0.0, 0.22) for _ in digits]  # × height ≈ 0–30 % of a digit's width
    slope = np.tan(np.radians(rng.uniform(-5, 5)))
    stroke = rng.uniform(-0.1, 0.9)
    ink = line_ink(
        rng, digits, tall, gaps, slope=slope, size_jitter=0.15, stroke=stroke, stroke_jitter=0.4
    )
    return pw.scan_bytes(rng, on_sheet(rng, ink, rng.uniform(0.3, 0.8)))


def cells_row(
    rng: Rng, digits: list[np.ndarray], closed: bool
) -> tuple[np.ndarray, np.ndarray, list[float], float, float, float]:
    """Shared layout of comb fields and box rows: (sheet, ink layer, cell lefts, cell width,
    top, base); closed boxes share their sides or stand apart."""
    count = len(digits)
    cell = fit_height(rng.uniform(40, 110), count, 1.0)
    tall = cell * rng.uniform(1.0, 1.5)
    gap = 0.0 if not closed or rng.random() < 0.6 else cell * rng.uniform(0.1, 0.5)
    lefts = [i * (cell + gap) for i in range(count)]
    pad = int(tall * rng.uniform(0.3, 0.8)) + 4
    width = int(lefts[-1] + cell) + 2 * pad
    sheet = blank(rng, int(tall) + 2 * pad, width)
    ink = np.zeros(sheet.shape[:2], np.float32)
    top, base = pad, pad + tall
    size = rng.uniform(0.65, 1.0)
    right, wide = -np.inf, 0  # the previous digit's right edge and width
    for digit, left in zip(digits, lefts, strict=True):
        height = min(tall * size, cell * rng.uniform(0.8, 1.2)) * rng.uniform(0.85, 1.1)
        piece = ink_of(rng, digit, max(8, round(height)))
        h, w = piece.shape
        y = base - h - rng.uniform(-0.12, 0.25) * tall  # sometimes through the bottom line
        x = pad + left + (cell - w) / 2 + rng.uniform(-0.3, 0.3) * cell
        x = beside(x, w, right, wide)  # off-centre writing crosses a side, not a digit
        right, wide = x + w, w
        np.maximum(ink, layer(ink.shape, piece, y, x), out=ink)
    return sheet, ink, [pad + x for x in lefts], cell, top, base


def comb_sheet(rng: Rng, digits: list[np.ndarray]) -> np.ndarray:
    """One digit per cell of an open comb (baseline + ticks 25–90 % of the cell height)."""
    sheet, ink, lefts, cell, top, base = cells_row(rng, digits, closed=False)
    edges = [*lefts, lefts[-1] + cell]
    tick = (base - top) * rng.uniform(0.25, 0.9)
    pw.comb(sheet, base, edges, tick, rng.uniform(1, 3), pw.form_colour(rng))
    return pw.composite(sheet, ink, rng)


def comb_field(rng: Rng, digits: list[np.ndarray]) -> bytes:
    return pw.scan_bytes(rng, comb_sheet(rng, digits))


def box_sheet(rng: Rng, digits: list[np.ndarray]) -> np.ndarray:
    """One digit per closed box, boxes sharing their sides or spaced apart."""
    sheet, ink, lefts, cell, top, base = cells_row(rng, digits, closed=True)
    line, colour = rng.uniform(1, 3), pw.form_colour(rng)
    for left in lefts:
        pw.box(sheet, top, left, base - top, cell, line, colour)
    return pw.composite(sheet, ink, rng)


def box_row(rng: Rng, digits: list[np.ndarray]) -> bytes:
    return pw.scan_bytes(rng, box_sheet(rng, digits))


def form_askew(rng: Rng, digits: list[np.ndarray]) -> bytes:
    """A comb field or a box row on a form fed askew: turned 1.5–5° either way, beyond the
    slopes the rule finder always tries (~1.7°) up to where a feeder would jam."""
    sheet = (comb_sheet if rng.random() < 0.5 else box_sheet)(rng, digits)
    return pw.scan_bytes(rng, pw.turned(sheet, rng.uniform(1.5, 5) * rng.choice([-1, 1])))


def tinted_boxes(rng: Rng, digits: list[np.ndarray]) -> bytes:
    """One digit per white entry box on a form shaded in a tint; the boxes adjacent (a thin
    strip of tint between them) or apart."""
    sheet, ink, lefts, cell, top, base = cells_row(rng, digits, closed=True)
    strip = cell * rng.uniform(0.03, 0.12) if rng.random() < 0.5 else 0.0
    boxes = [(top, left + strip / 2, base - top, cell - strip) for left in lefts]
    pw.tinted(sheet, boxes, rng)
    return pw.scan_bytes(rng, pw.composite(sheet, ink, rng))


def spaced_gaps(rng: Rng, count: int) -> list[float]:
    return [
        rng.uniform(-0.05, 0.0) if rng.random() < 0.2 else rng.uniform(0.05, 0.4)
        for _ in range(count)
    ]


def ruled_number(rng: Rng, digits: list[np.ndarray]) -> bytes:
    """A number written on ruled paper, rulings through the strokes."""
    tall = fit_height(rng.integers(30, 101), len(digits), 1.0)
    slope = np.tan(np.radians(rng.uniform(-3, 3)))
    ink = line_ink(rng, digits, tall, spaced_gaps(rng, len(digits)), slope=slope)
    h, w = ink.shape
    margin = int(h * rng.uniform(0.5, 1.0)) + 4
    sheet = blank(rng, h + 2 * margin, w + 2 * margin)
    pw.notebook(sheet, rng, tall * rng.uniform(0.45, 1.1))
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, margin, margin), rng)
    return pw.scan_bytes(rng, sheet)


def guide_line_number(rng: Rng, digits: list[np.ndarray]) -> bytes:
    """A number on a form's printed guide line (solid, dotted or dashed, 1–3 px, any form
    colour), under the digits or through their lower strokes, running on past the number."""
    tall = fit_height(rng.integers(30, 101), len(digits), 1.0)
    slope = np.tan(np.radians(rng.uniform(-2, 2)))
    ink = line_ink(rng, digits, tall, spaced_gaps(rng, len(digits)), slope=slope)
    h, w = ink.shape
    top, side = int(h * rng.uniform(0.4, 0.8)) + 4, int(h * rng.uniform(0.3, 2.5)) + 4
    sheet = blank(rng, h + 2 * top, w + 2 * side)
    width, colour = rng.uniform(1, 3), pw.form_colour(rng)
    start, stop = rng.uniform(0, side), rng.uniform(side + w, w + 2 * side)
    baseline = top + h + rng.uniform(-0.15, 0.25) * tall
    for left, right in pw.guide_pieces(rng, stop - start, width, tall):
        x0, x1 = start + left, start + right
        pw.segment(sheet, (baseline + slope * x0, x0), (baseline + slope * x1, x1), width, colour)
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, top, side), rng)
    return pw.scan_bytes(rng, sheet)


def bilevel_number(rng: Rng, digits: list[np.ndarray]) -> bytes:
    """A number 10–30 px tall as a 1-bit scan (PNG or G4 TIFF)."""
    tall = int(rng.integers(12, 31))
    ink = line_ink(rng, digits, tall, spaced_gaps(rng, len(digits)), stroke=rng.uniform(0, 0.6))
    return pw.bilevel_bytes(rng, on_sheet(rng, ink, rng.uniform(0.3, 1.0), noise=8.0), "any")


def crooked_number(rng: Rng, digits: list[np.ndarray]) -> bytes:
    """A number, spaced or touching, on a page turned 5–35° either way."""
    tall = fit_height(rng.integers(30, 101), len(digits), 1.0)
    count = len(digits)
    touch = rng.random() < 0.3
    gaps = [-rng.uniform(0.0, 0.15) for _ in digits] if touch else spaced_gaps(rng, count)
    ink = line_ink(rng, digits, tall, gaps, slope=np.tan(np.radians(rng.uniform(-3, 3))))
    sheet = on_sheet(rng, ink, rng.uniform(0.3, 0.8))
    return pw.scan_bytes(rng, pw.turned(sheet, rng.uniform(5, 35) * rng.choice([-1, 1])))


def faint_number(rng: Rng, digits: list[np.ndarray]) -> bytes:
    """A number, spaced or touching, written faintly (`training.realistic_faint`)."""
    tall = fit_height(rng.integers(30, 101), len(digits), 1.0)
    touch = rng.random() < 0.3
    count = len(digits)
    gaps = [-rng.uniform(0.0, 0.15) for _ in digits] if touch else spaced_gaps(rng, count)
    slope = np.tan(np.radians(rng.uniform(-3, 3)))
    ink = line_ink(rng, digits, tall, gaps, slope=slope, stroke=rng.uniform(-0.2, 0.5))
    return faint_bytes(rng, faint_sheet(rng, ink, tall))


# name → (generator, digits per number (low, high inclusive), description)
NUMBERS: dict[str, tuple[NumberScene, tuple[int, int], str]] = {
    "numbers_touching": (
        touching,
        (2, 8),
        "2–8 digits touching/overlapping ≤ 30 %, slope ±5°, size ±15 %, mixed pen weights",
    ),
    "comb_field": (comb_field, (4, 10), "4–10 digits, one per cell of a comb (baseline + ticks)"),
    "box_row": (box_row, (4, 10), "4–10 digits, one per closed box, boxes adjacent or spaced"),
    "numbers_ruled": (ruled_number, (2, 8), "2–8 digits on ruled paper"),
    "numbers_bilevel": (
        bilevel_number,
        (2, 8),
        "2–8 digits 12–30 px tall, 1-bit PNG or G4 TIFF (fine or standard fax mode)",
    ),
    "numbers_guide_line": (
        guide_line_number,
        (2, 8),
        "2–8 digits on a form's guide line (solid, dotted or dashed), under or through them",
    ),
    "numbers_crooked": (
        crooked_number,
        (2, 8),
        "2–8 digits, spaced or touching, on a page turned 5–35° (fed askew, photographed)",
    ),
    # Added later: last, so the seeds (by position) of the conditions above stay the same.
    "numbers_tinted": (
        tinted_boxes,
        (4, 10),
        "4–10 digits, one per white box on a tinted form, boxes adjacent (thin tint strips) "
        "or apart",
    ),
    "form_askew": (
        form_askew,
        (4, 10),
        "4–10 digits in a comb field or box row on a form fed askew, turned 1.5–5°",
    ),
    "numbers_faint": (
        faint_number,
        (2, 8),
        "2–8 digits, spaced or touching, in ink 12–40 % darker than the paper (pencil, a pen "
        "running dry, a faded copy); plain, ruled or squared paper; scans and phone photos",
    ),
}
