"""Scene primitives for paperwork: printed boxes, combs, rulings, grids, 1-bit scans, low sources.

Everything draws onto RGB float32 sheets (0..255, as `training.realistic_scenes.paper` makes
them) or works on ink coverage (0..1). Pure functions of a numpy Generator, so every scene is
reproducible from its seed. Printed lines are drawn first and the handwriting composited over
them, as a pen writes over a printed form.
"""

import io

import numpy as np
from PIL import Image
from scipy import ndimage

from training import realistic_scenes as sc

Rng = np.random.Generator
# Form print: black, blue, dropout red (meant to vanish in a colour scan), grey.
FORM_COLOURS = np.array(
    [[25, 25, 30], [40, 70, 170], [225, 95, 95], [235, 140, 150], [120, 120, 125]],
    dtype=np.float32,
)
# Notebook rulings: light blue, grey, dark blue, black.
RULE_COLOURS = np.array(
    [[140, 180, 225], [165, 165, 170], [60, 90, 170], [40, 40, 45]], dtype=np.float32
)
MARGIN_RED = np.array([215, 80, 90], dtype=np.float32)


# Shaded form backgrounds around white entry boxes: grey, pink, green, blue, buff.
TINTS = np.array(
    [[200, 200, 200], [240, 200, 210], [195, 225, 200], [195, 210, 235], [240, 225, 185]],
    dtype=np.float32,
)


def tint_colour(rng: Rng) -> np.ndarray:
    """A form's shade, from pale (luma ~225) to strong (luma ~120)."""
    depth = rng.uniform(0.0, 0.45)
    return TINTS[rng.integers(len(TINTS))] * (1 - depth) + rng.uniform(-6, 6, 3).astype(np.float32)


def tinted(sheet: np.ndarray, boxes: list[tuple[float, float, float, float]], rng: Rng) -> None:
    """The sheet shaded in a form's tint except in its white entry `boxes` (top, left, tall,
    wide), which some forms also outline thinly in a deeper shade of the tint."""
    shade = tint_colour(rng)
    white = np.zeros(sheet.shape[:2], dtype=bool)
    for top, left, tall, wide in boxes:
        white[max(0, round(top)) : round(top + tall), max(0, round(left)) : round(left + wide)] = (
            True
        )
    paper = np.median(sheet.reshape(-1, 3), axis=0)
    sheet[~white] = sheet[~white] * (shade / np.maximum(paper, 1.0))
    if rng.random() < 0.3:
        for top, left, tall, wide in boxes:
            box(sheet, top, left, tall, wide, rng.uniform(1, 2), shade * 0.8)


def form_colour(rng: Rng) -> np.ndarray:
    return FORM_COLOURS[rng.integers(len(FORM_COLOURS))] + rng.uniform(-8, 8, 3).astype(np.float32)


def rule_colour(rng: Rng) -> np.ndarray:
    return RULE_COLOURS[rng.integers(len(RULE_COLOURS))] + rng.uniform(-8, 8, 3).astype(np.float32)


def segment(
    sheet: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], width: float, ink: object
) -> None:
    """An anti-aliased straight line (y, x) → (y, x) of `width` px, drawn in place."""
    height, wide, _ = sheet.shape
    reach = width / 2 + 1.5
    top = max(0, int(min(p0[0], p1[0]) - reach))
    bottom = min(height, int(max(p0[0], p1[0]) + reach) + 1)
    left = max(0, int(min(p0[1], p1[1]) - reach))
    right = min(wide, int(max(p0[1], p1[1]) + reach) + 1)
    if top >= bottom or left >= right:
        return
    ys, xs = np.mgrid[top:bottom, left:right].astype(np.float32)
    dy, dx = p1[0] - p0[0], p1[1] - p0[1]
    length2 = max(dy * dy + dx * dx, 1e-6)
    t = np.clip(((ys - p0[0]) * dy + (xs - p0[1]) * dx) / length2, 0, 1)
    distance = np.hypot(ys - (p0[0] + t * dy), xs - (p0[1] + t * dx))
    cover = np.clip(width / 2 + 0.5 - distance, 0, 1)[..., None]
    region = sheet[top:bottom, left:right]
    sheet[top:bottom, left:right] = region * (1 - cover) + np.asarray(ink) * cover


def box(
    sheet: np.ndarray, top: float, left: float, tall: float, wide: float, width: float, ink: object
) -> None:
    """A closed rectangle whose line centres run along the given outline."""
    bottom, right = top + tall, left + wide
    segment(sheet, (top, left), (top, right), width, ink)
    segment(sheet, (bottom, left), (bottom, right), width, ink)
    segment(sheet, (top, left), (bottom, left), width, ink)
    segment(sheet, (top, right), (bottom, right), width, ink)


