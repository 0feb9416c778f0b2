"""onnxruntime helpers shared by export, evaluation and the study (no TensorFlow here)."""

from pathlib import Path

import numpy as np

from digits_core.contract import INPUT_NAME, OUTPUT_NAME, session


def predict_onnx_outputs(
    path: Path, inputs: np.ndarray, batch_size: int = 1000
) -> dict[str, np.ndarray]:
    """Every output of an ONNX file by name (probabilities [N, 10], not_digit [N] if any)."""
    sess = session(path)
    names = [output.name for output in sess.get_outputs()]
    chunks = [
        sess.run(names, {INPUT_NAME: inputs[start : start + batch_size]})
        for start in range(0, len(inputs), batch_size)
    ]
    return {name: np.concatenate([c[i] for c in chunks]) for i, name in enumerate(names)}


def predict_onnx(path: Path, inputs: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Probabilities [N, 10] from an ONNX file, in batches."""
    return predict_onnx_outputs(path, inputs, batch_size)[OUTPUT_NAME]
