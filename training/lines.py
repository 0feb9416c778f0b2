"""Synthetic lines of handwritten digits for training the reader.

A line is 1–12 MNIST digits composed on paper the way people write numbers on paperwork: freely
(gaps from wide to heavy overlap, a sloping baseline, sizes and pen widths that vary), one per
cell of a comb field or a row of boxes, on ruled or squared paper, or on a form's guide line
(solid, dotted or dashed). The page then
goes through what scanning and photographing do to it (blur, grain, uneven contrast, JPEG, a
1-bit threshold, a low source resolution) and through the serving preprocessing
(`digits_core.reading.line_view`: the ink analysis, which removes printed rules, then the line),
so the reader learns from exactly what it will be shown.
"""

import io

import numpy as np
from PIL import Image
from scipy import ndimage

from digits_core.blocky import deblocked
from digits_core.pixel_aspect import squared
from digits_core.reading import Line, line_view
from training.paperwork import FAX_STANDARD, FAX_STANDARD_CHANCE, fax_standard, guide_pieces

Rng = np.random.Generator
LAYOUTS = ("free", "comb", "boxes", "ruled", "squared", "underline")
LAYOUT_WEIGHTS = (0.45, 0.15, 0.12, 0.12, 0.08, 0.08)
LENGTH_WEIGHTS = np.array([4, 5, 6, 7, 8, 8, 8, 7, 6, 5, 4, 4], dtype=float)  # 1..12 digits
DISTORT_CHANCE = 0.5
MAX_TILT = 8.0  # degrees
MAX_SLANT = 0.3  # columns leaned per row (~17°)
PAD_DISTORT = 6  # MNIST pixels around the digit, room to lean and warp into
ELASTIC_CHANCE = 0.33
ELASTIC_STRENGTH = (15.0, 34.0)  # the field's scale; Simard et al. used 34 on MNIST
ELASTIC_SMOOTHING = 4.0  # MNIST pixels


def handwriting(rng: Rng, alpha: np.ndarray) -> np.ndarray:
    """The digit as another hand might write it: half the digits get their own slant and tilt,
    a third of those a gentle elastic warp (Simard et al. 2003). MNIST's test writers are not
    its training writers, and real paperwork's writers are neither."""
    if rng.random() >= DISTORT_CHANCE:
        return alpha
    alpha = np.pad(alpha, PAD_DISTORT)
    angle = np.radians(rng.uniform(-MAX_TILT, MAX_TILT))
    shear = rng.uniform(-MAX_SLANT, MAX_SLANT)
    cos, sin = np.cos(angle), np.sin(angle)
    # Output (row, col) samples input centre + matrix · (output − centre); the shear leans
    # columns with height, as slanted writing does.
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, 0.0], [shear, 1.0]])
    centre = (np.array(alpha.shape) - 1) / 2
    alpha = ndimage.affine_transform(alpha, matrix, centre - matrix @ centre, order=1)
    if rng.random() < ELASTIC_CHANCE:
        strength = rng.uniform(*ELASTIC_STRENGTH)
        field = [
            ndimage.gaussian_filter(rng.uniform(-1, 1, alpha.shape), ELASTIC_SMOOTHING) * strength
            for _ in range(2)
        ]
        rows, cols = np.mgrid[0 : alpha.shape[0], 0 : alpha.shape[1]].astype(np.float64)
        alpha = ndimage.map_coordinates(alpha, [rows + field[0], cols + field[1]], order=1)
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def digit_ink(rng: Rng, image: np.ndarray, height: int) -> np.ndarray:
    """An MNIST digit's ink (0..1) in another hand, cropped to its strokes, `height` px tall,
    its pen varied."""
    alpha = handwriting(rng, image.astype(np.float32) / 255.0)
    rows = np.flatnonzero(alpha.max(axis=1) > 0.1)
    cols = np.flatnonzero(alpha.max(axis=0) > 0.1)
    alpha = alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = height / alpha.shape[0]
    width = max(1, round(alpha.shape[1] * scale * rng.uniform(0.85, 1.15)))
    ink = np.asarray(Image.fromarray(alpha, mode="F").resize((width, height), Image.BILINEAR))
    # Half the digits get a thinner or bolder pen (pixels per side).
    pen = rng.uniform(-0.04, 0.06) * height if rng.random() < 0.5 else 0.0
    if pen >= 1:
        size = round(pen) * 2 + 1
        ink = ndimage.grey_dilation(ink, size=(size, size))
    elif pen <= -1:
        # A thinner pen, never so thin that the digit fades away (its label would be wrong).
        thinner = ndimage.grey_erosion(ink, size=(3, 3))
        if thinner.max() > 0.8 and thinner.sum() > 0.5 * ink.sum():
            ink = thinner
    return np.clip(ink, 0.0, 1.0)


