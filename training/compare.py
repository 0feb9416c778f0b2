"""The study (`python -m training compare`): SVM vs MLP vs CNNs, depth and epoch curves.

Neural runs are reused from `reports/results/*.json` + `runs/*.keras` (written by `train`) and
retrained only when missing; every number in the report is measured by this code.
"""

import json
import time
from pathlib import Path

import keras
import numpy as np

from training import figures, report
from training.data import DEFAULT_DATA_DIR, Split, load_mnist
from training.evaluate import evaluate_onnx, latency_ms
from training.report import Row
from training.svm import run_svm
from training.train import RESULTS_DIR, RUNS_DIR, preset, save_run, train

ROOT = Path(__file__).resolve().parent.parent
REPORTS_DIR = ROOT / "reports"
MODELS_DIR = ROOT / "models"
SEED_CNN_SEEDS = (0, 1, 2)
DEPTHS = (1, 2, 3, 4, 5)


def ensure_run(model: str, seed: int, data: tuple[Split, Split], retrain: bool) -> dict:
    """The saved results of `model` with `seed`, training it first if they are missing."""
    config = preset(model, seed=seed)
    results_path = RESULTS_DIR / f"{config.run_id}.json"
    if retrain or not results_path.is_file() or not (RUNS_DIR / f"{config.run_id}.keras").is_file():
        save_run(train(config, *data))
    return json.loads(results_path.read_text())


def keras_inference_ms(run_id: str, inputs: np.ndarray) -> float:
    """Batched Keras prediction time per image (after a warm-up call)."""
    model = keras.models.load_model(RUNS_DIR / f"{run_id}.keras")
    model.predict(inputs[:1000], batch_size=1000, verbose=0)
    start = time.perf_counter()
    model.predict(inputs, batch_size=1000, verbose=0)
    return (time.perf_counter() - start) / len(inputs) * 1000


def neural_row(
    model: str, description: str, seeds: tuple[int, ...], data: tuple[Split, Split], retrain: bool
) -> Row:
    runs = [ensure_run(model, seed, data, retrain) for seed in seeds]
    shipped = MODELS_DIR / f"{model}.onnx"
    return Row(
        name=model,
        description=description,
        parameters=runs[0]["parameters"],
        accuracies=[r["test_accuracy"] for r in runs],
        train_seconds=[r["train_seconds"] for r in runs],
        inference_ms=keras_inference_ms(runs[0]["run"], data[1].inputs()),
        # Runs saved before validation had its own split recorded test curves under this key.
        curves=[r.get("epoch_validation_accuracy", r.get("epoch_test_accuracy", [])) for r in runs],
        onnx_latency_ms=latency_ms(shipped) if shipped.is_file() else None,
    )


def svm_row(data: tuple[Split, Split], limit: int | None, retrain: bool) -> Row:
    path = RESULTS_DIR / ("svm_pca50" + (f"_n{limit}" if limit else "") + ".json")
    if retrain or not path.is_file():
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(run_svm(*data, limit=limit), indent=2) + "\n")
    result = json.loads(path.read_text())
    subset = f", first {limit:,} training images" if limit else ""
    return Row(
        name="svm",
        description=f"PCA {result['config']['pca_components']} → RBF SVM (C={result['config']['C']}"
        f"{subset})",
        parameters=result["parameters"],
        accuracies=[result["test_accuracy"]],
        train_seconds=[result["train_seconds"]],
        inference_ms=result["inference_ms_per_image"],
    )


def run_study(
    data_dir: Path = DEFAULT_DATA_DIR, svm_limit: int | None = None, retrain: bool = False
) -> Path:
    """Run (or reuse) every model of the study and write reports/comparison.md with its plots."""
    data = load_mnist(data_dir)
    rows = [
        svm_row(data, svm_limit, retrain),
        neural_row("mlp", "paper's MLP: Dense 784 ReLU → softmax", (0,), data, retrain),
        neural_row("seed_cnn", "paper's larger CNN", SEED_CNN_SEEDS, data, retrain),
        neural_row(
            "digits",
            "default: BN CNN, augmentation, cosine LR, not-a-digit class",
            (0,),
            data,
            retrain,
        ),
    ]
    depth_rows = [
        neural_row(f"cnn_depth{depth}", f"{depth} conv layers", (0,), data, retrain)
        for depth in DEPTHS
    ]
    shipped = evaluate_onnx(MODELS_DIR / "digits.onnx", data[1])
    figures_dir = REPORTS_DIR / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    plots = {
        "accuracy": figures.accuracy_per_model(rows, figures_dir / "accuracy_per_model.png"),
        "time": figures.time_per_model(rows, figures_dir / "time_per_model.png"),
        "depth": figures.accuracy_vs_depth(depth_rows, figures_dir / "accuracy_vs_depth.png"),
        "epoch": figures.accuracy_vs_epoch(
            [*rows[1:], *depth_rows], figures_dir / "accuracy_vs_epoch.png"
        ),
        "confusion": figures.confusion_matrix(
            shipped.confusion, figures_dir / "confusion_digits.png"
        ),
    }
    path = REPORTS_DIR / "comparison.md"
    path.write_text(report.render(rows, depth_rows, shipped, plots, REPORTS_DIR))
    return path
