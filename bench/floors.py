"""In-process measurements without HTTP: onnxruntime alone, the full pipeline, preprocessing stages.

Both-core floors run one process per core (spawned, one onnxruntime intra-op thread each, like
the service's workers) over the same time window and add their throughputs.
"""

import io
import multiprocessing
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from digits_core.contract import READER_MODEL
from digits_core.model import DigitModel, ReaderModel
from digits_core.single import (
    decode_digit_image,
    pooled,
    reader_opinions,
    view_digit,
    view_image,
)

_STATE: dict[str, object] = {}


@dataclass(frozen=True)
class Rate:
    """Images per second over a run, and the per-image time of one process."""

    images_per_s: float
    us_per_image: float


def reader_beside(model_path: Path) -> ReaderModel:
    """The number reader served with the classifier (the one next to it), one thread."""
    reader = ReaderModel.load(Path(model_path).with_name(READER_MODEL), intra_op_threads=1)
    reader.warm_up()
    return reader


def served(model: DigitModel, reader: ReaderModel, images: list[bytes]) -> np.ndarray:
    """What `/v1/predict` computes for these image files, in process: decode, both models'
    inputs, one classifier call, one reader call, the pooled probabilities."""
    views = [view_image(data) for data in images]
    probabilities, _ = model.predict_scores(np.stack([view.array for view in views]))
    return pooled(
        probabilities, reader_opinions(views, reader.scores, reader.single_digit_temperature)
    )


def _init(model_path: str, images: dict[str, list[bytes]], tensors: np.ndarray) -> None:
    """Per-process state: the models (1 intra-op thread each), the inputs."""
    model = DigitModel.load(Path(model_path), intra_op_threads=1)
    model.warm_up()
    _STATE.update(model=model, reader=reader_beside(Path(model_path)), images=images)
    _STATE.update(tensors=tensors)


def _step(kind: str, batch: int, position: int) -> int:
    """One unit of work: `batch` images of `kind` through the served pipeline (or raw tensors
    through the classifier alone)."""
    model: DigitModel = _STATE["model"]  # type: ignore[assignment]
    if kind == "tensor":
        tensors: np.ndarray = _STATE["tensors"]  # type: ignore[assignment]
        model.predict_batch(tensors[:batch])
        return batch
    pool: list[bytes] = _STATE["images"][kind]  # type: ignore[index]
    chosen = [pool[(position + i) % len(pool)] for i in range(batch)]
    served(model, _STATE["reader"], chosen)  # type: ignore[arg-type]
    return batch


def _timed(kind: str, batch: int, start_at: float, duration: float) -> tuple[int, float]:
    """Wait for the shared start time, then work whole steps until `duration` has passed."""
    time.sleep(max(0.0, start_at - time.time()))
    started = time.perf_counter()
    done = 0
    while True:
        done += _step(kind, batch, done)
        elapsed = time.perf_counter() - started
        if elapsed >= duration:
            return done, elapsed


class Floors:
    """A pool of `processes` spawned workers holding the model and the inputs."""

    def __init__(
        self, model_path: Path, images: dict[str, list[bytes]], tensors: np.ndarray, processes: int
    ) -> None:
        self.processes = processes
        self.pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(str(model_path), images, tensors),
        )

    def __enter__(self) -> "Floors":
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(cancel_futures=True)

    def rate(self, kind: str, batch: int, duration: float, rounds: int) -> Rate:
        """Median over `rounds` of the summed throughput of all processes working at once."""
        totals: list[float] = []
        per_image: list[float] = []
        for _ in range(rounds):
            start_at = time.time() + 0.3
            futures = [
                self.pool.submit(_timed, kind, batch, start_at, duration)
                for _ in range(self.processes)
            ]
            runs = [future.result() for future in futures]
            totals.append(sum(done / elapsed for done, elapsed in runs))
            per_image.extend(elapsed / done for done, elapsed in runs)
        return Rate(statistics.median(totals), statistics.median(per_image) * 1e6)


def single_image_us(
    model: DigitModel, reader: ReaderModel, images: list[bytes], duration: float, rounds: int
) -> float:
    """Median per-image µs of the served pipeline at batch 1 in this process, one core."""

    def one(position: int) -> None:
        served(model, reader, [images[position % len(images)]])

    return _median_us(one, duration, rounds)


def stage_costs(images: list[bytes], duration: float, rounds: int) -> tuple[float, float]:
    """Median µs per image of decode (the first decode of `view_image`) and of normalise (both
    models' inputs from one analysis of the ink, with any full-size decode a look needs),
    measured separately, one core."""
    first = [decode_digit_image(data) for data in images]
    decode_us = _median_us(lambda i: decode_digit_image(images[i % len(images)]), duration, rounds)
    normalise_us = _median_us(lambda i: view_digit(*first[i % len(first)]), duration, rounds)
    return decode_us, normalise_us


def file_size(data: bytes) -> tuple[int, int]:
    """(height, width) of the encoded image, from its header."""
    with Image.open(io.BytesIO(data)) as image:
        return image.height, image.width


def decoded_shape(data: bytes) -> tuple[int, ...]:
    """Shape of `view_image`'s first decode (smaller than the file = reduced-size decode)."""
    return tuple(decode_digit_image(data)[0].shape)


def _median_us(work: Callable[[int], object], duration: float, rounds: int) -> float:
    """Median over rounds of µs per call; each round runs whole calls for about `duration` s."""
    work(0)
    results: list[float] = []
    for _ in range(rounds):
        count = 0
        started = time.perf_counter()
        while True:
            work(count)
            count += 1
            elapsed = time.perf_counter() - started
            if elapsed >= duration:
                break
        results.append(elapsed / count * 1e6)
    return statistics.median(results)
