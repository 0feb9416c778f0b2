"""The study's report and plots render measured rows faithfully (no TensorFlow needed)."""

from pathlib import Path

import numpy as np
import pytest

from training import figures
from training.evaluate import Evaluation
from training.report import Row, render


@pytest.fixture
def rows() -> list[Row]:
    curve = [0.97, 0.98, 0.985]
    return [
        Row("svm", "PCA → RBF SVM", 500_000, [0.981], [120.0], 0.3),
        Row("mlp", "MLP", 623_290, [0.979], [30.0], 0.01, curves=[curve]),
        Row(
            "seed_cnn",
            "paper CNN",
            59_933,
            [0.9910, 0.9920, 0.9930],
            [60.0, 61.0, 62.0],
            0.02,
            curves=[curve, curve, curve],
            onnx_latency_ms=0.05,
        ),
        Row(
            "digits",
            "default",
            114_218,
            [0.9965],
            [900.0],
            0.05,
            curves=[curve],
            onnx_latency_ms=0.1,
        ),
    ]


@pytest.fixture
def evaluation() -> Evaluation:
    labels = np.repeat(np.arange(10), 10)
    predictions = labels.copy()
    predictions[:3] = 6  # three 0s read as 6
    return Evaluation(labels=labels, predictions=predictions)


def test_report_tables_and_reproduction_note(
    rows: list[Row], evaluation: Evaluation, tmp_path: Path
) -> None:
    depth = [
        Row(f"cnn_depth{d}", f"{d}", 1000 * d, [0.98 + d / 1000], [1.0], 0.01, [[0.9]])
        for d in range(1, 5)
    ]
    plots = {
        key: tmp_path / "figures" / f"{key}.png"
        for key in ("accuracy", "time", "depth", "epoch", "confusion")
    }
    text = render(rows, depth, evaluation, plots, tmp_path)
    assert "| seed_cnn | paper CNN | 59,933 | 99.20 ± 0.10 % (3 seeds) | 0.80 % |" in text
    assert "| digits | default | 114,218 | 99.65 % | 0.35 % |" in text
    assert "mean 0.800 % ± 0.100 %" in text and "matches or beats" in text
    assert "| 4 | 4,000 | 98.40 % | 1.60 % |" in text
    assert "0→6 (3)" in text and "3 of 100" in text
    assert "![confusion matrix](figures/confusion.png)" in text


def test_worse_reproduction_is_reported_as_worse(
    rows: list[Row], evaluation: Evaluation, tmp_path: Path
) -> None:
    rows[2].accuracies = [0.9880, 0.9890, 0.9900]
    plots = {
        key: tmp_path / f"{key}.png" for key in ("accuracy", "time", "depth", "epoch", "confusion")
    }
    text = render(rows, rows[1:], evaluation, plots, tmp_path)
    assert "mean 1.100 % ± 0.100 %" in text
    assert "is 0.270 % (absolute) worse than" in text


def test_reproduction_within_the_spread_says_so(
    rows: list[Row], evaluation: Evaluation, tmp_path: Path
) -> None:
    rows[2].accuracies = [0.9910, 0.9915, 0.9920]  # mean error 0.85 %, std 0.05 %
    plots = {
        key: tmp_path / f"{key}.png" for key in ("accuracy", "time", "depth", "epoch", "confusion")
    }
    text = render(rows, rows[1:], evaluation, plots, tmp_path)
    assert "within one standard deviation (0.020 % absolute) of" in text


def test_figures_are_written_as_png(
    rows: list[Row], evaluation: Evaluation, tmp_path: Path
) -> None:
    written = [
        figures.accuracy_per_model(rows, tmp_path / "a.png"),
        figures.time_per_model(rows, tmp_path / "t.png"),
        figures.accuracy_vs_depth(rows[1:], tmp_path / "d.png"),
        figures.accuracy_vs_epoch(rows[1:], tmp_path / "e.png"),
        figures.confusion_matrix(evaluation.confusion, tmp_path / "c.png"),
    ]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
