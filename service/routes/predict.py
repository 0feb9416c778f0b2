"""v1 prediction routes: /v1/predict, /v1/predict/batch and /v1/model."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from digits_core.contract import INPUT_SPEC, OUTPUT_SPEC
from service.deps import EngineDep, SettingsDep
from service.engine import Prediction
from service.schemas.v1 import (
    ERROR_RESPONSES,
    BatchResponse,
    ModelCard,
    PredictResponse,
    batch_request_body,
    single_request_body,
)
from service.transport import JSONResponseBytes, batch_response, read_batch_items, read_single_image

router = APIRouter(prefix="/v1", tags=["v1"], responses=ERROR_RESPONSES)


@router.post(
    "/predict",
    response_model=PredictResponse,
    response_class=JSONResponseBytes,
    summary="Read one handwritten digit",
    openapi_extra=single_request_body(),
)
async def predict(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    top_k: Annotated[int, Query(ge=1, le=10, description="How many top digits to list.")] = 3,
) -> JSONResponseBytes:
    """One image as multipart `file`, a raw `image/*` body, or JSON `image` / `pixels`."""
    item = await read_single_image(request, settings)
    prediction = await engine.predict(item)
    body = {**prediction.as_dict(), "top_k": prediction.top_k(top_k), "model": engine.model_ref()}
    return JSONResponseBytes(body)


@router.post(
    "/predict/batch",
    response_model=BatchResponse,
    response_class=JSONResponseBytes,
    summary="Read many handwritten digits in one call",
    openapi_extra=batch_request_body(),
)
async def predict_batch(
    request: Request, engine: EngineDep, settings: SettingsDep
) -> JSONResponseBytes:
    """Multipart `files` (repeated) or JSON `images` / `pixels`; one bad item fails alone."""
    items = await read_batch_items(request, settings)
    outcomes = await engine.predict_batch(items)
    return batch_response(items, outcomes, Prediction.as_dict, engine.model_ref())


@router.get("/model", response_model=ModelCard, summary="The served model's card")
def model_card(engine: EngineDep) -> dict[str, Any]:
    """The model card plus the input/output tensors and the confidence threshold in use, and
    the number reader's name, version, thresholds, confidence map and temperature (for
    /v1/read)."""
    model = engine.model
    return {
        **model.card,
        "name": model.name,
        "version": model.version,
        "sha256": model.sha256,
        "threshold": engine.threshold,
        "input": INPUT_SPEC,
        "output": OUTPUT_SPEC,
        "reader": {
            **engine.reader_ref(),
            "sha256": engine.reader.card.get("sha256", ""),
            "confidence_threshold": engine.reader.threshold,
            "digit_threshold": engine.reader.digit_threshold,
            "confidence_map": asdict(engine.reader.confidence_map),
            "temperature": engine.reader.temperature,
            "single_digit_temperature": engine.reader.single_digit_temperature,
        },
    }
