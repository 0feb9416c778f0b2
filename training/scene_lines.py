"""Reader training lines drawn by the realistic set's number scenes, from any digit split.

`training.lines` composes lines on grayscale pages; the realistic set's scenes
(`training.realistic_numbers`, `training.realistic_set.number_image`) draw whole files: colour
ink, tinted forms, comb fields and box rows on forms fed askew, pages turned 5–35°, 1-bit
scans and faxes. Drawn here from MNIST **training** digits (the report's test digits and the
calibration draw's validation digits are never drawn), each file goes through what an upload
goes through (`decode_image`, then `reading.line_views`), and every view `/v1/read` reads is a
line: the line as written and, where `digits_core.numbers` also reads it turned, the turned one.
"""

from collections.abc import Mapping

import numpy as np

from digits_core.decoding import decode_image
from digits_core.reading import line_views
from training.realistic_numbers import NUMBERS, NumberScene
from training.realistic_set import number_image

SPACED_LENGTHS = (2, 8)  # digits per number of the spaced scene, as the realistic set draws it


def scenes() -> dict[str, tuple[NumberScene, tuple[int, int]]]:
    """Every number scene of the realistic set with its digit counts (low, high inclusive)."""
    drawn = {name: (scene, lengths) for name, (scene, lengths, _) in NUMBERS.items()}
    return {"numbers_spaced": (number_image, SPACED_LENGTHS), **drawn}


def scene_odds(weights: Mapping[str, float]) -> dict[str, float]:
    """Each scene's chance of being drawn: its weight (1 unless named) over the weights' sum."""
    unknown = set(weights) - set(scenes())
    if unknown:
        raise ValueError(f"no such scene: {', '.join(sorted(unknown))}")
    weight = {name: float(weights.get(name, 1.0)) for name in scenes()}
    total = sum(weight.values())
    if min(weight.values()) < 0 or total <= 0:
        raise ValueError("scene weights are 0 or more, and not all 0")
    return {name: value / total for name, value in weight.items()}


def scene_lines(
    images: np.ndarray,
    labels: np.ndarray,
    count: int,
    seed: int,
    weights: Mapping[str, float] | None = None,
) -> tuple[list[np.ndarray], list[str], list[str]]:
    """At least `count` reader inputs (uint8 line pixels), their texts and their scenes; the
    scenes taken at random, as often as their `weights` say (all alike unless given), a page
    whose analysis finds no ink drawn again."""
    rng = np.random.default_rng(seed)
    drawn = scenes()
    odds = scene_odds(weights or {})
    names = list(odds)
    chances = np.array(list(odds.values()))
    pixels: list[np.ndarray] = []
    texts: list[str] = []
    conditions: list[str] = []
    while len(texts) < count:
        name = names[int(rng.choice(len(names), p=chances))]
        scene, (low, high) = drawn[name]
        picks = rng.choice(len(labels), size=int(rng.integers(low, high + 1)), replace=False)
        text = "".join(str(int(labels[i])) for i in picks)
        views = line_views(decode_image(scene(rng, [images[i] for i in picks])))
        for view in views:
            if view is not None:
                pixels.append((view.pixels * 255).astype(np.uint8))
                texts.append(text)
                conditions.append(name)
    return pixels, texts, conditions
