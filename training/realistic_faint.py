"""Faint writing (issue 13): a hard pencil, a pen running dry, a faded or pale copy. The ink
darkens the paper by only 12–40 %, around the share under which a page's whole ink may be
blank paper's residue (`digits_core.ink.MIN_CONTRAST`). Each image draws its layout (plain,
ruled or squared paper), size, pen weight, ink (pencil graphite with its grain, or any pen
colour), paper grain, lighting and file format.
"""

import numpy as np

from training import paperwork as pw
from training import realistic_scenes as sc
from training.realistic_forms import blank, ink_of, layer

Rng = np.random.Generator
CONTRAST = (0.12, 0.40)  # how much darker than the paper the strokes' cores are
GRAPHITE = np.array([95, 95, 100], dtype=np.float32)
PENCIL_CHANCE = 0.5
PENCIL_GRAIN = 0.45  # graphite leaves up to this share of a stroke's pixels lighter


def faint_sheet(rng: Rng, ink: np.ndarray, tall: float) -> np.ndarray:
    """The ink coverage (tight crop) written faintly on plain, ruled or squared paper."""
    h, w = ink.shape
    pad_y, pad_x = int(h * rng.uniform(0.4, 1.0)) + 4, int(h * rng.uniform(0.4, 1.2)) + 4
    sheet = blank(rng, h + 2 * pad_y, w + 2 * pad_x, noise=8.0)
    layout = rng.random()
    if layout < 0.2:
        pw.notebook(sheet, rng, tall * rng.uniform(0.45, 1.1))
    elif layout < 0.3:
        spacing = tall * rng.uniform(0.3, 0.8)
        offset = (rng.uniform(0, spacing), rng.uniform(0, spacing))
        pw.grid(sheet, spacing, offset, rng.uniform(1, 2), pw.rule_colour(rng))
    pencil = rng.random() < PENCIL_CHANCE
    colour = GRAPHITE + rng.uniform(-15, 25) if pencil else sc.ink_colour(rng)
    if pencil:
        ink = ink * (1.0 - PENCIL_GRAIN * rng.random(ink.shape)).astype(np.float32)
    # Coverage that darkens the paper by the drawn contrast, for this ink on this paper.
    paper = float(np.median(sheet[pad_y, :, :].mean(axis=-1)))
    darkest = max(0.05, 1.0 - float(colour.mean()) / max(paper, 1.0))
    strength = min(1.0, rng.uniform(*CONTRAST) / darkest)
    sc.place(sheet, layer(sheet.shape[:2], ink * strength, pad_y, pad_x), colour, 0, 0)
    return sheet


def faint_bytes(rng: Rng, sheet: np.ndarray) -> bytes:
    """A scan (PNG or JPEG) or, one time in five, a phone photo of the sheet."""
    return pw.phone_photo(sheet, rng) if rng.random() < 0.2 else pw.scan_bytes(rng, sheet)


def faint_digit(rng: Rng, digit: np.ndarray) -> bytes:
    """One digit 30–160 px tall, written faintly."""
    tall = int(rng.integers(30, 161))
    ink = ink_of(rng, digit, tall, stroke=rng.uniform(-0.3, 0.6))
    return faint_bytes(rng, faint_sheet(rng, ink, tall))
