"""Evaluate an ONNX model with onnxruntime on the MNIST test set."""

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits_core.contract import INPUT_NAME, OUTPUT_NAME, session
from training.data import Split
from training.runtime import predict_onnx


@dataclass(frozen=True)
class Evaluation:
    """Test-set results of one model: predictions and the confusion matrix [true, predicted]."""

    labels: np.ndarray
    predictions: np.ndarray

    @property
    def accuracy(self) -> float:
        return float((self.predictions == self.labels).mean())

    @property
    def error(self) -> float:
        return 1.0 - self.accuracy

    @property
    def errors(self) -> int:
        return int((self.predictions != self.labels).sum())

    @property
    def confusion(self) -> np.ndarray:
        matrix = np.zeros((10, 10), dtype=np.int64)
        np.add.at(matrix, (self.labels, self.predictions), 1)
        return matrix

    def per_digit(self) -> list[tuple[int, int, int, float]]:
        """(digit, count, correct, accuracy) for each true digit 0..9."""
        rows = []
        for digit in range(10):
            mask = self.labels == digit
            correct = int((self.predictions[mask] == digit).sum())
            count = int(mask.sum())
            rows.append((digit, count, correct, correct / count if count else float("nan")))
        return rows


def evaluate_onnx(path: Path, test: Split) -> Evaluation:
    """Run `path` with onnxruntime on every image of `test`."""
    probabilities = predict_onnx(Path(path), test.inputs())
    return Evaluation(labels=test.labels.astype(np.int64), predictions=probabilities.argmax(axis=1))


def latency_ms(path: Path, runs: int = 500) -> float:
    """Median batch-1 latency in ms with onnxruntime on one thread (after a warm-up)."""
    sess = session(Path(path), threads=1)
    image = np.zeros((1, 28, 28, 1), dtype=np.float32)
    for _ in range(20):
        sess.run([OUTPUT_NAME], {INPUT_NAME: image})
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run([OUTPUT_NAME], {INPUT_NAME: image})
        timings.append(time.perf_counter() - start)
    return float(np.median(timings) * 1000)