def comb(
    sheet: np.ndarray, base: float, edges: list[float], tick: float, width: float, ink: object
) -> None:
    """An open comb: a baseline at row `base` from the first to the last edge, a tick of
    `tick` px rising at every edge."""
    segment(sheet, (base, edges[0]), (base, edges[-1]), width, ink)
    for x in edges:
        segment(sheet, (base - tick, x), (base, x), width, ink)


GUIDE_STYLES = ("solid", "dotted", "dashed")


def guide_pieces(rng: Rng, length: float, width: float, tall: float) -> list[tuple[float, float]]:
    """Where a form's guide line of `width` px under digits `tall` px has ink along its
    `length`: all of it (solid), or dots or dashes evenly spaced, as (start, stop) offsets."""
    style = GUIDE_STYLES[int(rng.integers(len(GUIDE_STYLES)))]
    if style == "solid":
        return [(0.0, length)]
    if style == "dotted":
        piece = 0.0  # a round dot of the line's width
        period = max(3.0 * width, tall * rng.uniform(0.06, 0.15))
    else:
        piece = tall * rng.uniform(0.1, 0.5)
        period = piece + max(2.0 * width, tall * rng.uniform(0.05, 0.2))
    starts = np.arange(rng.uniform(0, period), length, period)
    return [(float(x), float(min(x + piece, length))) for x in starts]


def ruling(
    sheet: np.ndarray, spacing: float, offset: float, width: float, ink: object, slope: float = 0
) -> None:
    """Horizontal rulings every `spacing` px (a slight `slope`: the page lies askew)."""
    height, wide, _ = sheet.shape
    y = offset % spacing - spacing
    while y < height + spacing:
        segment(sheet, (y, 0), (y + slope * wide, wide), width, ink)
        y += spacing


def grid(sheet: np.ndarray, spacing: float, offset: tuple[float, float], width: float, ink: object):
    """Squared paper: rulings both ways every `spacing` px."""
    ruling(sheet, spacing, offset[0], width, ink)
    height, wide, _ = sheet.shape
    x = offset[1] % spacing - spacing
    while x < wide + spacing:
        segment(sheet, (0, x), (height, x), width, ink)
        x += spacing


def notebook(sheet: np.ndarray, rng: Rng, spacing: float) -> None:
    """Ruled paper at `spacing` px, 1–3 px lines, and a red margin line on some pages."""
    width = rng.uniform(1, 3) if rng.random() < 0.5 else rng.uniform(1, 1.6)
    slope = rng.uniform(-0.02, 0.02)
    ruling(sheet, spacing, rng.uniform(0, spacing), width, rule_colour(rng), slope)
    if rng.random() < 0.35:
        x = rng.uniform(0.05, 0.95) * sheet.shape[1]
        segment(sheet, (0, x), (sheet.shape[0], x), rng.uniform(1, 2.5), MARGIN_RED)


def composite(sheet: np.ndarray, ink: np.ndarray, rng: Rng) -> np.ndarray:
    """The handwriting (coverage of the whole sheet) over the printed sheet, one ink colour."""
    sc.place(sheet, ink, sc.ink_colour(rng), 0, 0)
    return sheet


def turned(sheet: np.ndarray, degrees: float) -> np.ndarray:
    """The sheet turned `degrees` anticlockwise (a page fed askew, or photographed at an
    angle); the corners it uncovers take the paper's colour."""
    paper = np.median(sheet.reshape(-1, 3), axis=0)
    channels = [
        Image.fromarray(np.ascontiguousarray(sheet[..., channel], dtype=np.float32), "F").rotate(
            degrees, Image.Resampling.BILINEAR, expand=True, fillcolor=float(paper[channel])
        )
        for channel in range(3)
    ]
    return np.stack([np.asarray(channel) for channel in channels], axis=-1)


def scan_bytes(rng: Rng, sheet: np.ndarray) -> bytes:
    """A colour or gray scan: RGB PNG, grayscale PNG or JPEG 60–95."""
    pick = rng.random()
    if pick < 0.35:
        return sc.rgb_png(sheet)
    if pick < 0.6:
        return sc.gray_png(sheet)
    return sc.jpeg(sheet, int(rng.integers(60, 96)))


