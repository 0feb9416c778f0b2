"""THE data plane: predict, predict_batch, read, read_batch and infer_v2, for every route and
the CLI's local mode.

Items are decoded and normalised in a per-worker thread pool (Pillow and numpy release the
GIL), then the whole request goes through ONE model call, off the event loop. An item that
cannot be read becomes a `DigitsError` in its slot; the others still run. Results are plain
data; routes render them.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from digits_core.contract import NOT_DIGIT_LEVEL
from digits_core.decoding import decode_image
from digits_core.errors import DigitsError
from digits_core.imaging import pixels_to_input
from digits_core.inputs import RawImage
from digits_core.model import DigitModel, ReaderModel
from digits_core.numbers import read_lines
from digits_core.reading import Reading
from digits_core.single import DigitView, pooled, reader_opinions, view_image, view_pixels
from service import metrics
from service.settings import Settings
from service.v2_codec import DecodedRequest, decode_request, decompress

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Prediction:
    """One image's result; `probabilities` is the classifier's softmax pooled with the
    reader's opinion (`digits_core.single`), float32."""

    probabilities: np.ndarray
    digit: int
    confidence: np.float32
    uncertain: bool
    no_digit: bool

    def top_k(self, k: int) -> list[dict[str, Any]]:
        """The k most likely digits, most likely first."""
        order = np.argsort(-self.probabilities, kind="stable")[:k]
        return [{"digit": int(d), "probability": self.probabilities[d]} for d in order]

    def as_dict(self) -> dict[str, Any]:
        """The v1 fields; numpy values stay numpy so orjson serializes them without loops."""
        return {
            "digit": self.digit,
            "confidence": self.confidence,
            "uncertain": self.uncertain,
            "probabilities": self.probabilities,
        }


Outcome = Prediction | DigitsError
ReadResult = dict[str, Any]  # one read number: text, confidence, uncertain, digits with boxes


def prepare_item(item: RawImage, *, max_pixels: int) -> DigitView:
    """Decode one item and make both models' inputs (raises DigitsError when it cannot be
    read). Blank paper, specks only or a solid blob has no digit, whatever the models say."""
    if item.kind == "pixels":
        return view_pixels(pixels_to_input(item.payload))
    return view_image(item.image_bytes(), max_pixels=max_pixels)


def prepare_many(items: Sequence[RawImage], *, max_pixels: int) -> list[DigitView | DigitsError]:
    """Prepare items one by one, keeping each item's error in its slot."""
    results: list[DigitView | DigitsError] = []
    for item in items:
        try:
            results.append(prepare_item(item, max_pixels=max_pixels))
        except DigitsError as exc:
            results.append(exc)
    return results


def item_gray(item: RawImage, max_pixels: int) -> np.ndarray:
    """An item as grayscale 0..255; a `pixels` array is MNIST-style white ink on black."""
    if item.kind == "pixels":
        return pixels_to_input(item.payload) * 255.0
    return decode_image(item.image_bytes(), max_pixels=max_pixels)


def number(reading: Reading, reader: ReaderModel) -> ReadResult:
    """The plain result of one read number: its confidence calibrated (the reader's map); unsure
    when the string is below the reader's threshold, any digit below its digit threshold, or
    nothing was read."""
    confidence = reader.confidence_map(reading.confidence)
    digit_threshold = reader.digit_threshold
    shown = [
        {
            "digit": d.digit,
            "confidence": d.confidence,
            "uncertain": d.confidence < digit_threshold,
            "box": {"x": d.box.x, "y": d.box.y, "width": d.box.width, "height": d.box.height},
        }
        for d in reading.digits
    ]
    unsure = confidence < reader.threshold or any(d["uncertain"] for d in shown)
    return {
        "text": reading.text,
        "confidence": confidence,
        "uncertain": not shown or unsure,
        "digits": shown,
    }


