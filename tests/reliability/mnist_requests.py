"""MNIST test digits as PNG uploads, and what the in-process model says about each one."""

import io

import numpy as np
from PIL import Image

from digits_core.imaging import image_to_input
from digits_core.model import DigitModel
from tests.conftest import MODEL_PATH


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


def expected_digits(pngs: list[bytes]) -> list[int]:
    """The served pipeline in-process: the shared preprocessing, then the same ONNX model."""
    model = DigitModel.load(MODEL_PATH)
    inputs = np.stack([image_to_input(data) for data in pngs])
    return [int(d) for d in model.predict_batch(inputs).argmax(axis=1)]


def in_flight(metrics_text: str) -> float:
    """The `digits_http_requests_in_flight` gauge from a /metrics scrape."""
    for line in metrics_text.splitlines():
        if line.startswith("digits_http_requests_in_flight"):
            return float(line.split()[-1])
    raise AssertionError("/metrics has no digits_http_requests_in_flight gauge")
