"""The realistic set through the serving path: single digits as `/v1/predict` answers them
(the classifier pooled with the reader's opinion), numbers as `/v1/read` reads them, and the
segmenter that served `/v1/read` before the reader, scored beside it."""

from dataclasses import dataclass, field

import numpy as np

from digits_core.contract import NOT_DIGIT_LEVEL
from digits_core.decoding import decode_image
from digits_core.errors import DigitsError
from digits_core.model import DigitModel, ReaderModel
from digits_core.numbers import read_lines
from digits_core.second_opinion import Classify
from digits_core.single import DigitView, pooled, reader_opinions, view_digit, view_image
from training.realistic_set import Sample
from training.segmenter import read_numbers

# A sample the service refuses (a 4xx) is scored as blank paper: it has no digit.
REFUSED = np.full((8, 8), 255.0, np.float32)


@dataclass(frozen=True)
class Prepared:
    """Model inputs of the single-digit samples (model independent, so computed once)."""

    samples: list[Sample]
    views: list[DigitView]
    inputs: np.ndarray
    has_digit: np.ndarray


@dataclass(frozen=True)
class Scored:
    """One model's predictions on the prepared samples."""

    name: str
    digits: np.ndarray
    confidence: np.ndarray
    correct: np.ndarray
    number_correct: np.ndarray
    number_confident: np.ndarray  # the number's confidence (the reader's, tempered)
    # The reader's own "uncertain" flag, whatever the threshold (e.g. nothing found).
    number_uncertain: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    # Numbers are flagged at the number reader's threshold (its card), not the classifier's.
    number_threshold: float = 0.0
    # Today's segmenter with this classifier, scored beside the reader (exact match).
    segmenter_correct: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    number_texts: list[str] = field(default_factory=list)  # what the reader (or segmenter) read

    def number_confidence(self) -> np.ndarray:
        """The confidence the threshold is applied to: 0 where the reader itself is unsure."""
        uncertain = self.number_uncertain
        if uncertain.size != self.number_confident.size:
            uncertain = np.zeros(self.number_confident.size, bool)
        return np.where(uncertain, 0.0, self.number_confident)


def prepare(samples: list[Sample]) -> Prepared:
    views = [viewed(sample) for sample in samples]
    inputs = np.stack([view.array for view in views])
    return Prepared(samples, views, inputs, np.array([view.has_digit for view in views]))


def segmenter_texts(model: DigitModel, numbers: list[Sample]) -> list[str]:
    """The segmenter that served `/v1/read` before the reader, with this classifier."""
    read = read_numbers(decoded(numbers), model.predict_scores)
    return ["".join(str(d.digit) for d in found) for found in read]


def viewed(sample: Sample) -> DigitView:
    """A single-digit sample as `/v1/predict` sees it; one the service refuses as blank paper."""
    try:
        return view_image(sample.data)
    except DigitsError:
        return view_digit(REFUSED)


def decoded(samples: list[Sample]) -> list[np.ndarray]:
    grays = []
    for sample in samples:
        try:
            grays.append(decode_image(sample.data))
        except DigitsError:
            grays.append(REFUSED)
    return grays


def read_texts(
    model: DigitModel, reader: ReaderModel, numbers: list[Sample]
) -> list[tuple[str, float, bool]]:
    """THE number-reading call of the evaluation, as `/v1/read` reads: (text, calibrated
    confidence, nothing read) per sample, all lines in batches through the reader, the digits
    that stand apart re-read by the classifier."""
    grays = decoded(numbers)
    found = []
    for start in range(0, len(grays), 64):
        found += read_lines(
            grays[start : start + 64], reader.scores, reader.temperature, model.predict_batch
        )
    calibrated = reader.confidence_map
    return [(r.text, calibrated(r.confidence), not r.digits) for r in found]


def no_digit_read_flagged(
    model: DigitModel, reader: ReaderModel, samples: list[Sample]
) -> dict[str, float]:
    """Per condition of `samples` (images with no digit): the share `/v1/read` flags, by the
    reader's threshold or by reading no digit at all."""
    read = read_texts(model, reader, samples)
    flagged = np.array([empty or sure < reader.threshold for _, sure, empty in read])
    names = np.array([sample.condition for sample in samples])
    return {str(name): float(flagged[names == name].mean()) for name in dict.fromkeys(names)}


def score_singles(
    model: DigitModel, prepared: Prepared, reader: ReaderModel | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(digit, confidence, correct) of every single-digit sample as `/v1/predict` answers:
    the classifier pooled with the reader's opinion (with `reader`), confidence 0 where the
    service flags the image whatever the threshold."""
    probabilities, not_digit = model.predict_scores(prepared.inputs)
    if reader is not None:
        opinions = reader_opinions(prepared.views, reader.scores, reader.single_digit_temperature)
        probabilities = pooled(probabilities, opinions)
    digits = probabilities.argmax(axis=1)
    # No ink, or what the model takes for no digit, is never sure.
    readable = prepared.has_digit & (not_digit < NOT_DIGIT_LEVEL)
    confidence = probabilities.max(axis=1) * readable
    labels = [s.label for s in prepared.samples]
    correct = np.array([str(d) == label for d, label in zip(digits, labels, strict=True)])
    return digits, confidence, correct


def score(
    model: DigitModel, prepared: Prepared, numbers: list[Sample], reader: ReaderModel | None
) -> Scored:
    """Single-digit predictions (pooled with the reader's opinion, with `reader`); numbers
    read by the reader (with `reader`) or else by the segmenter with this model, which is
    scored either way."""
    digits, confidence, correct = score_singles(model, prepared, reader)
    labels = [s.label for s in numbers]
    by_segmenter = segmenter_texts(model, numbers)
    segmented = np.array([t == label for t, label in zip(by_segmenter, labels, strict=True)])
    if reader is None:
        texts = [(t, 1.0, False) for t in by_segmenter]
    else:
        texts = read_texts(model, reader, numbers)
    number_correct = np.array([t == label for (t, _, _), label in zip(texts, labels, strict=True)])
    return Scored(
        model.name,
        digits,
        confidence,
        correct,
        number_correct,
        np.array([c for _, c, _ in texts], dtype=np.float64),
        number_uncertain=np.array([u for _, _, u in texts], dtype=bool),
        number_threshold=reader.threshold if reader is not None else 1.0,
        segmenter_correct=segmented,
        number_texts=[t for t, _, _ in texts],
    )


def read_alone(images: np.ndarray, sources: list[tuple[int, ...]], classify: Classify) -> list[str]:
    """Each sample's answer as `classify` reads its pool digits (`Sample.sources`) one by one
    from their clean images (uint8 0..255): what a wrong answer is compared with, since a few
    MNIST digits look like another even alone. A sample without sources reads as ""."""
    used = np.unique(np.concatenate([np.array(s, dtype=int) for s in [(), *sources]]))
    read = np.zeros(len(images), dtype=int)
    for start in range(0, len(used), 512):  # bounded activations
        chosen = used[start : start + 512]
        batch = images[chosen].astype(np.float32)[..., np.newaxis] / 255.0
        read[chosen] = classify(batch).argmax(axis=1)
    return ["".join(str(read[i]) for i in s) for s in sources]