class Engine:
    """One worker's inference engine: the digit classifier and its threshold, the number
    reader, and a decode thread pool."""

    def __init__(
        self,
        model: DigitModel,
        reader: ReaderModel,
        *,
        threshold: float,
        max_pixels: int,
        threads: int,
    ) -> None:
        self.model = model
        self.reader = reader
        self.threshold = threshold
        self.max_pixels = max_pixels
        self.threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="digits-prep")

    @classmethod
    def load(cls, settings: Settings) -> "Engine":
        """Load the model named in `settings` (raises ModelLoadError) with its threshold."""
        model = DigitModel.load(settings.model_path, intra_op_threads=settings.onnx_threads())
        reader = ReaderModel.load(settings.reader_path, intra_op_threads=settings.onnx_threads())
        threshold = settings.confidence_threshold
        return cls(
            model,
            reader,
            threshold=model.threshold if threshold is None else threshold,
            max_pixels=settings.max_image_pixels,
            threads=settings.decode_threads(),
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def model_ref(self) -> dict[str, str]:
        """The served model's name and version, as every response names it."""
        return {"name": self.model.name, "version": self.model.version}

    def reader_ref(self) -> dict[str, str]:
        """The number reader's name and version, as every read response names it."""
        return {"name": self.reader.name, "version": self.reader.version}

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking function in this engine's pool, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def scores(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """THE model call: inputs → (probabilities, P(not one digit)), timed (blocking)."""
        started = time.perf_counter()
        probabilities, not_digit = self.model.predict_scores(inputs)
        metrics.observe_inference(
            self.model.name, time.perf_counter() - started, len(probabilities)
        )
        return probabilities, not_digit

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """The classifier's softmax alone (a read number's second opinion; blocking)."""
        return self.scores(inputs)[0]

    def classify(self, views: Sequence[DigitView]) -> list[Prediction]:
        """Views → predictions: ONE classifier call, and reader calls of at most 64 lines
        (`digits_core.single.CHUNK`) for the reader's opinion (blocking)."""
        classified, not_digit = self.scores(np.stack([view.array for view in views]))
        opinions = reader_opinions(views, self.line_scores, self.reader.single_digit_temperature)
        probabilities = pooled(classified, opinions)
        digits = probabilities.argmax(axis=1)
        confidences = probabilities[np.arange(len(digits)), digits]
        empty = np.array([not view.has_digit for view in views])
        # No ink means nothing to read, whatever the softmax says about an all-black input;
        # neither does ink the classifier takes for no digit (a scribble, two digits).
        uncertain = (confidences < self.threshold) | empty | (not_digit >= NOT_DIGIT_LEVEL)
        metrics.count_predictions(digits)
        return [
            Prediction(
                probabilities=probabilities[i],
                digit=int(digits[i]),
                confidence=confidences[i],
                uncertain=bool(uncertain[i]),
                no_digit=bool(empty[i]),
            )
            for i in range(len(digits))
        ]

    def _classify_prepared(self, prepared: list[DigitView | DigitsError]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {
            i: p for i, p in enumerate(prepared) if isinstance(p, DigitsError)
        }
        ready = [(i, p) for i, p in enumerate(prepared) if isinstance(p, DigitView)]
        if ready:
            predictions = self.classify([view for _, view in ready])
            for (i, _), prediction in zip(ready, predictions, strict=True):
                outcomes[i] = prediction
        return [outcomes[i] for i in range(len(prepared))]

    def predict_items(self, items: Sequence[RawImage]) -> list[Outcome]:
        """Predict every item here, in order (blocking; the CLI's local mode calls it)."""
        return self._classify_prepared(prepare_many(items, max_pixels=self.max_pixels))

    def line_scores(self, lines: np.ndarray) -> np.ndarray:
        """THE reader call, timed (blocking): a read request sends all its lines at once, a
        predict request its lines in chunks (`digits_core.single.CHUNK`)."""
        started = time.perf_counter()
        scores = self.reader.scores(lines)
        metrics.observe_inference(self.reader.name, time.perf_counter() - started, len(lines))
        return scores

    def read_items(self, items: Sequence[RawImage]) -> list[ReadResult | DigitsError]:
        """Decode every item, read every item's line of digits in ONE reader call, then
        re-read the digits that stand apart in ONE classifier call (`digits_core.numbers`;
        blocking)."""
        grays: dict[int, np.ndarray] = {}
        outcomes: list[ReadResult | DigitsError] = []
        for index, item in enumerate(items):
            try:
                grays[index] = item_gray(item, self.max_pixels)
                outcomes.append({})
            except DigitsError as exc:
                outcomes.append(exc)
        readings = read_lines(
            list(grays.values()), self.line_scores, self.reader.temperature, self.probabilities
        )
        read = [d.digit for reading in readings for d in reading.digits]
        metrics.count_predictions(np.array(read, dtype=np.int64))
        for index, reading in zip(grays, readings, strict=True):
            outcomes[index] = number(reading, self.reader)
        return outcomes

    async def predict_batch(self, items: Sequence[RawImage]) -> list[Outcome]:
        """Predict every item, in order; unreadable items become their DigitsError."""
        if len(items) <= 1:
            # One thread hop for the common single-image request.
            return await self.run(self.predict_items, items)
        size = -(-len(items) // self.threads)
        prepare = partial(prepare_many, max_pixels=self.max_pixels)
        parts = await asyncio.gather(
            *(self.run(prepare, items[i : i + size]) for i in range(0, len(items), size))
        )
        return await self.run(self._classify_prepared, [p for part in parts for p in part])

    async def predict(self, item: RawImage) -> Prediction:
        """Predict one item; its error, if any, is raised for the error handler."""
        (outcome,) = await self.predict_batch([item])
        return raise_error(outcome)

    async def read_batch(self, items: Sequence[RawImage]) -> list[ReadResult | DigitsError]:
        """Read the number in every item, in order; unreadable items become their DigitsError."""
        return await self.run(self.read_items, items)

    async def read(self, item: RawImage) -> ReadResult:
        """Read the number in one item; its error, if any, is raised for the error handler."""
        (outcome,) = await self.read_batch([item])
        return raise_error(outcome)

    def infer_v2_items(
        self,
        body: bytes,
        header_length: str | None,
        encoding: str | None,
        max_bytes: int,
        max_batch: int,
    ) -> tuple[DecodedRequest, np.ndarray]:
        """A v2 body → its decoded request and probabilities, in ONE model call (blocking)."""
        body = decompress(body, encoding, max_bytes)
        decoded = decode_request(body, header_length, max_batch)
        probabilities, _ = self.scores(decoded.images)
        metrics.count_predictions(probabilities.argmax(axis=1))
        return decoded, probabilities

    async def infer_v2(
        self,
        body: bytes,
        header_length: str | None,
        encoding: str | None,
        max_bytes: int,
        max_batch: int,
    ) -> tuple[DecodedRequest, np.ndarray]:
        """v2 inference in the engine's pool (the same pool v1 decodes in)."""
        return await self.run(
            self.infer_v2_items, body, header_length, encoding, max_bytes, max_batch
        )


def raise_error(outcome: T | DigitsError) -> T:
    """The outcome, or its error raised."""
    if isinstance(outcome, DigitsError):
        raise outcome
    return outcome
