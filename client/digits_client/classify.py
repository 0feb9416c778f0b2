"""The `digits classify` pipeline: batches of sources → a backend → rows, in input order.

Two backends answer a batch: `RemoteBackend` posts to a running service with `DigitsClient`;
the server's `service.local.LocalBackend` runs its engine in-process (same preprocessing). Up
to `concurrency` batches are in flight; rows are handed over in input order as soon as the
oldest batch is done, so memory stays bounded.
"""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from digits_client.client import DigitsAPIError, DigitsClient
from digits_client.results import Row
from digits_client.sources import SourceError, SourceItem

# Errors after which no other batch can succeed either: stop instead of failing every row.
FATAL_STATUSES = frozenset({0, 401, 403, 404, 503})
TOO_LARGE_STATUS = 413


class Backend(Protocol):
    def process(self, batch: list[SourceItem]) -> list[Row]: ...

    def close(self) -> None: ...


def error_row(source: str, error: SourceError | DigitsAPIError) -> Row:
    """The row of an input that failed with `error`."""
    return Row(source, error=error.code, detail=error.detail)


class RemoteBackend:
    """Posts each batch to `/v1/predict/batch` (or `/v1/read/batch`) of a running service."""

    def __init__(self, client: DigitsClient, *, read: bool = False) -> None:
        self.client = client
        self.read = read

    def process(self, batch: list[SourceItem]) -> list[Row]:
        readable = [item for item in batch if item.error is None]
        answers = iter(self.send(readable))
        return [
            error_row(item.source, item.error) if item.error else next(answers) for item in batch
        ]

    def send(self, items: list[SourceItem]) -> list[Row]:
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


def batches(items: Iterable[SourceItem], size: int, max_bytes: int) -> Iterator[list[SourceItem]]:
    """Group items by count and by encoded size, so one request stays under the body limit."""
    batch: list[SourceItem] = []
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
    items: Iterable[SourceItem],
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
