"""`python -m training evaluate` on the shipped models agrees with onnxruntime run directly."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

ROOT = Path(__file__).resolve().parents[2]


def direct_accuracy(model: Path, mnist_test: tuple[np.ndarray, np.ndarray]) -> float:
    """Accuracy computed here, independently of the training package."""
    images, labels = mnist_test
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    inputs = (images.astype(np.float32) / 255.0)[..., None]
    (probabilities,) = session.run(["probabilities"], {"image": inputs})
    return float((probabilities.argmax(axis=1) == labels).mean())


@pytest.mark.parametrize("name", ["digits", "seed_cnn"])
def test_evaluate_prints_the_accuracy_onnxruntime_measures(
    name: str, mnist_test: tuple[np.ndarray, np.ndarray]
) -> None:
    model = ROOT / "models" / f"{name}.onnx"
    done = subprocess.run(
        [sys.executable, "-m", "training", "evaluate", str(model)],
        cwd=ROOT,  # `python -m training` runs from the checkout (it is not in the wheel)
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert done.returncode == 0, done.stderr
    match = re.search(r"accuracy (\d+\.\d+)%\s+error (\d+\.\d+)%", done.stdout)
    assert match, done.stdout
    printed = float(match.group(1)) / 100
    expected = direct_accuracy(model, mnist_test)
    assert printed == pytest.approx(expected, abs=5e-7)
    assert float(match.group(2)) / 100 == pytest.approx(1 - expected, abs=5e-5)
    assert expected >= 0.99
    rows = re.findall(r"│\s+(\d)\s+│\s+([\d,]+)\s+│\s+([\d,]+)\s+│", done.stdout)
    assert [int(r[0]) for r in rows] == list(range(10))
    assert sum(int(r[1].replace(",", "")) for r in rows) == 10_000
    correct = sum(int(r[2].replace(",", "")) for r in rows)
    assert correct == round(expected * 10_000)


def test_card_accuracy_is_what_the_shipped_file_measures(
    mnist_test: tuple[np.ndarray, np.ndarray],
) -> None:
    for name in ("digits", "seed_cnn"):
        model = ROOT / "models" / f"{name}.onnx"
        card = json.loads(model.with_suffix(".json").read_text())
        assert card["test_accuracy"] == pytest.approx(direct_accuracy(model, mnist_test), abs=1e-6)
