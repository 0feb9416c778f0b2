"""The request transport → items: multipart, raw image bodies and JSON, all read in memory.

Bodies are streamed with a byte bound (413 before the rest is read) and multipart is parsed
in memory by `service.multipart`, so no upload is ever spooled to a temp file.
Items stay undecoded `RawImage`s here; `service.engine` decodes them in a thread pool.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import orjson
from fastapi import Request
from starlette.responses import JSONResponse

from digits_core.errors import (
    BatchTooLarge,
    DigitsError,
    EmptyBody,
    RequestValidationFailed,
    UnsupportedMediaType,
)
from digits_core.inputs import IMAGE_PREFIX, RawImage
from service.errors import item_error
from service.multipart import read_multipart, too_large
from service.settings import Settings

JSON_TYPES = ("application/json",)
MULTIPART = "multipart/form-data"

T = TypeVar("T")


class JSONResponseBytes(JSONResponse):
    """orjson-rendered JSON; numpy arrays and scalars serialize natively, no Python loops.

    A JSONResponse subclass so that FastAPI documents the route's response model in OpenAPI.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def media_type(request: Request) -> str:
    """The request's Content-Type without parameters, lower-cased ('' when absent)."""
    value = request.headers.get("content-type", "")
    return value.split(";", 1)[0].strip().lower()


def is_json(kind: str) -> bool:
    return kind in JSON_TYPES or kind.endswith("+json")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


def parse_json(body: bytes) -> dict[str, Any]:
    """A JSON object from the body (empty → 400 empty_body, invalid → 422)."""
    if not body.strip():
        raise EmptyBody("The request body is empty; send a JSON object.")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestValidationFailed(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise RequestValidationFailed("The JSON body must be an object.")
    return document


def one_key(document: dict[str, Any], keys: tuple[str, str]) -> str:
    """The single one of `keys` present in `document` (422 for both or neither)."""
    present = [key for key in keys if key in document]
    if len(present) != 1:
        raise RequestValidationFailed(
            f"The JSON object must have exactly one of '{keys[0]}' or '{keys[1]}'."
        )
    return present[0]


def json_item(document: dict[str, Any]) -> RawImage:
    """`{"image": "<base64 | data URL>"}` or `{"pixels": 28×28}` → one item."""
    key = one_key(document, ("image", "pixels"))
    if key == "pixels":
        return RawImage("pixels", document["pixels"])
    if not isinstance(document["image"], str):
        raise RequestValidationFailed("'image' must be a string: base64 or a data URL.")
    return RawImage("base64", document["image"])


def json_items(document: dict[str, Any]) -> list[RawImage]:
    """`{"images": [...]}` or `{"pixels": [28×28, ...]}` → items (bad entries fail alone)."""
    key = one_key(document, ("images", "pixels"))
    values = document[key]
    if not isinstance(values, list):
        raise RequestValidationFailed(f"'{key}' must be a list.")
    if key == "pixels":
        return [RawImage("pixels", value) for value in values]
    return [RawImage("base64", value) for value in values]


def check_batch_size(items: Iterable[RawImage], max_batch: int) -> list[RawImage]:
    items = list(items)
    if not items:
        raise RequestValidationFailed("The batch is empty; send at least one image.")
    if len(items) > max_batch:
        raise BatchTooLarge(f"The batch has {len(items)} images; the limit is {max_batch}.")
    return items


def one_file_only() -> DigitsError:
    return RequestValidationFailed(
        "Send exactly one file field named 'file'; use /v1/predict/batch for more."
    )


def unsupported(kind: str, accepted: str) -> UnsupportedMediaType:
    shown = kind or "none"
    return UnsupportedMediaType(f"Content-Type '{shown}' is not supported; send {accepted}.")


async def read_single_image(request: Request, settings: Settings) -> RawImage:
    """One image from multipart field `file`, a raw image/* body, or JSON image/pixels."""
    kind = media_type(request)
    limit = settings.max_request_bytes
    if kind == MULTIPART:
        parts = await read_multipart(request, "file", limit, 1, one_file_only)
        if not parts:
            raise RequestValidationFailed("The multipart body needs a file field named 'file'.")
        filename, data = parts[0]
        return RawImage("bytes", data, filename)
    if kind.startswith(IMAGE_PREFIX):
        body = await read_body(request, limit)
        if not body:
            raise EmptyBody("The request body is empty; send an image.")
        return RawImage("bytes", body)
    if is_json(kind):
        return json_item(parse_json(await read_body(request, limit)))
    if not kind and request.headers.get("content-length", "0") == "0":
        raise EmptyBody("The request body is empty; send an image.")
    raise unsupported(kind, "multipart/form-data, image/* or application/json")


async def read_batch_items(request: Request, settings: Settings) -> list[RawImage]:
    """Many images from multipart field `files` (repeated) or JSON images/pixels lists."""
    kind = media_type(request)
    limit = settings.max_request_bytes
    if kind == MULTIPART:
        max_batch = settings.max_batch
        parts = await read_multipart(
            request,
            "files",
            limit,
            max_batch,
            lambda: BatchTooLarge(f"The batch has more than {max_batch} images, the limit."),
        )
        if not parts:
            raise RequestValidationFailed("The multipart body needs file fields named 'files'.")
        return [RawImage("bytes", data, filename) for filename, data in parts]
    if is_json(kind):
        return check_batch_size(
            json_items(parse_json(await read_body(request, limit))), settings.max_batch
        )
    if not kind and request.headers.get("content-length", "0") == "0":
        raise EmptyBody("The request body is empty; send images.")
    raise unsupported(kind, "multipart/form-data or application/json")


def batch_response(
    items: Sequence[RawImage],
    outcomes: Sequence[T | DigitsError],
    render: Callable[[T], dict[str, Any]],
    model: dict[str, str],
) -> JSONResponseBytes:
    """A v1 batch body: one result per item, in order; a failed item carries its error."""
    results: list[dict[str, Any]] = []
    for index, (item, outcome) in enumerate(zip(items, outcomes, strict=True)):
        result: dict[str, Any] = {"index": index}
        if item.filename is not None:
            result["filename"] = item.filename
        if isinstance(outcome, DigitsError):
            result["error"] = item_error(outcome)
        else:
            result.update(render(outcome))
        results.append(result)
    failed = sum(isinstance(outcome, DigitsError) for outcome in outcomes)
    body = {"count": len(items), "failed": failed, "results": results, "model": model}
    return JSONResponseBytes(body)
