"""The one preprocessing definition shared by training and serving.

bytes → decoded grayscale (`digits_core.decoding`)
→ ink analysis (`digits_core.ink`: polarity, lighting, noise, specks, page edges)
→ the digit's components → MNIST-style 28×28 float32 in 0..1, white ink on black, the digit's
longer side 20 px, centred by centre of mass (how MNIST itself was made).
"""

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from digits_core import morphology
from digits_core.errors import InvalidPixels
from digits_core.ink import WORK_SIDE, Ink, analyse
from digits_core.paper import BACKGROUND_WINDOW

MNIST_SIZE = 28
DIGIT_BOX = 20
NEAR_SHARE = 0.05  # a component this share of the largest one's area may belong to the digit
NEAR_REACH = 0.5  # ... if it is within this share of the digit's size from it
COARSE_SIDE = 160  # a first look at this resolution finds most digits at a quarter of the cost
COARSE_DIGIT = 48  # ... and suffices when the digit spans this many pixels there (≥ 2× MNIST's)
FINE_DIGIT = 64  # a smaller digit is looked at again where it spans about this many pixels
MIN_DIGIT_PX = 6  # a digit is at least this many working pixels tall or wide
MIN_DIGIT_SHARE = 0.01  # ... and this share of the image's longer side
BLOB_SOLID = 0.95  # see looks_like_digit
BLOB_ELONGATION = 2.5  # a solid bar longer than this many widths may be a "1"


def scale_mnist(images: np.ndarray) -> np.ndarray:
    """uint8 MNIST images [N, 28, 28] → model input float32 [N, 28, 28, 1] in 0..1."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def fit_to_mnist(ink: np.ndarray) -> np.ndarray:
    """Ink crop 0..1 → 28×28: longer side to 20 px (aspect kept), centred by centre of mass."""
    height, width = ink.shape
    scale = DIGIT_BOX / max(height, width)
    new_w = max(1, round(width * scale))
    new_h = max(1, round(height * scale))
    resized = Image.fromarray(ink.astype(np.float32), mode="F").resize(
        (new_w, new_h), Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BILINEAR
    )
    digit = np.clip(np.asarray(resized, dtype=np.float32), 0, 1)
    canvas = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    top = (MNIST_SIZE - new_h) // 2
    left = (MNIST_SIZE - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = digit
    total = float(canvas.sum())
    if total <= 0:
        return canvas
    rows, cols = np.indices(canvas.shape)
    # MNIST put the centre of mass at pixel (14, 14) (measured on its test set), not 13.5.
    shift_y = round(MNIST_SIZE / 2 - float((rows * canvas).sum()) / total)
    shift_x = round(MNIST_SIZE / 2 - float((cols * canvas).sum()) / total)
    shift_y = int(np.clip(shift_y, -top, MNIST_SIZE - top - new_h))
    shift_x = int(np.clip(shift_x, -left, MNIST_SIZE - left - new_w))
    return np.roll(canvas, (shift_y, shift_x), axis=(0, 1))


def digit_components(found: Ink) -> np.ndarray:
    """Labels of the digit: the largest component plus significant ones close to it."""
    areas = found.areas
    chosen = np.zeros(found.count, dtype=bool)
    chosen[int(np.argmax(areas))] = True
    significant = areas >= NEAR_SHARE * float(areas.max())
    top, left, bottom, right = union_box(found, chosen)
    for _ in range(4):
        reach = NEAR_REACH * max(bottom - top, right - left)
        added = False
        for index in np.flatnonzero(significant & ~chosen):
            rows, cols = found.boxes[index]
            gap_y = max(top - rows.stop, rows.start - bottom, 0)
            gap_x = max(left - cols.stop, cols.start - right, 0)
            if max(gap_y, gap_x) <= reach:
                chosen[index] = added = True
        if not added:
            break
        top, left, bottom, right = union_box(found, chosen)
    return np.flatnonzero(chosen) + 1


def union_box(found: Ink, chosen: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) around the chosen components (bottom/right exclusive)."""
    picked = [found.boxes[i] for i in np.flatnonzero(chosen)]
    return (
        min(r.start for r, _ in picked),
        min(c.start for _, c in picked),
        max(r.stop for r, _ in picked),
        max(c.stop for _, c in picked),
    )


