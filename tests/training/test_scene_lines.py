"""Reader lines drawn by the realistic scenes: deterministic, labelled right, every scene, every
view `/v1/read` reads, and mixed into the training lines at the share asked for."""

from pathlib import Path

import numpy as np
import pytest

from digits_core.contract import FRAME_STEP, LINE_HEIGHT
from tests.utils.lines import drawn_alike_twice
from training import scene_lines as module
from training.reader_train import jobs_of
from training.realistic_numbers import crooked_number
from training.scene_lines import scene_lines, scenes


def test_scene_lines_are_deterministic(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = mnist_train
    assert drawn_alike_twice(scene_lines, images[:500], labels[:500], 4)


def test_every_scene_is_drawn_and_fits_the_reader(
    mnist_train: tuple[np.ndarray, np.ndarray],
) -> None:
    images, labels = mnist_train
    pixels, texts, conditions = scene_lines(images[:2000], labels[:2000], 80, seed=3)
    assert set(conditions) == set(scenes())
    for line, text, condition in zip(pixels, texts, conditions, strict=True):
        assert line.dtype == np.uint8 and line.shape[0] == LINE_HEIGHT
        assert line.shape[1] % FRAME_STEP == 0
        low, high = scenes()[condition][1]
        assert low <= len(text) <= high


def test_texts_are_the_digits_drawn(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = mnist_train
    sevens = images[labels == 7][:50]
    _, texts, _ = scene_lines(sevens, np.full(len(sevens), 7), 12, seed=1)
    assert all(set(text) == {"7"} for text in texts)


def test_a_turned_page_gives_both_views_with_one_text(
    mnist_train: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short numbers on pages turned 5–35°: `/v1/read` reads them as written and turned too.
    monkeypatch.setattr(module, "scenes", lambda: {"numbers_crooked": (crooked_number, (2, 3))})
    images, labels = mnist_train
    pixels, texts, _ = scene_lines(images[:500], labels[:500], 8, seed=2)
    pairs = [
        i
        for i in range(len(texts) - 1)
        if texts[i] == texts[i + 1] and pixels[i].shape != pixels[i + 1].shape
    ]
    assert len(pairs) >= 2


def test_the_scene_share_splits_the_lines_and_zero_keeps_the_old_jobs() -> None:
    jobs = jobs_of("train", 1000, 0.4, 7000, 4, Path("data"))
    assert sum(job[1] for job in jobs if job[4]) == 400
    assert sum(job[1] for job in jobs if not job[4]) == 600
    assert len({job[2] for job in jobs}) == len(jobs)  # no two jobs draw the same lines
    plain = jobs_of("train", 1000, 0.0, 7000, 4, Path("data"))
    assert plain == [("train", 250, 7000 + i, Path("data"), False) for i in range(4)]
