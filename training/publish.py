"""Ship a trained run: ONNX export with parity check, ORT evaluation, latency, model card."""

import json
import statistics
from pathlib import Path
from typing import Any

import keras

from training.card import write_card
from training.data import Split
from training.evaluate import evaluate_onnx, latency_ms
from training.export import OPSET, export
from training.train import RESULTS_DIR, load_results

SEED_DEPENDENT = ("seed", "train_limit")


def seed_summary(config: dict[str, Any], results_dir: Path) -> dict[str, Any] | None:
    """Test error over every saved run that differs from `config` only in its seed."""

    def same_recipe(other: dict[str, Any]) -> bool:
        return all(other.get(k) == v for k, v in config.items() if k not in SEED_DEPENDENT) and (
            other.get("train_limit") is None
        )

    runs = [r for r in load_results(results_dir) if same_recipe(r["config"])]
    if not runs:
        return None
    errors = [r["test_error"] for r in runs]
    return {
        "seeds": [r["config"]["seed"] for r in runs],
        "test_errors": errors,
        "test_error_mean": round(statistics.mean(errors), 6),
        "test_error_std": round(statistics.stdev(errors), 6) if len(errors) > 1 else 0.0,
        "measured_with": "keras after the last epoch; parity makes ONNX argmax identical",
    }


def publish(
    keras_path: Path,
    onnx_path: Path,
    *,
    name: str,
    version: str,
    test: Split,
    results_dir: Path = RESULTS_DIR,
    latency_reference: Path | None = None,
) -> dict[str, Any]:
    """Export `keras_path` to `onnx_path`, measure it with onnxruntime and write its card."""
    keras_path, onnx_path = Path(keras_path), Path(onnx_path)
    model = keras.models.load_model(keras_path)
    max_diff = export(model, onnx_path, test.inputs())
    evaluation = evaluate_onnx(onnx_path, test)
    results_path = Path(results_dir) / f"{keras_path.stem}.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    training = results.get("config", {"model": model.name})
    latency = {"batch1_ms_1thread": round(latency_ms(onnx_path), 4)}
    if latency_reference and Path(latency_reference).is_file() and latency_reference != onnx_path:
        latency[f"{Path(latency_reference).stem}_batch1_ms_1thread"] = round(
            latency_ms(Path(latency_reference)), 4
        )
    extra: dict[str, Any] = {
        "opset": OPSET,
        "parity_max_abs_diff": max_diff,
        "latency": latency,
        "train_seconds": results.get("train_seconds"),
    }
    summary = seed_summary(training, results_dir) if results else None
    if summary:
        extra["seed_runs"] = summary
    write_card(
        onnx_path,
        name=name,
        version=version,
        parameters=model.count_params(),
        training=training,
        test_accuracy=evaluation.accuracy,
        not_digit=model.output_shape[-1] > 10,
        extra=extra,
    )
    return {"accuracy": evaluation.accuracy, "parity_max_abs_diff": max_diff, **latency}