def paste(sheet: np.ndarray, ink: np.ndarray, top: int, left: int) -> None:
    """Overlay ink on the sheet (darkest wins, as with real pens), clipped at the edges."""
    bottom, right = (
        min(sheet.shape[0], top + ink.shape[0]),
        min(sheet.shape[1], left + ink.shape[1]),
    )
    top_c, left_c = max(0, top), max(0, left)
    if bottom <= top_c or right <= left_c:
        return
    part = ink[top_c - top : bottom - top, left_c - left : right - left]
    np.maximum(sheet[top_c:bottom, left_c:right], part, out=sheet[top_c:bottom, left_c:right])


def free_layout(rng: Rng, inks: list[np.ndarray], size: int) -> np.ndarray:
    """Digits side by side: wide gaps to ~35 % overlap, a sloping baseline, a little bounce."""
    gaps = []
    for ink in inks:
        kind = rng.random()
        if kind < 0.3:
            gaps.append(-rng.uniform(0.05, 0.35) * ink.shape[1])
        elif kind < 0.5:
            gaps.append(rng.uniform(-0.05, 0.05) * size)
        else:
            gaps.append(rng.uniform(0.05, 0.8) * size)
    width = int(sum(i.shape[1] for i in inks) + sum(max(g, 0) for g in gaps) + 2 * size)
    slope = rng.uniform(-0.07, 0.07)
    height = int(2.5 * size + abs(slope) * width)
    sheet = np.zeros((height, width), np.float32)
    x = size * 0.5
    base = height / 2 + (-slope * width / 2)
    for index, ink in enumerate(inks):
        x += gaps[index] if index else 0
        centre = base + slope * x + rng.uniform(-0.06, 0.06) * size
        paste(sheet, ink, int(centre - ink.shape[0] / 2), int(x))
        x += ink.shape[1]
    return sheet


def cells_layout(rng: Rng, inks: list[np.ndarray], size: int, boxed: bool) -> np.ndarray:
    """One digit per cell of a comb (baseline + ticks) or a row of closed boxes."""
    cell_w = int(size * rng.uniform(0.9, 1.6))
    cell_h = int(size * rng.uniform(1.05, 1.5))
    margin = size
    count = len(inks) + int(rng.integers(0, 3))
    sheet = np.zeros((cell_h + 2 * margin, count * cell_w + 2 * margin), np.float32)
    for index, ink in enumerate(inks):
        top = margin + (cell_h - ink.shape[0]) // 2 + int(rng.uniform(-0.15, 0.2) * cell_h)
        left = margin + index * cell_w + (cell_w - ink.shape[1]) // 2
        paste(sheet, ink, top, left + int(rng.uniform(-0.2, 0.2) * cell_w))
    rules = np.zeros_like(sheet)
    thick = int(rng.integers(1, 4))
    level = rng.uniform(0.35, 1.0)
    bottom = margin + cell_h
    rules[bottom : bottom + thick, margin : margin + count * cell_w + thick] = level
    tick_top = margin if boxed else bottom - int(cell_h * rng.uniform(0.2, 0.6))
    if boxed:
        rules[margin : margin + thick, margin : margin + count * cell_w + thick] = level
    for cell in range(count + 1):
        x = margin + cell * cell_w
        rules[tick_top:bottom, x : x + thick] = level
    return np.maximum(sheet, rules)


