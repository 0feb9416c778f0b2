"""HTTP-only errors, and the ONE place where any error becomes a v1 or v2 body and is counted.

Route handlers, the v2 route class and the ASGI guards all answer through `error_response`
(or `send_error`, its ASGI form); failed batch items through `item_error`. Each of them counts
the error once in `digits_errors_total{code}`, so nothing else ever does.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Scope, Send

from digits_core.errors import DigitsError, RequestValidationFailed
from service import metrics

logger = logging.getLogger("digits")

V2_PREFIX = "/v2"
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


class Unauthorized(DigitsError):
    code = "unauthorized"
    status = 401


class NotFound(DigitsError):
    code = "not_found"
    status = 404


class Overloaded(DigitsError):
    code = "overloaded"
    status = 503


class NotReady(DigitsError):
    code = "not_ready"
    status = 503


class RequestTimeout(DigitsError):
    code = "timeout"
    status = 504


def is_v2(path: str) -> bool:
    return path == V2_PREFIX or path.startswith(V2_PREFIX + "/")


def error_body(error: DigitsError, path: str, *, guard: bool = False) -> dict[str, Any]:
    """`{"detail", "code"}` on v1; the Open Inference Protocol's `{"error"}` under /v2, plus
    the `code` when a guard refused the request (auth, size, load: not a protocol answer)."""
    if not is_v2(path):
        return {"detail": error.detail, "code": error.code}
    if guard:
        return {"error": error.detail, "code": error.code}
    return {"error": error.detail}


def error_response(
    error: DigitsError, path: str, headers: dict[str, str] | None = None, *, guard: bool = False
) -> JSONResponse:
    """The answer to a failed request, counted once by its code."""
    metrics.count_error(error.code)
    body = error_body(error, path, guard=guard)
    return JSONResponse(body, status_code=error.status, headers=headers)


def item_error(error: DigitsError) -> dict[str, str]:
    """The `error` field of a failed batch item, counted once by its code."""
    metrics.count_error(error.code)
    return {"code": error.code, "detail": error.detail}


async def send_error(
    scope: Scope, send: Send, error: DigitsError, headers: dict[str, str] | None = None
) -> None:
    """`error_response` from ASGI middleware, before the app has started a response."""
    response = error_response(error, scope["path"], headers, guard=True)
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def handle_digits_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DigitsError)
    return error_response(exc, request.url.path)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}"
        for err in exc.errors()[:5]
    )
    error = RequestValidationFailed(f"The request is not valid: {problems}")
    return error_response(error, request.url.path)


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "HTTP error."
    # Starlette's default details are bare phrases ("Not Found"); say what went wrong.
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no endpoint at {request.url.path}; see /docs for the API."
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}; see /docs."
    code = HTTP_CODES.get(exc.status_code, "http_error")
    error = DigitsError(detail, code=code, status=exc.status_code)
    return error_response(error, request.url.path, getattr(exc, "headers", None))


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug, not bad input: log it, and still answer in the documented shape."""
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    error = DigitsError(
        "The server failed to handle this request.", code="internal_error", status=500
    )
    return error_response(error, request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error type to its body through `error_response`."""
    app.add_exception_handler(DigitsError, handle_digits_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected)