def crop_ink(
    found: Ink, labels: np.ndarray, columns: tuple[int, int] | None = None, margin: int = 2
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The ink of the given components only (their anti-aliased rim too), tightly cropped.

    `columns` (working pixels, end exclusive) keeps only that vertical slice, for a split.
    Returns the crop and its (top, left, bottom, right) box in working pixels.
    """
    chosen = np.zeros(found.count, dtype=bool)
    chosen[labels - 1] = True
    top, left, bottom, right = union_box(found, chosen)
    if columns is not None:
        left, right = max(left, columns[0]), min(right, columns[1])
    height, width = found.labels.shape
    top, bottom = max(0, top - margin), min(height, bottom + margin)
    outer_left = max(0, left - margin) if columns is None else left
    outer_right = min(width, right + margin) if columns is None else right
    window = found.labels[top:bottom, outer_left:outer_right]
    own = morphology.max_filter(np.concatenate(([False], chosen))[window], 3)
    crop = found.ink[top:bottom, outer_left:outer_right] * own
    # The box is the extent of every non-zero pixel, rim included, as MNIST's was.
    rows = np.flatnonzero(crop.any(axis=1))
    cols = np.flatnonzero(crop.any(axis=0))
    if rows.size == 0:
        return np.zeros((1, 1), dtype=np.float32), (top, outer_left, top + 1, outer_left + 1)
    crop = crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    box = (top + rows[0], outer_left + cols[0], top + rows[-1] + 1, outer_left + cols[-1] + 1)
    return crop, (int(box[0]), int(box[1]), int(box[2]), int(box[3]))


def looks_like_digit(found: Ink, labels: np.ndarray) -> bool:
    """False for specks only, a solid compact blob (a thumb, a stain), or the rim of a blob
    too big for the lighting estimate (a ring whose inside is as dark as ink)."""
    chosen = np.zeros(found.count, dtype=bool)
    chosen[labels - 1] = True
    top, left, bottom, right = union_box(found, chosen)
    tall, wide = bottom - top, right - left
    if max(tall, wide) < max(MIN_DIGIT_PX, MIN_DIGIT_SHARE * max(found.labels.shape)):
        return False
    own = np.concatenate(([False], chosen))[found.labels[top:bottom, left:right]]
    ys, xs = np.nonzero(own)
    variances = np.linalg.eigvalsh(np.cov(np.stack([ys, xs]).astype(np.float64)))
    spread = float(np.sqrt(max(variances[0] * variances[1], 1e-9)))
    # Area over that of the ellipse with the same second moments: 1 for a solid ellipse, well
    # below 1 for strokes. A solid shape that is not elongated like a "1" bar is a blob.
    solid = ys.size / (4 * np.pi * spread)
    elongation = float(np.sqrt(variances[1] / max(variances[0], 1e-9)))
    if solid > BLOB_SOLID and elongation < BLOB_ELONGATION:
        return False
    # Only a blob wider than the lighting window can leave a ring of "ink" around it.
    big = max(tall, wide) >= BACKGROUND_WINDOW * max(found.labels.shape)
    return not (big and dark_inside(found, own, (top, left, bottom, right)))


def dark_inside(found: Ink, own: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """True when the holes of the shape are nearly as dark as its ink (paper is not)."""
    filled = morphology.fill_holes(own)
    holes = filled & ~own
    if holes.sum() < 0.1 * own.size:
        return False
    top, left, bottom, right = box
    window = found.light[top:bottom, left:right]
    ink = float(np.median(window[own]))
    paper = float(np.median(window[~filled])) if not filled.all() else float(window.max())
    return float(np.median(window[holes])) < ink + 0.5 * (paper - ink)


def digit_extent(found: Ink, labels: np.ndarray) -> int:
    """The longer side, in working pixels, of the box around the given components."""
    chosen = np.zeros(found.count, dtype=bool)
    chosen[labels - 1] = True
    top, left, bottom, right = union_box(found, chosen)
    return max(bottom - top, right - left)


def locate_digit(
    gray: np.ndarray, full: Callable[[], np.ndarray] | None = None
) -> tuple[Ink, np.ndarray] | None:
    """The analysis of a one-digit image (either polarity, 0..255) and the labels of the
    digit's components in it; None when there is no ink at all.

    The ink is analysed at the resolution the decision needs: a first look at COARSE_SIDE; a
    digit smaller than COARSE_DIGIT there is looked at again where it spans about FINE_DIGIT
    pixels, and only an image with no ink at either look is analysed at full working size.
    `gray` may be a reduced decode (`view_image`); `full` then decodes the image at full size,
    called only when a look needs more pixels than `gray` has.
    """
    found = analyse(gray, COARSE_SIDE)
    if found.count:
        labels = digit_components(found)
        extent = digit_extent(found, labels)
        if extent >= COARSE_DIGIT or found.scale == 1.0:
            return found, labels
        side = math.ceil(COARSE_SIDE * FINE_DIGIT / max(extent, 1))
        if full is not None and WORK_SIDE > side >= max(gray.shape):
            gray, full = full(), None
        if side < WORK_SIDE and side < max(gray.shape):
            found = analyse(gray, side)
            if found.count:
                labels = digit_components(found)
                if digit_extent(found, labels) >= COARSE_DIGIT:
                    return found, labels
    # A small digit in a big image (or none): look again at the full working resolution.
    found = analyse(gray if full is None else full())
    return (found, digit_components(found)) if found.count else None


def digit_input(located: tuple[Ink, np.ndarray] | None) -> tuple[np.ndarray, bool]:
    """A located digit → (28×28 input, has_digit); no ink gives zeros and False."""
    if located is None:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32), False
    found, labels = located
    return fit_to_mnist(crop_ink(found, labels)[0]), looks_like_digit(found, labels)


def prepare_digit(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """Grayscale image of one digit (either polarity, 0..255) → (28×28 input, has_digit).

    `has_digit` is False for blank paper, an empty canvas, specks only or a solid blob; the
    array is then all zero or the blob's shape, and the caller should not trust a prediction.
    """
    return digit_input(locate_digit(gray))


def pixels_to_input(pixels: object) -> np.ndarray:
    """A 28×28 list of numbers 0..255 (MNIST convention, white ink on black) → model input.

    Already MNIST-shaped, so it is only validated and scaled, not re-cropped.
    """
    try:
        array = np.asarray(pixels, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidPixels("`pixels` must be a 28×28 array of numbers 0..255.") from exc
    if array.shape != (MNIST_SIZE, MNIST_SIZE):
        raise InvalidPixels(f"`pixels` must be 28×28; got shape {list(array.shape)}.")
    if not np.isfinite(array).all():
        raise InvalidPixels("`pixels` contains NaN or infinite values.")
    if array.min() < 0 or array.max() > 255:
        raise InvalidPixels("`pixels` values must be between 0 and 255.")
    return (array / 255.0).astype(np.float32)
