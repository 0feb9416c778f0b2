"""onnxruntime helpers shared by export, evaluation and the study (no TensorFlow here)."""

from pathlib import Path

import numpy as np
import onnxruntime as ort

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"


def session(path: Path, threads: int = 0) -> ort.InferenceSession:
    """A CPU onnxruntime session (`threads` = 0 lets onnxruntime choose)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def predict_onnx(path: Path, inputs: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Probabilities [N, 10] from an ONNX file, in batches."""
    sess = session(path)
    chunks = [
        sess.run([OUTPUT_NAME], {INPUT_NAME: inputs[start : start + batch_size]})[0]
        for start in range(0, len(inputs), batch_size)
    ]
    return np.concatenate(chunks)
