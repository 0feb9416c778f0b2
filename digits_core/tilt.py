"""A number written or scanned askew, turned level before the reader sees it.

The reader learned lines sloping a few degrees (`training.lines`); a page fed crooked into a
scanner or photographed at an angle tilts the whole number by 10–30°, and there it read 64 %
of validation numbers at 20° and 9 % at 30° (all of them flagged unsure). A line of three or
more digits is much longer than tall, so the principal axis of its ink (the direction along
which the ink spreads most) is the direction it is written in. When that axis is clearly
the longer one and tilted more than a slope the reader knows, the ink is resampled level.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

MIN_TILT = 10.0  # degrees: below this the reader reads the slope as it is (see the module)
MAX_TILT = 45.0  # beyond this the axis is no longer a line written left to right
ELONGATION = 2.5  # the ink spreads at least this many times further along its axis than across
PIECE_SHARE = 0.2  # a piece with this share of the largest piece's ink may be a digit
AGREE = 5.0  # degrees: the centres' line and the ink's axis agree this well on a real line
RUN_ELONGATION = 3.0  # fewer than three such pieces: one long run of touching digits, or none
TURN_FROM = 5.0  # degrees: an alternative reading turned along the ink's axis from this tilt
TURN_ELONGATION = 1.3  # ... when the ink is longer than one digit (two side by side: ~1.4)


@dataclass(frozen=True)
class Tilt:
    """How a level line's frame maps back to the image: image = matrix @ level + offset."""

    matrix: np.ndarray  # [2, 2] rotation
    offset: np.ndarray  # [2]

    def bounds(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, ...]:
        """The image rectangle (x0, y0, x1, y1) around a rectangle of the level frame."""
        corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64)
        turned = corners @ self.matrix.T + self.offset
        (left, top), (right, bottom) = turned.min(axis=0), turned.max(axis=0)
        return float(left), float(top), float(right), float(bottom)

    def scaled(self, factor: float, shift: tuple[float, float]) -> "Tilt":
        """The same turn between frames whose pixels are `factor` times as large, the image
        frame moved by `shift` (in its old pixels) first."""
        return Tilt(self.matrix, (self.offset + np.asarray(shift)) * factor)


def line_angle(ink: np.ndarray, pieces: np.ndarray) -> float | None:
    """The angle (radians, y down) of the line the ink is written along, or None when it is
    level enough, or no clear line. `pieces` labels the ink's connected pieces (0: none).

    The angle runs through the centres of the line's digit-sized pieces: a digit's own slant
    moves its centre nowhere, while it tilts the principal axis of a short line (numbers of
    2–4 slanted digits measured 11–20° there, written level). With fewer than three such
    pieces, only a long run of touching digits has an axis to go by. The two must agree: a
    page edge or a shadow kept beside a digit makes pieces whose centres run anywhere.
    """
    # Both ways below need the axis within AGREE of the tilts turned: most lines stop here.
    moments = line_like(ink, ELONGATION, MIN_TILT - AGREE)
    if moments is None:
        return None
    axis, along, across = moments
    x = np.arange(ink.shape[1], dtype=np.float64)
    y = np.arange(ink.shape[0], dtype=np.float64)
    weights = ink.astype(np.float64)
    masses = np.bincount(pieces.ravel(), weights=weights.ravel())[1:]
    big = np.flatnonzero(masses >= PIECE_SHARE * masses.max(initial=0.0)) + 1
    if big.size >= 3:
        # Weighted least squares through the pieces' centres of mass.
        flat = pieces.ravel()
        size = len(masses) + 1
        mass = masses[big - 1]
        centre_x = np.bincount(flat, (weights * x).ravel(), size)[big] / mass
        centre_y = np.bincount(flat, (weights * y[:, np.newaxis]).ravel(), size)[big] / mass
        dx = centre_x - np.average(centre_x, weights=mass)
        dy = centre_y - np.average(centre_y, weights=mass)
        angle = float(np.arctan2((mass * dx * dy).sum(), (mass * dx * dx).sum()))
        if abs(angle - axis) > np.radians(AGREE):
            return None
    elif along >= RUN_ELONGATION**2 * across:
        angle = axis
    else:
        return None
    if not np.radians(MIN_TILT) <= abs(angle) <= np.radians(MAX_TILT):
        return None
    return angle


def principal_axis(ink: np.ndarray) -> tuple[float, float, float] | None:
    """(angle in radians with y down, variance along it, variance across it) of the ink's
    principal axis, from its second moments; None without ink."""
    x = np.arange(ink.shape[1], dtype=np.float64)
    y = np.arange(ink.shape[0], dtype=np.float64)
    weights = ink.astype(np.float64)
    total = weights.sum()
    if total <= 0:
        return None
    # The ink's second moments from its row and column sums (no per-pixel coordinates).
    columns, rows = weights.sum(axis=0), weights.sum(axis=1)
    mean_x, mean_y = columns @ x / total, rows @ y / total
    xx = columns @ (x * x) / total - mean_x**2
    yy = rows @ (y * y) / total - mean_y**2
    xy = y @ (weights @ x) / total - mean_x * mean_y
    spread = np.sqrt((xx - yy) ** 2 + 4.0 * xy * xy)
    along, across = (xx + yy + spread) / 2.0, max((xx + yy - spread) / 2.0, 1e-9)
    return float(0.5 * np.arctan2(2.0 * xy, xx - yy)), float(along), float(across)


def axis_angle(ink: np.ndarray) -> float | None:
    """The angle of the ink's principal axis when it may be a short line turned askew: tilted
    between TURN_FROM and MAX_TILT + AGREE, and longer than a single digit (TURN_ELONGATION).
    Weaker evidence than `line_angle` (two touching digits, a slanted hand and a page turned
    20° all look alike here), so the line turned this way is only an alternative reading."""
    moments = line_like(ink, TURN_ELONGATION, TURN_FROM)
    return None if moments is None else moments[0]


def line_like(ink: np.ndarray, elongation: float, least: float) -> tuple[float, ...] | None:
    """`principal_axis` when the ink spreads `elongation` times further along it than across
    and the axis is tilted between `least` and MAX_TILT + AGREE degrees; else None."""
    moments = principal_axis(ink)
    if moments is None:
        return None
    axis, along, across = moments
    if along < elongation**2 * across:
        return None
    if not np.radians(least) <= abs(axis) <= np.radians(MAX_TILT + AGREE):
        return None
    return moments


def levelled(ink: np.ndarray, angle: float) -> tuple[np.ndarray, Tilt]:
    """The ink turned by -angle so its line is level, cropped to it, and the map back."""
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = np.array([[cos, -sin], [sin, cos]])
    rows, cols = np.nonzero(ink)
    # Where the ink's pixels land in the level frame (inverse turn: matrix.T), and its box.
    level = np.stack([cols, rows], axis=1) @ matrix
    low = np.floor(level.min(axis=0)) - 1
    size = np.ceil(level.max(axis=0)) + 2 - low
    offset = matrix @ low
    image = Image.fromarray(ink.astype(np.float32), mode="F").transform(
        (int(size[0]), int(size[1])),
        Image.Transform.AFFINE,
        (cos, -sin, offset[0], sin, cos, offset[1]),
        resample=Image.Resampling.BILINEAR,
    )
    return np.clip(np.asarray(image), 0.0, 1.0), Tilt(matrix, offset)