def bilevel(sheet: np.ndarray, rng: Rng) -> Image.Image:
    """A 1-bit scan of the sheet: a plain threshold (at 45–75 % of the paper's level) or
    Floyd–Steinberg dither, the way fax and office scanners binarise."""
    gray = Image.fromarray(sc.to_uint8(sheet), "RGB").convert("L")
    if rng.random() < 0.35:
        # The scanner's white point first: paper near white, so dither dots stay sparse.
        paper = float(np.percentile(np.asarray(gray), 90))
        gray = gray.point(lambda v: min(255, round(v * 250 / max(paper, 1))))
        return gray.convert("1")  # dithered
    level = float(np.percentile(np.asarray(gray), 90)) * rng.uniform(0.45, 0.75)
    return gray.point(lambda v: 255 if v > level else 0).convert("1", dither=Image.Dither.NONE)


def one_bit_png(image: Image.Image) -> bytes:
    return sc.encode(image.convert("1"))


def g4_tiff(image: Image.Image, dpi: tuple[int, int] = (200, 200)) -> bytes:
    buffer = io.BytesIO()
    image.convert("1").save(buffer, format="TIFF", compression="group4", dpi=dpi)
    return buffer.getvalue()


# A fax in standard mode scans 204 dots per inch across and 98 down: half the rows, pixels twice
# as tall as wide, as its TIFF declares (`digits_core.pixel_aspect` squares them on decoding).
FAX_STANDARD = (204, 98)
FAX_STANDARD_CHANCE = 0.4  # of G4 TIFFs; the rest are fine mode, square pixels


def fax_standard(sheet: np.ndarray) -> np.ndarray:
    """The sheet (gray or RGB) with the rows a standard-mode fax keeps (each averages the lines
    it spans)."""
    height = max(1, round(sheet.shape[0] * FAX_STANDARD[1] / FAX_STANDARD[0]))
    image = Image.fromarray(sc.to_uint8(sheet)).resize((sheet.shape[1], height), Image.BOX)
    return np.asarray(image, dtype=np.float32)


def bilevel_bytes(rng: Rng, sheet: np.ndarray, fmt: str) -> bytes:
    """`fmt` "png" (1-bit PNG), "g4" (G4 TIFF, fine or standard fax mode) or "any" (either)."""
    if fmt == "any":
        fmt = "png" if rng.random() < 0.5 else "g4"
    if fmt == "png":
        return one_bit_png(bilevel(sheet, rng))
    if rng.random() < FAX_STANDARD_CHANCE:
        return g4_tiff(bilevel(fax_standard(sheet), rng), FAX_STANDARD)
    return g4_tiff(bilevel(sheet, rng))


RESAMPLERS = [Image.Resampling.NEAREST, Image.Resampling.BILINEAR, Image.Resampling.BICUBIC]


def upscale(sheet: np.ndarray, rng: Rng) -> np.ndarray:
    """A low-resolution source blown up 2–8× (nearest, bilinear or bicubic)."""
    factor = int(rng.integers(2, 9))
    image = Image.fromarray(sc.to_uint8(sheet), "RGB")
    size = (image.width * factor, image.height * factor)
    resample = RESAMPLERS[rng.integers(len(RESAMPLERS))]
    return np.asarray(image.resize(size, resample), dtype=np.float32)


def phone_photo(sheet: np.ndarray, rng: Rng) -> bytes:
    """A phone snapshot of the sheet: a soft cast shadow, mild perspective, heavy JPEG."""
    height, width, _ = sheet.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    side = (xs / width - rng.uniform(0.2, 0.8)) * np.cos(angle) + (
        ys / height - rng.uniform(0.2, 0.8)
    ) * np.sin(angle)
    shadow = 1 / (1 + np.exp(-side / rng.uniform(0.03, 0.12)))
    sheet = sheet * (1 - rng.uniform(0.25, 0.55) * shadow)[..., None]
    image = Image.fromarray(sc.to_uint8(sheet), "RGB")
    skew = 0.05
    corners = [(x * width, y * height) for x, y in [(0, 0), (1, 0), (1, 1), (0, 1)]]
    moved = [
        (x + rng.uniform(-skew, skew) * width, y + rng.uniform(-skew, skew) * height)
        for x, y in corners
    ]
    coefficients = perspective_coefficients(corners, moved)
    table = tuple(int(v) for v in sc.PAPERS[rng.integers(len(sc.PAPERS))] * 0.45)
    image = image.transform(
        image.size,
        Image.Transform.PERSPECTIVE,
        coefficients,
        Image.Resampling.BILINEAR,
        fillcolor=table,
    )
    array = np.asarray(image, dtype=np.float32)
    array = ndimage.gaussian_filter(array, (rng.uniform(0.3, 1.0),) * 2 + (0,))
    return sc.jpeg(array, int(rng.integers(12, 41)))


def perspective_coefficients(
    target: list[tuple[float, float]], source: list[tuple[float, float]]
) -> list[float]:
    """PIL's 8 coefficients mapping output corners `target` to input corners `source`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return list(np.linalg.solve(np.array(rows), np.array(rhs)))
