"""Reading numbers: /v1/read and /v1/read/batch (segmentation in `digits_core.segment`)."""

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from fastapi import APIRouter, Request

from digits_core.errors import DigitsError
from digits_core.imaging import decode_image, pixels_to_input
from digits_core.segment import ReadDigit, read_numbers
from service import metrics
from service.deps import EngineDep, SettingsDep
from service.inference import Engine
from service.schemas.read import ReadBatchResponse, ReadResponse
from service.schemas.v1 import ERROR_RESPONSES, batch_request_body, single_request_body
from service.transport import Item, JSONResponseBytes, read_batch_items, read_single_image

router = APIRouter(prefix="/v1", tags=["v1"], responses=ERROR_RESPONSES)


def item_gray(item: Item, max_pixels: int) -> np.ndarray:
    """An item as grayscale 0..255; a `pixels` array is MNIST-style white ink on black."""
    if item.kind == "pixels":
        return pixels_to_input(item.payload) * 255.0
    return decode_image(item.image_bytes(), max_pixels=max_pixels)


def number(digits: list[ReadDigit], threshold: float) -> dict[str, Any]:
    """The response fields of one read number."""
    confidences = [d.confidence for d in digits]
    shown = [
        {
            "digit": d.digit,
            "confidence": d.confidence,
            "uncertain": d.confidence < threshold,
            "box": {"x": d.box.x, "y": d.box.y, "width": d.box.width, "height": d.box.height},
        }
        for d in digits
    ]
    return {
        "text": "".join(str(d.digit) for d in digits),
        "confidence": float(np.prod(confidences)) if digits else 0.0,
        "uncertain": not digits or any(d["uncertain"] for d in shown),
        "digits": shown,
    }


def read_items(engine: Engine, items: Sequence[Item]) -> list[dict[str, Any] | DigitsError]:
    """Decode every item, then read all numbers: one model call for every candidate digit of
    every image (blocking; run it in the engine's pool)."""
    grays: dict[int, np.ndarray] = {}
    outcomes: list[dict[str, Any] | DigitsError] = []
    for index, item in enumerate(items):
        try:
            grays[index] = item_gray(item, engine.max_pixels)
            outcomes.append({})
        except DigitsError as exc:
            outcomes.append(exc)

    def classify(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        started = time.perf_counter()
        scores = engine.model.predict_scores(inputs)
        metrics.observe_inference(time.perf_counter() - started, len(inputs))
        return scores

    readings = read_numbers(list(grays.values()), classify)
    for index, digits in zip(grays, readings, strict=True):
        outcomes[index] = number(digits, engine.threshold)
    return outcomes


def model_ref(engine: Engine) -> dict[str, str]:
    return {"name": engine.model.name, "version": engine.model.version}


@router.post(
    "/read",
    response_model=ReadResponse,
    response_class=JSONResponseBytes,
    summary="Read a number (several digits) from one image",
    openapi_extra=single_request_body(),
)
async def read(request: Request, engine: EngineDep, settings: SettingsDep) -> JSONResponseBytes:
    """One image as multipart `file`, a raw `image/*` body, or JSON `image`; digits left to
    right with their boxes. No ink gives `"text": ""`."""
    item = await read_single_image(request, settings)
    (outcome,) = await engine.run(read_items, engine, [item])
    if isinstance(outcome, DigitsError):
        metrics.count_error(outcome.code)
        raise outcome
    return JSONResponseBytes({**outcome, "model": model_ref(engine)})


@router.post(
    "/read/batch",
    response_model=ReadBatchResponse,
    response_class=JSONResponseBytes,
    summary="Read the numbers in many images in one call",
    openapi_extra=batch_request_body(),
)
async def read_batch(
    request: Request, engine: EngineDep, settings: SettingsDep
) -> JSONResponseBytes:
    """Multipart `files` (repeated) or JSON `images`; one bad item fails alone."""
    items = await read_batch_items(request, settings)
    outcomes = await engine.run(read_items, engine, items)
    results: list[dict[str, Any]] = []
    for index, (item, outcome) in enumerate(zip(items, outcomes, strict=True)):
        result: dict[str, Any] = {"index": index}
        if item.filename is not None:
            result["filename"] = item.filename
        if isinstance(outcome, DigitsError):
            metrics.count_error(outcome.code)
            result["error"] = {"code": outcome.code, "detail": outcome.detail}
        else:
            result.update(outcome)
        results.append(result)
    failed = sum(isinstance(outcome, DigitsError) for outcome in outcomes)
    body = {"count": len(items), "failed": failed, "results": results, "model": model_ref(engine)}
    return JSONResponseBytes(body)
