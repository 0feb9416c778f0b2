"""THE number reading (`digits_core.numbers`): a short number on a turned page is also read
turned along its ink, in the same reader and classifier calls, and kept only when surer."""

import math

import numpy as np
import pytest

from digits_core import numbers
from digits_core.contract import shipped_model
from digits_core.decoding import decode_image
from digits_core.model import DigitModel, ReaderModel
from digits_core.numbers import chosen, read_lines
from digits_core.reading import Box, ReadDigit, Reading
from tests.utils.paperwork import touching, turned


@pytest.fixture(scope="module")
def models() -> tuple[ReaderModel, DigitModel]:
    return ReaderModel.load(shipped_model("reader.onnx")), DigitModel.load(
        shipped_model("digits.onnx")
    )


def short_numbers(mnist_test: tuple[np.ndarray, np.ndarray]) -> list[tuple[list, str]]:
    """Twelve numbers of 2–3 MNIST test digits: (digit images, expected text)."""
    images, labels = mnist_test
    rng = np.random.default_rng(3)
    cases = []
    for _ in range(12):
        picks = rng.choice(len(labels), size=int(rng.integers(2, 4)), replace=False)
        cases.append(([images[i] for i in picks], "".join(str(labels[i]) for i in picks)))
    return cases


def reading(confidence: float, digit: int = 7, digits: int = 2) -> Reading:
    box = Box(0, 0, 1, 1)
    return Reading([ReadDigit(digit, confidence, box) for _ in range(digits)], confidence)


def test_the_turned_reading_is_kept_only_when_much_surer_and_stays_flagged() -> None:
    found = reading(0.9, digit=1)
    kept = chosen(found, reading(0.995))  # odds of error 0.1 vs 0.005
    assert kept.text == "77"
    assert kept.confidence == pytest.approx(0.995 / (0.995 + 0.9))  # its share of the two
    assert chosen(found, reading(0.95)) is found  # 0.1 vs 0.05: not SURER times
    assert chosen(found, reading(1.0, digits=0)) is found  # no turned line, nothing read
    assert chosen(found, reading(1.0, digit=1)) is found  # the same text: nothing to choose


@pytest.mark.parametrize("angle", [30.0, -30.0])
def test_short_numbers_on_a_turned_page_are_read(
    mnist_test: tuple[np.ndarray, np.ndarray],
    models: tuple[ReaderModel, DigitModel],
    monkeypatch: pytest.MonkeyPatch,
    angle: float,
) -> None:
    """Two or three touching digits are too short a line to be found askew and levelled
    (`digits_core.tilt.line_angle`); read as written, most are misread."""
    reader, model = models
    cases = short_numbers(mnist_test)
    grays = [decode_image(turned(touching(images, 0.1), angle)) for images, _ in cases]

    def right() -> int:
        found = read_lines(grays, reader.scores, reader.temperature, model.predict_batch)
        return sum(r.text == text for r, (_, text) in zip(found, cases, strict=True))

    read = right()
    monkeypatch.setattr(numbers, "SURER", math.inf)  # never the turned reading
    as_written = right()
    assert read >= 9, (read, as_written)
    assert as_written <= read - 3, (read, as_written)  # the turned reading is what reads them


def test_turned_lines_go_through_the_same_two_model_calls(
    mnist_test: tuple[np.ndarray, np.ndarray], models: tuple[ReaderModel, DigitModel]
) -> None:
    reader, model = models
    cases = short_numbers(mnist_test)[:4]
    grays = [decode_image(turned(touching(images, 0.1), 30.0)) for images, _ in cases]
    grays.append(np.full((60, 90), 255.0, np.float32))  # blank paper: no line at all
    calls: list[tuple[str, int]] = []

    def score(batch: np.ndarray) -> np.ndarray:
        calls.append(("reader", len(batch)))
        return reader.scores(batch)

    def classify(crops: np.ndarray) -> np.ndarray:
        calls.append(("classifier", len(crops)))
        return model.predict_batch(crops)

    found = read_lines(grays, score, reader.temperature, classify)
    assert [name for name, _ in calls] == ["reader", "classifier"]
    # Four lines as found, each also moved half a frame: 8; the turned views come on top.
    assert calls[0][1] > 8
    assert len(found) == 5 and found[-1].digits == [] and found[-1].confidence == 0.0
