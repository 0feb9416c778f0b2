"""Square pixels for files that declare they are not: a fax's standard mode scans 204 × 98
dots per inch, so its pixels are twice as tall as wide, and a viewer stretches the page back.
Read as stored, every digit is squashed to half its height (the classifier and the reader
learned upright proportions). The file says so in its density fields (TIFF X/YResolution,
PNG pHYs, JPEG JFIF density), which Pillow puts in `info`.
"""

import numpy as np
from PIL import ExifTags, Image

# Densities this close are square (rounded tags); further apart than MOST_UNEQUAL is no
# scanner's mode but a broken tag, and is ignored too.
LEAST_UNEQUAL = 1.05
MOST_UNEQUAL = 4.0
# Stretching the coarse axis is best for thin strokes; past this many pixels the fine axis is
# shrunk instead (the analysis works on a reduced copy of a large page anyway).
STRETCH_BUDGET = 4_000_000
TRANSPOSING = {5, 6, 7, 8}  # EXIF orientations that swap the stored axes


def pixel_aspect(image: Image.Image) -> float:
    """A pixel's height over its width as the file declares it (x density / y density), in
    the upright image's axes; 1.0 when it declares nothing usable."""
    for key in ("dpi", "resolution", "aspect", "jfif_density"):
        density = image.info.get(key)
        if density is None:
            continue
        try:
            across, down = (float(value) for value in density)
        except (TypeError, ValueError):
            return 1.0
        if across <= 0 or down <= 0 or not np.isfinite(across / down):
            return 1.0
        aspect = across / down
        if image.getexif().get(ExifTags.Base.Orientation, 1) in TRANSPOSING:
            aspect = 1.0 / aspect
        unequal = max(aspect, 1.0 / aspect)
        return aspect if LEAST_UNEQUAL <= unequal <= MOST_UNEQUAL else 1.0
    return 1.0


def squared(gray: np.ndarray, aspect: float) -> np.ndarray:
    """A grayscale page resampled to square pixels, given its pixels' height over width."""
    if aspect == 1.0:
        return gray
    height, width = gray.shape
    stretch_rows, stretch_cols = (aspect, 1.0) if aspect > 1.0 else (1.0, 1.0 / aspect)
    if height * width * max(aspect, 1.0 / aspect) > STRETCH_BUDGET:
        shrink = 1.0 / max(stretch_rows, stretch_cols)
        stretch_rows, stretch_cols = stretch_rows * shrink, stretch_cols * shrink
    size = (max(1, round(width * stretch_cols)), max(1, round(height * stretch_rows)))
    resized = Image.fromarray(gray, mode="F").resize(size, Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float32)