def ruling(rng: Rng, sheet: np.ndarray, size: int, squared: bool, underline: bool) -> np.ndarray:
    """Printed lines across the sheet: a rule under the number, ruled or squared paper."""
    rules = np.zeros_like(sheet)
    thick = int(rng.integers(1, 3 if not underline else 4))
    level = rng.uniform(0.3, 1.0)
    rows = np.flatnonzero(sheet.max(axis=1) > 0.2)
    if underline:  # a form's guide line: solid, dotted or dashed
        y = min(sheet.shape[0] - thick, rows[-1] + int(rng.uniform(-0.1, 0.25) * size))
        for start, stop in guide_pieces(rng, sheet.shape[1], thick, size):
            rules[y : y + thick, round(start) : max(round(stop), round(start) + thick)] = level
        return np.maximum(sheet, rules)
    spacing = int(size * rng.uniform(0.6, 1.4))
    for y in range(int(rng.integers(0, spacing)), sheet.shape[0], spacing):
        rules[y : y + thick, :] = level
    if squared:
        for x in range(int(rng.integers(0, spacing)), sheet.shape[1], spacing):
            rules[:, x : x + thick] = level
    return np.maximum(sheet, rules)


def photographed(rng: Rng, sheet: np.ndarray, size: int) -> tuple[np.ndarray, str]:
    """Ink → a grayscale page as scanned or photographed (float 0..255, dark ink), and which
    degradation it went through."""
    if rng.random() < 0.5:
        sheet = ndimage.gaussian_filter(sheet, rng.uniform(0.3, 0.05 * size + 0.3))
    paper = rng.uniform(170, 255)
    darkness = rng.uniform(0.45, 1.0) * paper
    gray = paper - darkness * np.clip(sheet, 0, 1)
    if rng.random() < 0.4:  # uneven light across the page
        ramp = np.linspace(0, rng.uniform(-0.3, 0.3), gray.shape[1])[np.newaxis, :]
        gray = gray * (1 + ramp)
    gray = gray + rng.normal(0, rng.uniform(0, 10), gray.shape)
    gray = np.clip(gray, 0, 255)
    kind, degradation = rng.random(), "clean"
    if kind < 0.15:  # low source resolution: digits 8–16 px tall, then upscaled
        shrink = min(1.0, rng.uniform(8, 16) / size)
        small = (max(1, round(gray.shape[1] * shrink)), max(1, round(gray.shape[0] * shrink)))
        image = Image.fromarray(gray.astype(np.uint8)).resize(small, Image.BOX)
        method = [Image.NEAREST, Image.BILINEAR, Image.BICUBIC][int(rng.integers(0, 3))]
        gray = np.asarray(image.resize((gray.shape[1], gray.shape[0]), method), np.float32)
        degradation = "low_resolution"
    elif kind < 0.32:
        gray, degradation = one_bit_scan(rng, gray, size), "bilevel"
    elif kind < 0.47:
        gray, degradation = jpeg(rng, gray, 30, 90), "jpeg"
    elif kind < 0.57:
        gray, degradation = snapshot(rng, gray), "photo"
    return gray.astype(np.float32), degradation


