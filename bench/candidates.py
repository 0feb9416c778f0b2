"""`python -m bench.candidates`: the ink-analysis primitives in scipy.ndimage, OpenCV,
digits_core.morphology (what serving uses: numpy alone) and plain numpy + Pillow, timed
on one core at the sizes the analysis runs at, with each library's size.

The analysis (digits_core.ink, digits_core.forms) spends its time in: connected components with
boxes, a grey closing (the paper estimate), a 3×3 mean and binary erosion/dilation (rules).
SciPy comes with the train extra and OpenCV is optional (`pip install opencv-python-headless`);
a missing library prints n/a.
"""

import importlib.metadata as metadata
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from digits_core import morphology

SIZES = ((160, 160), (256, 205), (1000, 800))


def best_us(fn: Callable[[], object], seconds: float = 0.3) -> float:
    """Best of repeated timings, in µs."""
    best, spent = float("inf"), 0.0
    while spent < seconds:
        started = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - started
        best, spent = min(best, elapsed), spent + elapsed
    return best * 1e6


def installed_mb(*names: str) -> float | None:
    """MB on disk of the named distributions (RECORD files), None if one is missing."""
    total = 0
    for name in names:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            return None
        for file in files:
            path = Path(str(file.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def sample(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """A float image with strokes and its ink mask."""
    rng = np.random.default_rng(0)
    gray = np.full((height, width), 230.0, np.float32) + rng.normal(0, 3, (height, width))
    for _ in range(12):
        y, x = rng.integers(0, height - 8), rng.integers(0, width - 40)
        gray[y : y + 4, x : x + 30] = 40.0
    return gray.astype(np.float32), gray < 128


def scipy_ops(gray: np.ndarray, mask: np.ndarray) -> dict[str, Callable[[], object]] | None:
    if importlib.util.find_spec("scipy") is None:
        return None
    from scipy import ndimage

    window = max(3, min(gray.shape) // 3)
    return {
        "label + boxes": lambda: ndimage.find_objects(ndimage.label(mask, np.ones((3, 3)))[0]),
        "grey closing": lambda: ndimage.grey_closing(gray, size=(window, window)),
        "3×3 mean": lambda: ndimage.uniform_filter(gray, size=3, mode="nearest"),
        "binary erosion 1×15": lambda: ndimage.binary_erosion(mask, np.ones((1, 15), bool)),
    }


def opencv_ops(gray: np.ndarray, mask: np.ndarray) -> dict[str, Callable[[], object]] | None:
    if importlib.util.find_spec("cv2") is None:
        return None
    import cv2

    window = max(3, min(gray.shape) // 3)
    closing = cv2.getStructuringElement(cv2.MORPH_RECT, (window, window))
    line = np.ones((1, 15), np.uint8)
    mask8 = mask.astype(np.uint8)
    return {
        "label + boxes": lambda: cv2.connectedComponentsWithStats(mask8, connectivity=8),
        "grey closing": lambda: cv2.morphologyEx(gray, cv2.MORPH_CLOSE, closing),
        "3×3 mean": lambda: cv2.blur(gray, (3, 3), borderType=cv2.BORDER_REPLICATE),
        "binary erosion 1×15": lambda: cv2.erode(mask8, line),
    }


def morphology_ops(gray: np.ndarray, mask: np.ndarray) -> dict[str, Callable[[], object]]:
    """digits_core.morphology; the 1×15 erosion is the min over a 1×15 window of the mask."""
    window = max(3, min(gray.shape) // 3)
    return {
        "label + boxes": lambda: morphology.boxes(*morphology.label(mask, eight=True)),
        "grey closing": lambda: morphology.grey_closing(gray, window),
        "3×3 mean": lambda: morphology.mean_3x3(gray),
        "binary erosion 1×15": lambda: morphology.extreme_1d(mask, 15, 1, np.minimum),
    }


def pillow_ops(gray: np.ndarray, mask: np.ndarray) -> dict[str, Callable[[], object]]:
    """numpy + Pillow only: no labelling primitive (a Python flood fill would be ms), so n/a."""
    image = Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))
    window = max(3, min(gray.shape) // 3) | 1
    return {
        "grey closing": lambda: image.filter(ImageFilter.MaxFilter(min(window, 9))).filter(
            ImageFilter.MinFilter(min(window, 9))
        ),
        "3×3 mean": lambda: image.filter(ImageFilter.BoxBlur(1)),
        "binary erosion 1×15": lambda: np.logical_and.reduce(
            [np.roll(mask, shift, axis=1) for shift in range(-7, 8)]
        ),
    }


def main() -> None:
    libraries = {
        "scipy.ndimage": (scipy_ops, installed_mb("scipy")),
        "OpenCV": (
            opencv_ops,
            installed_mb("opencv-python-headless") or installed_mb("opencv-python"),
        ),
        "morphology (numpy)": (morphology_ops, 0.0),
        "numpy + Pillow": (pillow_ops, 0.0),
    }
    print("| primitive | size | " + " | ".join(f"{name} µs" for name in libraries) + " |")
    print("|---|---|" + "---:|" * len(libraries))
    for height, width in SIZES:
        gray, mask = sample(height, width)
        ops = {name: make(gray, mask) for name, (make, _) in libraries.items()}
        for primitive in morphology_ops(gray, mask):
            cells = []
            for name in libraries:
                table = ops[name]
                fn = table.get(primitive) if table else None
                cells.append(f"{best_us(fn):.0f}" if fn else "n/a")
            print(f"| {primitive} | {height}×{width} | " + " | ".join(cells) + " |")
    sizes = []
    for name, (_, mb) in libraries.items():
        sizes.append(f"{name}: {'not installed' if mb is None else f'{mb:.0f} MB'}")
    print("\nInstalled size: " + "; ".join(sizes))


if __name__ == "__main__":
    main()
