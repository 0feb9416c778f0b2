"""Matplotlib plots of the study; each function writes one PNG and returns its path."""

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np

from training.report import Row


def save(figure: plt.Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def accuracy_per_model(rows: Sequence[Row], path: Path) -> Path:
    """Test accuracy per model (mean ± std over seeds), zoomed to where the models differ."""
    figure, axis = plt.subplots(figsize=(7, 4))
    names = [row.name for row in rows]
    means = [row.accuracy * 100 for row in rows]
    stds = [row.accuracy_std * 100 for row in rows]
    bars = axis.bar(names, means, yerr=stds, capsize=4, color="#4c72b0")
    axis.bar_label(bars, labels=[f"{m:.2f} %" for m in means], padding=3)
    axis.set_ylim(min(means) - 1.0, 100.0)
    axis.set_ylabel("MNIST test accuracy (%)")
    axis.set_title("Accuracy per model")
    return save(figure, path)


def time_per_model(rows: Sequence[Row], path: Path) -> Path:
    """Training time and inference time per image, log scale (they span orders of magnitude)."""
    figure, (train_axis, infer_axis) = plt.subplots(1, 2, figsize=(10, 4))
    names = [row.name for row in rows]
    train_axis.bar(names, [np.mean(row.train_seconds) for row in rows], color="#dd8452")
    train_axis.set_yscale("log")
    train_axis.set_ylabel("training time (s)")
    train_axis.set_title("Training time")
    infer_axis.bar(names, [row.inference_ms for row in rows], color="#55a868")
    infer_axis.set_yscale("log")
    infer_axis.set_ylabel("ms per image (batched)")
    infer_axis.set_title("Inference time per image")
    return save(figure, path)


def accuracy_vs_depth(rows: Sequence[Row], path: Path) -> Path:
    """Final test accuracy against the number of hidden conv layers."""
    figure, axis = plt.subplots(figsize=(6, 4))
    depths = list(range(1, len(rows) + 1))
    axis.plot(depths, [row.accuracy * 100 for row in rows], marker="o")
    for depth, row in zip(depths, rows, strict=True):
        axis.annotate(
            f"{row.parameters / 1000:.0f}k params",
            (depth, row.accuracy * 100),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
        )
    axis.set_xticks(depths)
    axis.set_xlabel("hidden conv layers")
    axis.set_ylabel("MNIST test accuracy (%)")
    axis.set_title("CNN accuracy vs depth (10 epochs)")
    return save(figure, path)


def accuracy_vs_epoch(rows: Sequence[Row], path: Path) -> Path:
    """Validation accuracy after every epoch (mean over seeds) for each neural model."""
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for row in rows:
        curve = np.mean(np.array(row.curves), axis=0) * 100
        axis.plot(range(1, len(curve) + 1), curve, marker=".", label=row.name)
    axis.set_ylim(97.0, 100.0)
    axis.set_xlabel("epoch")
    axis.set_ylabel("validation accuracy (%), last 5,000 training images")
    axis.set_title("Accuracy vs epochs")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    return save(figure, path)


def confusion_matrix(matrix: np.ndarray, path: Path) -> Path:
    """Confusion counts of the shipped default model; the diagonal is masked so errors show."""
    figure, axis = plt.subplots(figsize=(6, 5))
    errors = matrix.astype(float).copy()
    np.fill_diagonal(errors, np.nan)
    image = axis.imshow(errors, cmap="Reds")
    for true in range(10):
        for predicted in range(10):
            count = matrix[true, predicted]
            if count:
                axis.text(
                    predicted,
                    true,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="#555" if true == predicted else "black",
                )
    axis.set_xticks(range(10))
    axis.set_yticks(range(10))
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title("digits.onnx confusion matrix (MNIST test)")
    figure.colorbar(image, ax=axis, label="errors")
    return save(figure, path)
