"""The CLI's local mode: `digits` without --url runs this engine in-process, with the same
decoding, normalisation, segmentation, threshold and `uncertain` rule as the HTTP routes.
It speaks digits-client's types and runs only under its CLI (directly, or in the actors of
`service.ray_engine`): the server itself does not depend on the client (pyproject.toml)."""

from pathlib import Path
from typing import Any

from digits_client.classify import error_row
from digits_client.client import DigitsAPIError
from digits_client.results import Row
from digits_client.sources import SourceItem
from digits_core.errors import DigitsError
from digits_core.inputs import RawImage
from service.engine import Engine, Prediction, ReadResult
from service.memory import return_freed_memory
from service.settings import Settings


def as_api_error(error: DigitsError) -> DigitsAPIError:
    """The error the service would have answered with, as the client raises it."""
    return DigitsAPIError(error.status, error.code, error.detail)


class LocalBackend:
    """A `digits_client.classify.Backend` over one in-process engine."""

    def __init__(self, model_path: Path | None, *, read: bool = False, threads: int = 0) -> None:
        overrides: dict[str, Any] = {} if model_path is None else {"model_path": model_path}
        if threads:  # one Ray actor per CPU: one onnxruntime and one decode thread each
            overrides.update(intra_op_threads=threads, prep_threads=threads)
        self.read = read
        # A CLI run or a Ray actor is a long-lived worker too: freed batches go back.
        return_freed_memory()
        self.engine = Engine.load(Settings(workers=1, **overrides))

    def process(self, batch: list[SourceItem]) -> list[Row]:
        """Rows for a batch, in order: ONE model call for all its readable items."""
        readable = [i for i, item in enumerate(batch) if item.error is None]
        images = [RawImage("bytes", batch[i].data, batch[i].source) for i in readable]
        outcomes = (
            self.engine.read_items(images) if self.read else self.engine.predict_items(images)
        )
        rows = {i: error_row(item.source, item.error) for i, item in enumerate(batch) if item.error}
        for i, outcome in zip(readable, outcomes, strict=True):
            rows[i] = self.row(batch[i].source, outcome)
        return [rows[i] for i in range(len(batch))]

    def row(self, source: str, outcome: Prediction | ReadResult | DigitsError) -> Row:
        if isinstance(outcome, DigitsError):
            return error_row(source, as_api_error(outcome))
        if isinstance(outcome, Prediction):
            return Row(source, str(outcome.digit), float(outcome.confidence), outcome.uncertain)
        return Row(source, outcome["text"], outcome["confidence"], outcome["uncertain"])

    def read_one(self, data: bytes) -> dict[str, Any]:
        """One image → the `/v1/read` response shape (raises DigitsAPIError if unreadable)."""
        (outcome,) = self.engine.read_items([RawImage("bytes", data)])
        if isinstance(outcome, DigitsError):
            raise as_api_error(outcome)
        return {**outcome, "model": self.engine.reader_ref()}

    def predict_one(self, data: bytes, *, top_k: int = 3) -> dict[str, Any]:
        """One image → the `/v1/predict` response shape (raises DigitsAPIError if unreadable)."""
        (outcome,) = self.engine.predict_items([RawImage("bytes", data)])
        if isinstance(outcome, DigitsError):
            raise as_api_error(outcome)
        return {
            "digit": outcome.digit,
            "confidence": float(outcome.confidence),
            "uncertain": outcome.uncertain,
            "probabilities": [float(p) for p in outcome.probabilities],
            "top_k": [
                {"digit": t["digit"], "probability": float(t["probability"])}
                for t in outcome.top_k(top_k)
            ],
            "model": self.engine.model_ref(),
        }

    def close(self) -> None:
        self.engine.close()
