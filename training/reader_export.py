"""`python -m training.reader_export`: the trained reader → `models/reader.onnx` and its card.

Parity with Keras on validation lines of many widths; temperature and confidence threshold
chosen on the validation lines (MNIST training digits held out from training); the test lines
(MNIST test digits) are read once, at the end, for the card.
"""

import json
import time
from pathlib import Path
from typing import Annotated

import keras
import numpy as np
import onnx
import tensorflow as tf
import tf2onnx
import typer

from digits_core.contract import (
    LINE_HEIGHT,
    READER_INPUT_NAME,
    READER_INPUT_SPEC,
    READER_OUTPUT_NAME,
    READER_OUTPUT_SPEC,
    session,
)
from training.calibration import READER_CALIBRATION_COUNT
from training.card import framework_versions, save_card, sha256
from training.export import OPSET, PARITY_TOLERANCE, ParityError, rename_io
from training.reader import Batches, greedy_texts
from training.reader_calibrate import (
    CLASSIFIER,
    DECODING,
    calibration_set,
    exact,
    lines_of,
    measured,
)
from training.reader_train import ROOT

VERSION = "1.4.0"


def to_onnx(model: keras.Model) -> onnx.ModelProto:
    """Through a tf.function with a free width; softmax inside, names per the contract."""
    signature = [tf.TensorSpec([None, LINE_HEIGHT, None, 1], tf.float32, READER_INPUT_NAME)]

    @tf.function(input_signature=signature)
    def serve(line: tf.Tensor) -> tf.Tensor:
        return tf.nn.softmax(model(line, training=False), axis=-1)

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=OPSET)
    rename_io(proto.graph, READER_INPUT_NAME, (READER_OUTPUT_NAME,))
    onnx.checker.check_model(proto)
    return proto


def onnx_scores(path: Path, data: Batches) -> list[np.ndarray]:
    """Frame scores per line, in the order of `data`, batched by width."""
    sess = session(path)
    scores: list[np.ndarray] = [np.zeros(0)] * len(data.texts)
    for chunk, images in data.padded():
        out = sess.run([READER_OUTPUT_NAME], {READER_INPUT_NAME: images})[0]
        for row, index in enumerate(chunk):
            scores[index] = out[row]
    return scores


def check_parity(model: keras.Model, path: Path, data: Batches) -> float:
    """Max |Keras − ONNX| over the lines; ParityError above tolerance or if a reading differs."""
    sess = session(path)
    worst = 0.0
    for _, images in data.padded():
        expected = tf.nn.softmax(model(images, training=False), axis=-1).numpy()
        actual = sess.run([READER_OUTPUT_NAME], {READER_INPUT_NAME: images})[0]
        worst = max(worst, float(np.abs(expected - actual).max()))
        if greedy_texts(expected) != greedy_texts(actual) or worst > PARITY_TOLERANCE:
            raise ParityError(f"{path}: max |Keras − ONNX| = {worst:.2e} or readings differ")
    return worst


def latency_ms(path: Path, data: Batches, digits: int = 6, runs: int = 300) -> float:
    """Median ms for one `digits`-digit line at batch 1 on one thread."""
    index = next(i for i, t in enumerate(data.texts) if len(t) == digits)
    line = data.pixels[index].astype(np.float32)[np.newaxis, :, :, np.newaxis] / 255.0
    sess = session(path, threads=1)
    for _ in range(20):
        sess.run([READER_OUTPUT_NAME], {READER_INPUT_NAME: line})
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        sess.run([READER_OUTPUT_NAME], {READER_INPUT_NAME: line})
        times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times))


def main(
    keras_path: Annotated[Path, typer.Option(help="The trained model.")] = ROOT
    / "runs"
    / "reader.keras",
    out: Annotated[Path, typer.Option(help="Where the ONNX model goes.")] = ROOT
    / "models"
    / "reader.onnx",
    val_lines: Annotated[int, typer.Option(help="Validation lines (model check).")] = 4000,
    calibration_count: Annotated[
        int, typer.Option(help="Images per realistic number condition to calibrate on.")
    ] = READER_CALIBRATION_COUNT,
    test_lines: Annotated[int, typer.Option(help="Test lines (MNIST test digits).")] = 2000,
    seed: Annotated[int, typer.Option(help="The training run's seed.")] = 0,
    data_dir: Annotated[Path, typer.Option(help="MNIST IDX directory.")] = ROOT / "data" / "mnist",
    classifier: Annotated[
        Path, typer.Option(help="The digit classifier that gives the second opinion.")
    ] = CLASSIFIER,
) -> None:
    """Export, check parity, calibrate on validation lines, test once, write the card."""
    model = keras.models.load_model(keras_path)
    validation, _ = lines_of("validation", val_lines, seed * 1000 + 999, data_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(to_onnx(model), str(out))
    parity = check_parity(model, out, validation)
    val_exact = exact(out, validation, 1.0)
    test, _ = lines_of("test", test_lines, seed * 1000 + 777, data_dir)
    calibration, test_exact, _ = measured(out, calibration_count, test, data_dir, classifier)
    summary = keras_path.with_suffix(".json")
    card = {
        "name": "reader",
        "version": VERSION,
        "file": out.name,
        "sha256": sha256(out),
        "parameters": model.count_params(),
        "input": READER_INPUT_SPEC,
        "output": READER_OUTPUT_SPEC,
        "decoding": DECODING,
        **calibration.card_fields(),
        "validation_exact": round(val_exact, 4),
        "validation_set": f"{len(validation.texts)} synthetic lines of MNIST validation digits",
        "calibration_set": calibration_set(calibration_count),
        "test_exact": round(test_exact, 4),
        "held_out_check": None,  # `python -m training.reader_check` reads it
        "test_set": f"{len(test.texts)} synthetic lines of MNIST test digits (training/lines.py)",
        "opset": OPSET,
        "parity_max_abs_diff": parity,
        "latency": {"six_digit_line_batch1_ms_1thread": round(latency_ms(out, test), 3)},
        "training": json.loads(summary.read_text()) if summary.is_file() else {},
        "frameworks": framework_versions(),
    }
    card["training"].pop("history", None)
    save_card(out, card)
    print(
        f"parity {parity:.1e}; validation exact {val_exact:.4f}; "
        f"calibration set exact {calibration.accuracy:.4f}, coverage {calibration.coverage}; "
        f"test exact {test_exact:.4f}; T {calibration.temperature}; "
        f"threshold {calibration.threshold}; latency {card['latency']}"
    )


if __name__ == "__main__":
    typer.run(main)
