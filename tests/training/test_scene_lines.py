"""Reader lines drawn by the realistic scenes: deterministic, labelled right, every scene, every
view `/v1/read` reads, and mixed into the training lines at the share asked for."""

from pathlib import Path

import numpy as np
import pytest
import typer

from digits_core.contract import FRAME_STEP, LINE_HEIGHT
from tests.utils.lines import drawn_alike_twice
from training import scene_lines as module
from training.reader_train import Job, jobs_of, parsed_weights
from training.realistic_numbers import crooked_number
from training.scene_lines import scene_lines, scene_odds, scenes


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
    assert plain == [Job("train", 250, 7000 + i, Path("data"), False) for i in range(4)]


def test_scene_weights_set_how_often_each_scene_is_drawn(
    mnist_train: tuple[np.ndarray, np.ndarray],
) -> None:
    images, labels = mnist_train
    weights = {name: 0.0 for name in scenes()} | {"numbers_faint": 3.0, "numbers_spaced": 1.0}
    _, _, conditions = scene_lines(images[:500], labels[:500], 24, seed=4, weights=weights)
    assert set(conditions) == {"numbers_faint", "numbers_spaced"}
    assert conditions.count("numbers_faint") > conditions.count("numbers_spaced")
    assert scene_odds({"numbers_faint": 2.0})["numbers_faint"] == 2 / (len(scenes()) + 1)
    with pytest.raises(ValueError, match="no such scene"):
        scene_odds({"numbers_feint": 2.0})


def test_the_weights_reach_the_scene_jobs_and_bad_options_are_refused() -> None:
    weights = parsed_weights(["numbers_faint=6"])
    jobs = jobs_of("train", 1000, 0.4, 7000, 2, Path("data"), weights)
    assert all(job.scene_weights == (("numbers_faint", 6.0),) for job in jobs if job.scenes)
    for option in ("numbers_faint", "numbers_feint=2", "numbers_faint=-1"):
        with pytest.raises(typer.BadParameter):
            parsed_weights([option])