def jpeg(rng: Rng, gray: np.ndarray, low: int, high: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(gray.astype(np.uint8)).save(
        buffer, "JPEG", quality=int(rng.integers(low, high))
    )
    return np.asarray(Image.open(buffer), np.float32)


def one_bit_scan(rng: Rng, gray: np.ndarray, size: int) -> np.ndarray:
    """A fax or office 1-bit scan: often at a resolution where digits are 10–30 px tall, then
    a threshold or an error-diffusion dither (with the scanner's white point set first). Some
    are faxes in standard mode: half the rows, squared again as decoding does."""
    if rng.random() < 0.7:
        shrink = min(1.0, rng.uniform(10, 30) / size)
        small = (max(1, round(gray.shape[1] * shrink)), max(1, round(gray.shape[0] * shrink)))
        gray = np.asarray(Image.fromarray(gray.astype(np.uint8)).resize(small, Image.BOX), float)
    standard = rng.random() < FAX_STANDARD_CHANCE
    if standard:
        gray = fax_standard(gray)
    if rng.random() < 0.4:
        white = max(float(np.percentile(gray, 90)), 1.0)
        image = Image.fromarray(np.clip(gray * 250 / white, 0, 255).astype(np.uint8))
        binary = np.asarray(image.convert("1").convert("L"), np.float32)
    else:
        low, high = float(gray.min()), float(gray.max())
        level = low + rng.uniform(0.35, 0.65) * (high - low)
        binary = np.where(gray < level, 0.0, 255.0).astype(np.float32)
    return squared(binary, FAX_STANDARD[0] / FAX_STANDARD[1]) if standard else binary


def snapshot(rng: Rng, gray: np.ndarray) -> np.ndarray:
    """A phone photo of the page: a soft cast shadow at any angle, sometimes the dark table
    showing along an edge, a little defocus and heavy JPEG."""
    height, width = gray.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    side = (xs / width - rng.uniform(0.1, 0.9)) * np.cos(angle)
    side += (ys / height - rng.uniform(0.1, 0.9)) * np.sin(angle)
    shadow = 1 / (1 + np.exp(-side / rng.uniform(0.02, 0.15)))
    gray = gray * (1 - rng.uniform(0.2, 0.6) * shadow)
    if rng.random() < 0.4:  # the table beyond the sheet's edge
        edge = max(1, round(rng.uniform(0.02, 0.12) * min(height, width)))
        strip = [np.s_[:edge], np.s_[-edge:], np.s_[:, :edge], np.s_[:, -edge:]]
        gray[strip[int(rng.integers(0, 4))]] = rng.uniform(20, 110)
    gray = ndimage.gaussian_filter(gray, rng.uniform(0.3, 1.2))
    return jpeg(rng, gray, 12, 41)


def render_line(
    rng: Rng, images: np.ndarray, labels: np.ndarray, count: int | None = None
) -> tuple[np.ndarray, str, str]:
    """A random line of `count` (default: 1–12) digits drawn from (images, labels): (grayscale
    page, its text, its condition: layout/degradation)."""
    if count is None:
        count = int(rng.choice(12, p=LENGTH_WEIGHTS / LENGTH_WEIGHTS.sum())) + 1
    picks = rng.integers(0, len(labels), size=count)
    size = int(rng.uniform(16, 56))
    layout = LAYOUTS[int(rng.choice(len(LAYOUTS), p=LAYOUT_WEIGHTS))]
    jitter = 0.08 if layout in ("comb", "boxes") else 0.15
    inks = [
        digit_ink(rng, images[i], max(6, round(size * rng.uniform(1 - jitter, 1 + jitter))))
        for i in picks
    ]
    if layout in ("comb", "boxes"):
        sheet = cells_layout(rng, inks, size, boxed=layout == "boxes")
    else:
        sheet = free_layout(rng, inks, size)
        if layout != "free":
            sheet = ruling(
                rng, sheet, size, squared=layout == "squared", underline=layout == "underline"
            )
    text = "".join(str(int(labels[i])) for i in picks)
    gray, degradation = photographed(rng, sheet, size)
    # A blocky enlargement is re-drawn smooth as an upload's decoding does (digits_core.blocky).
    lossy = degradation in ("jpeg", "photo")
    return deblocked(gray, lossy=lossy), text, f"{layout}/{degradation}"


def make_lines(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int
) -> tuple[list[np.ndarray], list[str], list[str]]:
    """`count` reader inputs (uint8 line pixels), their texts and conditions; a page whose
    analysis finds no ink is drawn again."""
    rng = np.random.default_rng(seed)
    pixels, texts, conditions = [], [], []
    while len(texts) < count:
        gray, text, condition = render_line(rng, images, labels)
        line: Line | None = line_view(gray)
        if line is None:
            continue
        pixels.append((line.pixels * 255).astype(np.uint8))
        texts.append(text)
        conditions.append(condition)
    return pixels, texts, conditions
