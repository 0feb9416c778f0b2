"""Shared checks of the reader's training-line makers (`training.lines`, `training.scene_lines`)."""

from collections.abc import Callable

import numpy as np

LineMaker = Callable[
    [np.ndarray, np.ndarray, int, int], tuple[list[np.ndarray], list[str], list[str]]
]


def drawn_alike_twice(make: LineMaker, images: np.ndarray, labels: np.ndarray, count: int) -> bool:
    """Whether two draws with one seed give the same pixels, texts and conditions."""
    first, again = make(images, labels, count, 7), make(images, labels, count, 7)
    same_pixels = all(np.array_equal(a, b) for a, b in zip(first[0], again[0], strict=True))
    return same_pixels and first[1] == again[1] and first[2] == again[2]
