"""Single digits on paperwork: form boxes, comb cells, ruled and squared paper, 1-bit scans,
low-resolution sources and phone photos (issue 13). Each is a family: layout, scale, colours,
line weights and file format are drawn at random per image, from a numpy Generator.
"""

import numpy as np
from scipy import ndimage

from training import paperwork as pw
from training import realistic_scenes as sc

Rng = np.random.Generator


def crop(alpha: np.ndarray) -> np.ndarray:
    """Ink coverage cropped to its inked rows and columns."""
    rows = np.flatnonzero(alpha.max(axis=1) > 0.05)
    cols = np.flatnonzero(alpha.max(axis=0) > 0.05)
    if rows.size == 0 or cols.size == 0:
        return alpha
    return alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def ink_of(rng: Rng, digit: np.ndarray, tall: int, stroke: float | None = None) -> np.ndarray:
    """The digit's ink cropped, about `tall` px tall, with a random pen weight."""
    weight = rng.uniform(-0.2, 0.8) if stroke is None else stroke
    return crop(sc.digit_alpha(digit, tall, stroke=weight))


def layer(shape: tuple[int, int], alpha: np.ndarray, top: float, left: float) -> np.ndarray:
    """`alpha` placed at (top, left) on an empty coverage layer of `shape` (clipped)."""
    out = np.zeros(shape, np.float32)
    top, left = round(top), round(left)
    y0, x0 = max(0, top), max(0, left)
    y1 = min(shape[0], top + alpha.shape[0])
    x1 = min(shape[1], left + alpha.shape[1])
    if y0 < y1 and x0 < x1:
        out[y0:y1, x0:x1] = alpha[y0 - top : y1 - top, x0 - left : x1 - left]
    return out


def blank(rng: Rng, tall: int, wide: int, noise: float = 3.0) -> np.ndarray:
    return sc.paper(tall, wide, rng, noise=rng.uniform(0, noise), light=rng.uniform(0, 0.25))


def in_box(rng: Rng, digit: np.ndarray) -> bytes:
    """A closed printed box, 1–3 px lines, or (a third) lines as thick as the pen, as a small
    scan of a form prints them: the digit well inside, near, touching or crossing."""
    ink = ink_of(rng, digit, int(rng.integers(30, 131)))
    h, w = ink.shape
    inner_h = h * rng.uniform(0.85, 1.6)
    inner_w = max(w, 0.55 * h) * rng.uniform(0.95, 1.9)
    line = h * rng.uniform(0.06, 0.14) if rng.random() < 1 / 3 else rng.uniform(1, 3)
    pad = int(max(inner_h, inner_w) * rng.uniform(0.2, 0.7)) + 4
    sheet = blank(rng, int(inner_h) + 2 * pad, int(inner_w) + 2 * pad)
    pw.box(sheet, pad, pad, inner_h, inner_w, line, pw.form_colour(rng))
    # Centred in the box, then pushed by up to a quarter box: some strokes cross the lines.
    top = pad + (inner_h - h) / 2 + rng.uniform(-0.25, 0.25) * inner_h
    left = pad + (inner_w - w) / 2 + rng.uniform(-0.25, 0.25) * inner_w
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, top, left), rng)
    return pw.scan_bytes(rng, sheet)


def tinted_box(rng: Rng, digit: np.ndarray) -> bytes:
    """A white entry box on a form shaded in a tint (grey, pink, green, blue or buff, pale to
    strong): the digit inside, near or over the box's edge."""
    ink = ink_of(rng, digit, int(rng.integers(30, 131)))
    h, w = ink.shape
    inner_h, inner_w = h * rng.uniform(1.0, 1.6), max(w, 0.55 * h) * rng.uniform(1.1, 1.9)
    pad = int(max(inner_h, inner_w) * rng.uniform(0.2, 0.7)) + 4
    sheet = blank(rng, int(inner_h) + 2 * pad, int(inner_w) + 2 * pad)
    pw.tinted(sheet, [(pad, pad, inner_h, inner_w)], rng)
    top = pad + (inner_h - h) / 2 + rng.uniform(-0.2, 0.2) * inner_h
    left = pad + (inner_w - w) / 2 + rng.uniform(-0.2, 0.2) * inner_w
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, top, left), rng)
    return pw.scan_bytes(rng, sheet)


def comb_cell(rng: Rng, digit: np.ndarray) -> bytes:
    """One cell of an open comb: a baseline and two ticks, the digit sitting on (or through)
    the baseline, sometimes over a tick."""
    ink = ink_of(rng, digit, int(rng.integers(30, 131)))
    h, w = ink.shape
    cell = max(w, 0.6 * h) * rng.uniform(1.0, 1.8)
    pad = int(h * rng.uniform(0.4, 0.9)) + 4
    sheet = blank(rng, h + 2 * pad, int(cell) + 2 * pad)
    base = pad + h + rng.uniform(-0.12, 0.15) * h
    tick = h * rng.uniform(0.25, 0.9)
    pw.comb(sheet, base, [pad, pad + cell], tick, rng.uniform(1, 3), pw.form_colour(rng))
    left = pad + (cell - w) / 2 + rng.uniform(-0.3, 0.3) * cell
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, pad, left), rng)
    return pw.scan_bytes(rng, sheet)


