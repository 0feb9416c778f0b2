"""One digit, two opinions: pooling, and both models' inputs from one image."""

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from digits_core.contract import READER_MODEL, shipped_model
from digits_core.decoding import decode_image
from digits_core.model import DigitModel, ReaderModel
from digits_core.single import (
    CHUNK,
    FIRST_SIDE,
    decode_digit_image,
    pooled,
    reader_opinions,
    view_digit,
    view_image,
    view_pixels,
)
from tests.utils.paperwork import boxed, photographed, png
from training.data import load_split


def test_agreement_sharpens_and_doubt_softens() -> None:
    classifier = np.array([[0.01] * 7 + [0.93, 0.0, 0.0]])
    agrees = np.full((1, 10), 1e-4)
    agrees[0, 7] = 0.9
    doubts = np.full((1, 10), 1e-4)
    doubts[0, 1] = 0.6
    doubts[0, 7] = 0.3
    sure, unsure = pooled(classifier, agrees), pooled(classifier, doubts)
    assert sure[0].argmax() == 7 and sure[0, 7] > classifier[0, 7]
    assert unsure[0, 7] < classifier[0, 7]
    np.testing.assert_allclose(sure.sum(axis=1), 1.0, rtol=1e-6)


def test_a_digit_either_model_rules_out_stays_out() -> None:
    classifier = np.array([[0.0] * 9 + [1.0]])
    reader = np.full((1, 10), 0.1)
    assert pooled(classifier, reader)[0].argmax() == 9


def test_no_reader_opinion_keeps_the_classifier() -> None:
    classifier = np.array([[0.05] * 8 + [0.5, 0.1]], dtype=np.float32)
    np.testing.assert_allclose(pooled(classifier, np.full((1, 10), np.nan)), classifier)


@pytest.fixture(scope="module")
def models() -> tuple[DigitModel, ReaderModel]:
    return DigitModel.load(shipped_model()), ReaderModel.load(shipped_model("reader.onnx"))


def test_boxed_digits_are_read_better_together(models) -> None:
    """Digits in printed boxes (MNIST test digits): the classifier alone misreads some box
    residue (36 of 40 right when this was written), the reader's opinion fixes them, and
    pooling never loses a digit both models had right."""
    classifier, reader = models
    test = load_split("test")
    images, labels = test.images[:40], test.labels[:40]
    views = [
        view_digit(decode_image(boxed(image, inset=(-2, 3, 8)[i % 3])))
        for i, image in enumerate(images)
    ]
    assert all(view.line is not None and view.has_digit for view in views)
    alone, _ = classifier.predict_scores(np.stack([v.array for v in views]))
    opinions = reader_opinions(views, reader.scores, reader.single_digit_temperature)
    together = pooled(alone, opinions)
    right_alone = alone.argmax(axis=1) == labels
    right_reader = opinions.argmax(axis=1) == labels
    right_together = together.argmax(axis=1) == labels
    assert right_reader.sum() >= 38
    assert right_together.sum() >= 38
    assert right_together.sum() >= right_alone.sum()
    assert not (right_alone & right_reader & ~right_together).any()


def test_pixels_and_blank_views() -> None:
    blank = view_digit(np.full((50, 80), 250.0))
    assert blank.line is None and not blank.has_digit and not blank.array.any()
    seven = load_split("test").images[0].astype(np.float32) / 255.0
    view = view_pixels(seven)
    assert view.line is not None and view.has_digit
    assert view.array is seven


def test_the_readers_opinion_comes_in_calls_of_at_most_chunk_lines(models) -> None:
    """A full batch does not hold every line's activations at once."""
    _, reader = models
    seven = load_split("test").images[0].astype(np.float32) / 255.0
    views = [view_pixels(seven)] * (2 * CHUNK + 3)
    calls: list[int] = []

    def counted(lines: np.ndarray) -> np.ndarray:
        calls.append(len(lines))
        return reader.scores(lines)

    opinions = reader_opinions(views, counted, reader.temperature)
    assert calls == [CHUNK, CHUNK, 3]
    assert (opinions.argmax(axis=1) == 7).all()


def test_a_single_digits_reader_temperature_falls_back_to_the_numbers(tmp_path: Path) -> None:
    shipped = shipped_model(READER_MODEL)
    card = json.loads(shipped.with_suffix(".json").read_text())
    assert ReaderModel.load(shipped).single_digit_temperature == card["single_digit_temperature"]
    del card["single_digit_temperature"]
    (tmp_path / "reader.json").write_text(json.dumps(card))
    (tmp_path / "reader.onnx").write_bytes(shipped.read_bytes())
    reader = ReaderModel.load(tmp_path / "reader.onnx")
    assert reader.single_digit_temperature == reader.temperature == card["temperature"]


def counted(full: Callable[[], np.ndarray] | None, calls: list[int]) -> Callable[[], np.ndarray]:
    """`full` (the full-size decode), counting its calls."""
    assert full is not None

    def decode() -> np.ndarray:
        calls.append(1)
        return full()

    return decode


def test_a_photo_of_a_large_digit_is_read_from_a_reduced_decode_only(models) -> None:
    model, _ = models
    test = load_split("test")
    for index in range(6):
        photo = photographed(test.images[index], (1000, 800), 360)
        gray, full = decode_digit_image(photo)
        assert FIRST_SIDE <= max(gray.shape) < 1000
        calls: list[int] = []
        reduced = view_digit(gray, counted(full, calls))
        assert calls == []  # the full-size decode never ran
        whole = view_digit(decode_image(photo))
        assert reduced.has_digit and whole.has_digit
        both = model.predict_batch(np.stack([reduced.array, whole.array])[..., np.newaxis])
        assert (both.argmax(axis=1) == test.labels[index]).all()
        np.testing.assert_array_equal(view_image(photo).array, reduced.array)


@pytest.mark.parametrize("digit_height", [60, 160])  # the full look; a second look at 640 px
def test_a_small_digit_in_a_large_photo_is_looked_at_full_size(models, digit_height: int) -> None:
    model, _ = models
    seven = load_split("test").images[0]
    photo = photographed(seven, (1600, 1200), digit_height)
    gray, full = decode_digit_image(photo)
    calls: list[int] = []
    view = view_digit(gray, counted(full, calls))
    assert calls == [1]
    assert view.has_digit
    assert model.predict_batch(view.array[np.newaxis, ..., np.newaxis]).argmax() == 7


def test_only_a_large_jpeg_is_decoded_at_reduced_size() -> None:
    seven = load_split("test").images[0]
    small_photo = photographed(seven, (600, 480), 240)
    page = png(np.pad(seven / 255.0, 500))
    for data in (small_photo, page):
        gray, full = decode_digit_image(data)
        assert full is None
        np.testing.assert_array_equal(gray, decode_image(data))
