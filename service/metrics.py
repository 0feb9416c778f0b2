"""Prometheus metrics: the metric objects, a pure ASGI middleware and GET /metrics.

With `--workers > 1`, `python -m service` sets PROMETHEUS_MULTIPROC_DIR before the workers
start, so every worker writes its samples there and /metrics aggregates all of them.
"""

import os
import time

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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    "Time in one onnxruntime call (a whole batch).",
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "digits_inference_batch_size", "Images per onnxruntime call.", buckets=BATCH_BUCKETS
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


def observe_inference(seconds: float, batch_size: int) -> None:
    INFERENCE_LATENCY.observe(seconds)
    BATCH_SIZE.observe(batch_size)


def count_predictions(digits: np.ndarray) -> None:
    counts = np.bincount(digits, minlength=10)
    for digit in np.flatnonzero(counts):
        PREDICTIONS.labels(digit=str(digit)).inc(int(counts[digit]))


def count_error(code: str) -> None:
    ERRORS.labels(code=code).inc()


class MetricsMiddleware:
    """Pure ASGI middleware: count, time and track in-flight HTTP requests.

    The route label is the matched path template (e.g. `/v1/predict`), never the raw path,
    so unknown URLs cannot blow up the label set.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_status)
        finally:
            IN_FLIGHT.dec()
            route = getattr(scope.get("route"), "path", "unmatched")
            labels = {"route": route, "status": str(status)}
            REQUESTS.labels(**labels).inc()
            REQUEST_LATENCY.labels(**labels).observe(time.perf_counter() - started)