def ruled(rng: Rng, digit: np.ndarray) -> bytes:
    """Notebook paper: rulings every 0.45–1.1 digit heights cross the strokes; a red margin
    line on some pages."""
    ink = ink_of(rng, digit, int(rng.integers(30, 131)))
    h, w = ink.shape
    pad = int(h * rng.uniform(0.5, 1.2)) + 4
    sheet = blank(rng, h + 2 * pad, w + 2 * pad)
    pw.notebook(sheet, rng, h * rng.uniform(0.45, 1.1))
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, pad, pad), rng)
    return pw.scan_bytes(rng, sheet)


def squared(rng: Rng, digit: np.ndarray) -> bytes:
    """Squared (grid) paper, squares 0.3–0.8 digit heights, fine or bold lines."""
    ink = ink_of(rng, digit, int(rng.integers(30, 131)))
    h, w = ink.shape
    pad = int(h * rng.uniform(0.5, 1.2)) + 4
    sheet = blank(rng, h + 2 * pad, w + 2 * pad)
    spacing = h * rng.uniform(0.3, 0.8)
    offset = (rng.uniform(0, spacing), rng.uniform(0, spacing))
    pw.grid(sheet, spacing, offset, rng.uniform(1, 2.2), pw.rule_colour(rng))
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, pad, pad), rng)
    return pw.scan_bytes(rng, sheet)


def small_scan(rng: Rng, digit: np.ndarray) -> np.ndarray:
    """A digit 10–30 px tall on paper, as a 200–300 dpi scan sees it before binarising."""
    ink = ink_of(rng, digit, int(rng.integers(10, 31)), stroke=rng.uniform(-0.1, 0.6))
    h, w = ink.shape
    pad_y, pad_x = int(h * rng.uniform(0.3, 1.5)) + 2, int(h * rng.uniform(0.3, 1.5)) + 2
    sheet = blank(rng, h + 2 * pad_y, w + 2 * pad_x, noise=8.0)
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, pad_y, pad_x), rng)
    return ndimage.gaussian_filter(sheet, (rng.uniform(0, 0.7),) * 2 + (0,))


def bilevel_png(rng: Rng, digit: np.ndarray) -> bytes:
    return pw.bilevel_bytes(rng, small_scan(rng, digit), "png")


def bilevel_g4(rng: Rng, digit: np.ndarray) -> bytes:
    return pw.bilevel_bytes(rng, small_scan(rng, digit), "g4")


def low_resolution(rng: Rng, digit: np.ndarray) -> bytes:
    """Rendered 8–16 px tall (a thumbnail, a far-away camera), then upscaled 2–8×."""
    tall = int(rng.integers(8, 17))
    ink = crop(sc.digit_alpha(digit, tall, stroke=rng.uniform(0, 0.8), crisp=False))
    h, w = ink.shape
    pad_y, pad_x = int(h * rng.uniform(0.3, 1.0)) + 1, int(h * rng.uniform(0.3, 1.0)) + 1
    sheet = blank(rng, h + 2 * pad_y, w + 2 * pad_x)
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, pad_y, pad_x), rng)
    big = pw.upscale(sheet, rng)
    return sc.jpeg(big, int(rng.integers(70, 96))) if rng.random() < 0.3 else sc.rgb_png(big)


def phone_photo(rng: Rng, digit: np.ndarray) -> bytes:
    """A phone photo of a digit on paper: cast shadow, mild perspective, JPEG 12–40."""
    ink = ink_of(rng, digit, int(rng.integers(50, 161)))
    h, w = ink.shape
    pad = int(h * rng.uniform(0.5, 1.0)) + 4
    sheet = blank(rng, h + 2 * pad, w + 2 * pad, noise=6.0)
    sheet = pw.composite(sheet, layer(sheet.shape[:2], ink, pad, pad), rng)
    return pw.phone_photo(sheet, rng)


def blank_form(rng: Rng) -> bytes:
    """A form nobody wrote on: an empty box or comb cell, a ruled or squared page (no digit;
    once the rules are removed nothing is left to read)."""
    scene = (in_box, comb_cell, ruled, squared)[int(rng.integers(4))]
    return scene(rng, np.zeros((28, 28), np.uint8))


FORMS = {
    "box": in_box,
    "comb_cell": comb_cell,
    "ruled": ruled,
    "squared": squared,
    "bilevel_png": bilevel_png,
    "bilevel_g4": bilevel_g4,
    "low_resolution": low_resolution,
    "phone_photo": phone_photo,
    # Added later: last, so the seeds (by position) of the conditions above stay the same.
    "tinted_box": tinted_box,
}
FORM_DESCRIPTIONS = {
    "box": "closed printed box, 1–3 px or (a third) as thick as the pen, black/blue/red "
    "dropout/grey; digit inside, touching or crossing",
    "comb_cell": "open comb cell (baseline + ticks), digit on or through the baseline",
    "ruled": "ruled paper, lines every 0.45–1.1 digit heights through the strokes, some margins",
    "squared": "squared paper, squares 0.3–0.8 digit heights",
    "bilevel_png": "1-bit PNG scan, digit 10–30 px, threshold or dither",
    "bilevel_g4": "1-bit G4 TIFF scan, digit 10–30 px, threshold or dither, 40 % standard fax mode",
    "low_resolution": "rendered 8–16 px tall, upscaled 2–8× (nearest/bilinear/bicubic)",
    "phone_photo": "phone photo: cast shadow, mild perspective, JPEG 12–40",
    "tinted_box": "white entry box on a form shaded grey/pink/green/blue/buff (luma ~120–225), "
    "some outlined; digit inside or over the edge",
}
