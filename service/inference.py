"""The data plane every route uses: items in → predictions out.

Items are decoded and normalised in a per-worker thread pool (Pillow and numpy release the
GIL), then the whole batch goes through ONE `DigitModel.predict_scores` call, off the event
loop. An item that cannot be read becomes a `DigitsError` in its slot; the others still run.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from digits_core.errors import DigitsError
from digits_core.imaging import image_to_digit, pixels_to_input
from service import metrics
from service.model import NOT_DIGIT_LEVEL, DigitModel
from service.transport import Item

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A model-ready 28×28 float32 input; `no_digit` when there is no ink to read."""

    array: np.ndarray
    no_digit: bool


@dataclass(frozen=True, slots=True)
class Prediction:
    """One image's result; `probabilities` is the model's float32 softmax row."""

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


def prepare_item(item: Item, *, max_pixels: int) -> Prepared:
    """Decode and normalise one item (raises DigitsError when it cannot be read)."""
    if item.kind == "pixels":
        array = pixels_to_input(item.payload)
        return Prepared(array=array, no_digit=not bool(array.any()))
    # Blank paper, specks only or a solid blob: nothing to read, whatever the model would say.
    array, has_digit = image_to_digit(item.image_bytes(), max_pixels=max_pixels)
    return Prepared(array=array, no_digit=not has_digit)


def prepare_many(items: Sequence[Item], *, max_pixels: int) -> list[Prepared | DigitsError]:
    """Prepare items one by one, keeping each item's error in its slot."""
    results: list[Prepared | DigitsError] = []
    for item in items:
        try:
            results.append(prepare_item(item, max_pixels=max_pixels))
        except DigitsError as exc:
            results.append(exc)
    return results


class Engine:
    """One worker's inference engine: the model, a decode thread pool and the threshold."""

    def __init__(
        self, model: DigitModel, *, threshold: float, max_pixels: int, threads: int
    ) -> None:
        self.model = model
        self.threshold = threshold
        self.max_pixels = max_pixels
        self.threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="digits-prep")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking function in this engine's pool, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def classify(self, inputs: np.ndarray, no_digit: np.ndarray | None = None) -> list[Prediction]:
        """[N, 28, 28] model inputs → predictions, in ONE onnxruntime call (blocking)."""
        started = time.perf_counter()
        probabilities, not_digit = self.model.predict_scores(inputs)
        metrics.observe_inference(time.perf_counter() - started, len(probabilities))
        digits = probabilities.argmax(axis=1)
        confidences = probabilities[np.arange(len(digits)), digits]
        empty = np.zeros(len(digits), dtype=bool) if no_digit is None else no_digit
        # No ink means nothing to read, whatever the softmax says about an all-black input;
        # neither does ink the model takes for no digit (a scribble, two digits in one image).
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

    def _classify_prepared(self, prepared: list[Prepared | DigitsError]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {
            i: p for i, p in enumerate(prepared) if isinstance(p, DigitsError)
        }
        ready = [(i, p) for i, p in enumerate(prepared) if isinstance(p, Prepared)]
        if ready:
            inputs = np.stack([p.array for _, p in ready])
            flags = np.array([p.no_digit for _, p in ready])
            for (i, _), prediction in zip(ready, self.classify(inputs, flags), strict=True):
                outcomes[i] = prediction
        return [outcomes[i] for i in range(len(prepared))]

    def _predict_sync(self, items: Sequence[Item]) -> list[Outcome]:
        return self._classify_prepared(prepare_many(items, max_pixels=self.max_pixels))

    async def predict(self, items: Sequence[Item]) -> list[Outcome]:
        """Predict every item, in order; unreadable items become their DigitsError."""
        if len(items) <= 1:
            # One thread hop for the common single-image request.
            return await self.run(self._predict_sync, items)
        size = -(-len(items) // self.threads)
        prepare = partial(prepare_many, max_pixels=self.max_pixels)
        parts = await asyncio.gather(
            *(self.run(prepare, items[i : i + size]) for i in range(0, len(items), size))
        )
        return await self.run(self._classify_prepared, [p for part in parts for p in part])

    async def predict_batch(self, items: Sequence[Item]) -> list[Outcome]:
        """`predict`, counting each failed item's error code in the metrics."""
        outcomes = await self.predict(items)
        for outcome in outcomes:
            if isinstance(outcome, DigitsError):
                metrics.count_error(outcome.code)
        return outcomes

    async def predict_one(self, item: Item) -> Prediction:
        """Predict one item; its error, if any, is raised for the error handler."""
        (outcome,) = await self.predict([item])
        if isinstance(outcome, DigitsError):
            raise outcome
        return outcome
