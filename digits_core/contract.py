"""The model contract: tensor names and shapes, decision levels, the shipped models and the
onnxruntime session factory; shared by service, training and bench."""

from importlib.resources import files
from pathlib import Path

import onnxruntime as ort

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"
NOT_DIGIT_NAME = "not_digit"  # optional: P(the input is not one digit), for reading numbers
IMAGE_SIZE = 28
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)  # per image, after the batch dimension
CLASSES = 10
DEFAULT_THRESHOLD = 0.9  # when the model card names none
NOT_DIGIT_LEVEL = 0.5  # an input with at least this P(not one digit) is never a sure answer
DEFAULT_MODEL = "digits.onnx"

INPUT_SPEC = {
    "name": INPUT_NAME,
    "dtype": "float32",
    "shape": ["N", IMAGE_SIZE, IMAGE_SIZE, 1],
    "description": "Grayscale 0..1, white ink on black, MNIST-normalised.",
}
OUTPUT_SPEC = {
    "name": OUTPUT_NAME,
    "dtype": "float32",
    "shape": ["N", CLASSES],
    "description": "Softmax probabilities of digits 0..9.",
}


# The number reader: a line of ink in, per-frame scores over the digits and the CTC blank out.
READER_MODEL = "reader.onnx"
READER_INPUT_NAME = "line"
READER_OUTPUT_NAME = "scores"
LINE_HEIGHT = 32  # the reader's input height; the width is free
FRAME_STEP = 4  # input columns per output frame
BLANK = CLASSES  # the CTC blank's class index, after the ten digits
READER_INPUT_SPEC = {
    "name": READER_INPUT_NAME,
    "dtype": "float32",
    "shape": ["N", LINE_HEIGHT, "W", 1],
    "description": "A line of ink 0..1, white on black, height-normalised (digits_core.reading).",
}
READER_OUTPUT_SPEC = {
    "name": READER_OUTPUT_NAME,
    "dtype": "float32",
    "shape": ["N", f"W/{FRAME_STEP}", CLASSES + 1],
    "description": "Per frame, softmax over the digits 0..9 and the CTC blank (index 10).",
}


def shipped_model(filename: str = DEFAULT_MODEL) -> Path:
    """A model shipped in the `digits_models` package data (the repo's models/ folder)."""
    return Path(str(files("digits_models").joinpath(filename)))


def session(path: Path, *, threads: int = 0) -> ort.InferenceSession:
    """A sequential CPU session; `threads` = 0 lets onnxruntime choose."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Spinning threads burn the other worker's core for nothing on a small model.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # No arena: it keeps a batch of 256's activations (~90 MB) for the worker's lifetime, for
    # ~0.07 ms per image of a batch (issue 14: worker RSS ≤ 200 MB after every phase).
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
