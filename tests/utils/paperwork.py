"""Fixture images of numbers as they come on paperwork, drawn by code from MNIST test digits:
digits that touch and overlap, one digit per cell of a printed comb field, and forms left
blank."""

import io
from itertools import pairwise

import numpy as np
from PIL import Image

SCALE = 3  # MNIST digits drawn 84 px tall


def ink_of(image: np.ndarray, scale: float = SCALE) -> np.ndarray:
    """A 28×28 MNIST digit as ink 0..1, enlarged and cropped to its strokes."""
    size = round(28 * scale)
    ink = np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR), np.float32)
    ink /= 255.0
    rows, cols = np.flatnonzero(ink.max(1) > 0.1), np.flatnonzero(ink.max(0) > 0.1)
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def png(coverage: np.ndarray) -> bytes:
    """Ink coverage → dark ink on white paper, as PNG bytes."""
    gray = (250 - 230 * np.clip(coverage, 0, 1)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG")
    return buffer.getvalue()


def touching(images: list[np.ndarray], overlap: float, slope: float = 0.03) -> bytes:
    """Digits whose neighbours overlap by `overlap` of the narrower one's width, on a slope
    (a negative overlap leaves a gap)."""
    return png(written(images, overlap, slope))


def written(
    images: list[np.ndarray], overlap: float, slope: float, margin: int = 40, scale: float = SCALE
) -> np.ndarray:
    """The coverage of `touching`: the digits `scale` × MNIST size with `margin` px of paper
    around them."""
    inks = [ink_of(image, scale) for image in images]
    lefts = [margin]
    for before, ink in pairwise(inks):
        lefts.append(
            lefts[-1] + before.shape[1] - round(overlap * min(ink.shape[1], before.shape[1]))
        )
    width = lefts[-1] + inks[-1].shape[1] + margin
    height = max(i.shape[0] for i in inks) + 2 * margin + round(slope * width)
    coverage = np.zeros((height, width), np.float32)
    for x, ink in zip(lefts, inks, strict=True):
        top = margin + round(slope * x)
        region = coverage[top : top + ink.shape[0], x : x + ink.shape[1]]
        np.maximum(region, ink, out=region)
    return coverage


def on_guide_line(images: list[np.ndarray], dash: int, gap: int) -> bytes:
    """Digits 56 px tall, a third of a width apart, on a form's printed guide line 2 px thick,
    6 px under them and running on 200 px past the number: `dash` px of ink, then `gap` px of
    paper."""
    coverage = written(images, overlap=-0.3, slope=0.0, margin=200, scale=2)
    baseline = int(np.flatnonzero(coverage.max(axis=1) > 0.5)[-1]) + 6
    for x in range(10, coverage.shape[1] - 10, dash + gap):
        coverage[baseline : baseline + 2, x : x + dash] = 1.0
    return png(coverage)


def spaced(images: list[np.ndarray], gap: float) -> bytes:
    """Digits standing `gap` of the narrower neighbour's width apart, on a slope."""
    return touching(images, overlap=-gap)


def crooked(images: list[np.ndarray], angle: float) -> bytes:
    """Digits a third of a width apart on a page turned `angle` degrees (anticlockwise), as
    a page fed askew into a scanner."""
    return turned(png(written(images, overlap=-0.3, slope=0.0)), angle)


def turned(data: bytes, angle: float) -> bytes:
    """The page turned `angle` degrees anticlockwise; the corners it uncovers are paper."""
    page = Image.open(io.BytesIO(data)).convert("L")
    buffer = io.BytesIO()
    page.rotate(angle, resample=Image.BILINEAR, expand=True, fillcolor=250).save(buffer, "PNG")
    return buffer.getvalue()


def shrunk(data: bytes, factor: float) -> bytes:
    """An image scanned `factor` times as coarsely (box filter): a number a few pixels tall."""
    image = Image.open(io.BytesIO(data))
    size = (max(1, round(image.width / factor)), max(1, round(image.height / factor)))
    buffer = io.BytesIO()
    image.resize(size, Image.BOX).save(buffer, format="PNG")
    return buffer.getvalue()


def photographed(image: np.ndarray, size: tuple[int, int], digit_height: int) -> bytes:
    """One MNIST digit `digit_height` px tall, off centre on a page of `size` (width, height)
    with a lighting gradient and grain, as a phone's JPEG."""
    ink = ink_of(image, digit_height / 20)  # MNIST's strokes span ~20 of its 28 rows
    width, height = size
    rng = np.random.default_rng(digit_height)
    page = np.linspace(235, 190, width, dtype=np.float32)[np.newaxis, :].repeat(height, 0)
    page += rng.normal(0, 3, page.shape).astype(np.float32)
    top, left = height // 3 - ink.shape[0] // 3, width // 2 - ink.shape[1] // 2
    window = page[top : top + ink.shape[0], left : left + ink.shape[1]]
    window -= 150 * ink[: window.shape[0], : window.shape[1]]
    buffer = io.BytesIO()
    Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def faxed(data: bytes) -> bytes:
    """The image sent in a fax's standard mode: 1-bit, half the rows (204 × 98 dots per inch,
    as its G4 TIFF declares)."""
    image = Image.open(io.BytesIO(data)).convert("L")
    image = image.resize((image.width, round(image.height * 98 / 204)), Image.BOX)
    buffer = io.BytesIO()
    image.point(lambda value: 255 if value > 128 else 0).convert("1").save(
        buffer, format="TIFF", compression="group4", dpi=(204, 98)
    )
    return buffer.getvalue()


def cropped_to_ink(data: bytes) -> bytes:
    """The image cut to the box of its ink: the first and last digits touch the border."""
    image = Image.open(io.BytesIO(data)).convert("L")
    gray = np.asarray(image)
    rows, cols = np.flatnonzero((gray < 200).any(1)), np.flatnonzero((gray < 200).any(0))
    buffer = io.BytesIO()
    image.crop((cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)).save(buffer, format="PNG")
    return buffer.getvalue()


def comb_field(images: list[np.ndarray], cell: int = 110, tick: float = 0.35) -> bytes:
    """One digit per cell of a comb: a printed baseline with ticks between the cells."""
    inks = [ink_of(image, scale=2.5) for image in images]
    margin, rule = 30, 2
    height = max(i.shape[0] for i in inks) + 2 * margin + 20
    coverage = np.zeros((height, cell * len(inks) + 2 * margin), np.float32)
    baseline = height - margin
    for index, ink in enumerate(inks):
        left = margin + index * cell + (cell - ink.shape[1]) // 2
        top = baseline - ink.shape[0] - 8
        region = coverage[top : top + ink.shape[0], left : left + ink.shape[1]]
        np.maximum(region, ink, out=region)
    coverage[baseline : baseline + rule, margin : margin + cell * len(inks) + rule] = 1.0
    for index in range(len(inks) + 1):
        x = margin + index * cell
        coverage[baseline - round(tick * cell) : baseline, x : x + rule] = 1.0
    return png(coverage)


def boxed(image: np.ndarray, inset: int = 4, rule: int = 2) -> bytes:
    """One digit in a printed form box whose sides come within `inset` px of its strokes
    (a negative inset: the box crosses them)."""
    ink = ink_of(image)
    margin = 30
    height, width = ink.shape[0] + 2 * margin, ink.shape[1] + 2 * margin
    coverage = np.zeros((height, width), np.float32)
    coverage[margin : margin + ink.shape[0], margin : margin + ink.shape[1]] = ink
    top, left = margin - inset - rule, margin - inset - rule
    bottom, right = height - margin + inset, width - margin + inset
    for rows, cols in (
        (slice(top, top + rule), slice(left, right + rule)),
        (slice(bottom, bottom + rule), slice(left, right + rule)),
        (slice(top, bottom + rule), slice(left, left + rule)),
        (slice(top, bottom + rule), slice(right, right + rule)),
    ):
        coverage[rows, cols] = 1.0
    return png(coverage)


def blank_form(kind: str) -> bytes:
    """A form nobody wrote on: a ruled page, an empty printed box, an empty comb field or one
    empty comb cell."""
    coverage = np.zeros((240, 480), np.float32)
    if kind == "ruled":
        for y in range(15, 240, 32):
            coverage[y : y + 2, :] = 1.0
    elif kind == "box":
        coverage[40:200, 160:320] = 1.0
        coverage[42:198, 162:318] = 0.0
    else:  # comb: a baseline and ticks; cell: one comb cell, two ticks
        left, right, step = (30, 452, 70) if kind == "comb" else (190, 292, 100)
        coverage[180:182, left:right] = 1.0
        for x in range(left, right, step):
            coverage[140:180, x : x + 2] = 1.0
    return png(coverage)


def tinted_cells(images: list[np.ndarray], field: int = 150, gap: int = 14) -> bytes:
    """One digit per white entry box of a form printed on a tinted page: the tint (grey level
    `field`) all around the boxes and `gap` px of it between them."""
    inks = [ink_of(image, scale=2.5) for image in images]
    cell, margin = 90, 40
    height = max(i.shape[0] for i in inks) + 2 * margin
    width = len(inks) * (cell + gap) - gap + 2 * margin
    gray = np.full((height, width), float(field), np.float32)
    for index, ink in enumerate(inks):
        left = margin + index * (cell + gap)
        gray[margin - 10 : height - margin + 10, left : left + cell] = 250.0
        top, x = margin, left + (cell - ink.shape[1]) // 2
        region = gray[top : top + ink.shape[0], x : x + ink.shape[1]]
        region -= (region - 20.0) * np.clip(ink, 0, 1)
    buffer = io.BytesIO()
    Image.fromarray(gray.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()
