"""MNIST test digits as PNG uploads, and what the in-process model says about each one."""

import io

import numpy as np
from PIL import Image

from digits_core.inputs import RawImage
from service.engine import Engine
from service.settings import Settings
from tests.conftest import MODEL_PATH


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


def expected_digits(pngs: list[bytes]) -> list[int]:
    """The served pipeline in-process: the same engine, models and preprocessing."""
    engine = Engine.load(Settings(model_path=MODEL_PATH, workers=1))
    try:
        predictions = engine.predict_items([RawImage("bytes", data) for data in pngs])
    finally:
        engine.close()
    return [prediction.digit for prediction in predictions]


def in_flight(metrics_text: str) -> float:
    """The `digits_http_requests_in_flight` gauge from a /metrics scrape."""
    for line in metrics_text.splitlines():
        if line.startswith("digits_http_requests_in_flight"):
            return float(line.split()[-1])
    raise AssertionError("/metrics has no digits_http_requests_in_flight gauge")
