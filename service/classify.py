"""The `digits classify` pipeline: batches of sources → a backend → rows, in input order.

Two backends answer a batch: `LocalBackend` runs the ONNX model in-process through the
service's own data plane (`service.inference`, same preprocessing), `RemoteBackend` posts to a
running service with `DigitsClient`. Up to `concurrency` batches are in flight; rows are handed
over in input order as soon as the oldest batch is done, so memory stays bounded.
"""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from digits_core.errors import DigitsError
from service.client import DigitsAPIError, DigitsClient
from service.results import Row
from service.sources import Item

# Errors after which no other batch can succeed either: stop instead of failing every row.
FATAL_STATUSES = frozenset({0, 401, 403, 404, 503})
TOO_LARGE_STATUS = 413


class Backend(Protocol):
    def process(self, batch: list[Item]) -> list[Row]: ...

    def close(self) -> None: ...


def error_row(source: str, error: DigitsError | DigitsAPIError) -> Row:
    return Row(source, error=error.code, detail=error.detail)


class LocalBackend:
    """Classifies in-process with the service's own engine and read path: same decoding,
    normalisation, segmentation, threshold and `uncertain` rule as the HTTP routes."""

    def __init__(self, model_path: Path, *, read: bool = False) -> None:
        from service.app import load_engine
        from service.settings import Settings

        self.read = read
        self.engine = load_engine(Settings(model_path=model_path, workers=1))

    def process(self, batch: list[Item]) -> list[Row]:
        from service import inference, transport

        if self.read:
            return self.read_rows(batch)
        readable = [i for i, item in enumerate(batch) if item.error is None]
        prepared = inference.prepare_many(
            [transport.Item("bytes", batch[i].data, batch[i].source) for i in readable],
            max_pixels=self.engine.max_pixels,
        )
        rows = {i: error_row(item.source, item.error) for i, item in enumerate(batch) if item.error}
        ok: list[tuple[int, inference.Prepared]] = []
        for i, outcome in zip(readable, prepared, strict=True):
            if isinstance(outcome, DigitsError):
                rows[i] = error_row(batch[i].source, outcome)
            else:
                ok.append((i, outcome))
        if ok:
            inputs = np.stack([p.array for _, p in ok])
            flags = np.array([p.no_digit for _, p in ok])
            for (i, _), pred in zip(ok, self.engine.classify(inputs, flags), strict=True):
                rows[i] = Row(
                    batch[i].source, str(pred.digit), float(pred.confidence), pred.uncertain
                )
        return [rows[i] for i in range(len(batch))]

    def read_rows(self, batch: list[Item]) -> list[Row]:
        from service import transport
        from service.routes.read import read_items

        readable = [i for i, item in enumerate(batch) if item.error is None]
        outcomes = read_items(
            self.engine, [transport.Item("bytes", batch[i].data, batch[i].source) for i in readable]
        )
        rows = {i: error_row(item.source, item.error) for i, item in enumerate(batch) if item.error}
        for i, outcome in zip(readable, outcomes, strict=True):
            source = batch[i].source
            rows[i] = (
                error_row(source, outcome)
                if isinstance(outcome, DigitsError)
                else Row(source, outcome["text"], outcome["confidence"], outcome["uncertain"])
            )
        return [rows[i] for i in range(len(batch))]

    def read_one(self, data: bytes) -> dict[str, Any]:
        """One image → the `/v1/read` response shape (raises DigitsError if unreadable)."""
        from service import transport
        from service.routes.read import model_ref, read_items

        (outcome,) = read_items(self.engine, [transport.Item("bytes", data)])
        if isinstance(outcome, DigitsError):
            raise outcome
        return {**outcome, "model": model_ref(self.engine)}

    def predict_one(self, data: bytes, *, top_k: int = 3) -> dict[str, Any]:
        """One image → the `/v1/predict` response shape (raises DigitsError if unreadable)."""
        from service import inference, transport

        prepared = inference.prepare_item(
            transport.Item("bytes", data), max_pixels=self.engine.max_pixels
        )
        (pred,) = self.engine.classify(prepared.array[np.newaxis], np.array([prepared.no_digit]))
        model = self.engine.model
        return {
            "digit": pred.digit,
            "confidence": float(pred.confidence),
            "uncertain": pred.uncertain,
            "probabilities": [float(p) for p in pred.probabilities],
            "top_k": [
                {"digit": t["digit"], "probability": float(t["probability"])}
                for t in pred.top_k(top_k)
            ],
            "model": {"name": model.name, "version": model.version},
        }

    def close(self) -> None:
        self.engine.close()


class RemoteBackend:
    """Posts each batch to `/v1/predict/batch` (or `/v1/read/batch`) of a running service."""

    def __init__(self, client: DigitsClient, *, read: bool = False) -> None:
        self.client = client
        self.read = read

    def process(self, batch: list[Item]) -> list[Row]:
        readable = [item for item in batch if item.error is None]
        answers = iter(self.send(readable))
        return [
            error_row(item.source, item.error) if item.error else next(answers) for item in batch
        ]

    def send(self, items: list[Item]) -> list[Row]:
        """Rows for readable items; a batch the service finds too large is sent in halves."""
        if not items:
            return []
        call = self.client.read_batch if self.read else self.client.predict_batch
        try:
            response = call(
                [item.data or b"" for item in items],
                filenames=[Path(item.source).name for item in items],
            )
        except DigitsAPIError as exc:
            if exc.status in FATAL_STATUSES:
                raise
            if exc.status == TOO_LARGE_STATUS and len(items) > 1:
                half = len(items) // 2
                return self.send(items[:half]) + self.send(items[half:])
            return [error_row(item.source, exc) for item in items]
        results = {result["index"]: result for result in response["results"]}
        return [self.row(item.source, results.get(index)) for index, item in enumerate(items)]

    def row(self, source: str, result: dict[str, Any] | None) -> Row:
        if result is None:
            return Row(source, error="missing_result", detail="The service returned no result.")
        if "error" in result:
            error = result["error"]
            return Row(source, error=str(error.get("code")), detail=str(error.get("detail")))
        answer = result["text"] if self.read else str(result["digit"])
        return Row(source, answer, float(result["confidence"]), bool(result["uncertain"]))

    def close(self) -> None:
        self.client.close()


def batches(items: Iterable[Item], size: int, max_bytes: int) -> Iterator[list[Item]]:
    """Group items by count and by encoded size, so one request stays under the body limit."""
    batch: list[Item] = []
    total = 0
    for item in items:
        length = len(item.data or b"")
        if batch and (len(batch) >= size or total + length > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += length
    if batch:
        yield batch


def run(
    items: Iterable[Item],
    backend: Backend,
    on_row: Callable[[Row], None],
    *,
    batch_size: int,
    concurrency: int,
    max_batch_bytes: int,
) -> None:
    """Process every item; `on_row` sees rows in input order. Fatal errors propagate."""
    pending: deque[Future[list[Row]]] = deque()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="digits-classify")
    try:
        for batch in batches(items, batch_size, max_batch_bytes):
            if len(pending) >= concurrency:
                for row in pending.popleft().result():
                    on_row(row)
            pending.append(pool.submit(backend.process, batch))
        while pending:
            for row in pending.popleft().result():
                on_row(row)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
