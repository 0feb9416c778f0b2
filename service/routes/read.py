"""Reading numbers: /v1/read and /v1/read/batch (the number reader, `digits_core.reading`)."""

from fastapi import APIRouter, Request

from service.deps import EngineDep, SettingsDep
from service.schemas.read import ReadBatchResponse, ReadResponse
from service.schemas.v1 import ERROR_RESPONSES, batch_request_body, single_request_body
from service.transport import JSONResponseBytes, batch_response, read_batch_items, read_single_image

router = APIRouter(prefix="/v1", tags=["v1"], responses=ERROR_RESPONSES)


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
    reading = await engine.read(item)
    return JSONResponseBytes({**reading, "model": engine.reader_ref()})


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
    outcomes = await engine.read_batch(items)
    return batch_response(items, outcomes, dict, engine.reader_ref())
