"""Prometheus metrics: the metric objects and GET /metrics (`service.middleware.Gate` counts).

With `--workers > 1`, `python -m service` sets PROMETHEUS_MULTIPROC_DIR before the workers
start, so every worker writes its samples there and /metrics aggregates all of them.
"""

import os

import numpy as np
from fastapi import APIRouter
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.responses import Response

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

REQUESTS = Counter(
    "digits_http_requests_total", "HTTP requests by route template and status.", ["route", "status"]
)
REQUEST_LATENCY = Histogram(
    "digits_http_request_duration_seconds",
    "HTTP request latency by route template and status.",
    ["route", "status"],
    buckets=LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge(
    "digits_http_requests_in_flight", "Requests being served now.", multiprocess_mode="livesum"
)
INFERENCE_LATENCY = Histogram(
    "digits_inference_duration_seconds",
    "Time in one onnxruntime call (a whole batch), by model (classifier or reader).",
    ["model"],
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "digits_inference_batch_size",
    "Images (or lines) per onnxruntime call, by model.",
    ["model"],
    buckets=BATCH_BUCKETS,
)
PREDICTIONS = Counter("digits_predictions_total", "Predictions by predicted digit.", ["digit"])
ERRORS = Counter("digits_errors_total", "Errors (requests and batch items) by code.", ["code"])
MODEL_INFO = Gauge(
    "digits_model_info",
    "The served model (value 1).",
    ["name", "version", "sha256"],
    multiprocess_mode="max",
)

router = APIRouter(tags=["operations"])


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


@router.get("/metrics", response_class=Response, summary="Prometheus metrics")
def get_metrics() -> Response:
    """All workers' metrics in the Prometheus text format."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def set_model_info(name: str, version: str, sha256: str) -> None:
    MODEL_INFO.clear()
    MODEL_INFO.labels(name=name, version=version, sha256=sha256).set(1)


def observe_inference(model: str, seconds: float, batch_size: int) -> None:
    INFERENCE_LATENCY.labels(model=model).observe(seconds)
    BATCH_SIZE.labels(model=model).observe(batch_size)


def count_predictions(digits: np.ndarray) -> None:
    counts = np.bincount(digits, minlength=10)
    for digit in np.flatnonzero(counts):
        PREDICTIONS.labels(digit=str(digit)).inc(int(counts[digit]))


def count_error(code: str) -> None:
    ERRORS.labels(code=code).inc()
