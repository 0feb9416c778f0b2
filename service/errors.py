"""The one place where errors become `{"detail", "code"}` JSON responses."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from digits_core.errors import DigitsError
from service import metrics

logger = logging.getLogger("digits")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


def error_response(
    status: int, code: str, detail: str, headers: dict | None = None
) -> JSONResponse:
    """The JSON body every non-2xx answer of the v1 API has (and counts it by code)."""
    metrics.count_error(code)
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


async def handle_digits_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DigitsError)
    return error_response(exc.status, exc.code, exc.detail)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}"
        for err in exc.errors()[:5]
    )
    return error_response(422, "validation_error", f"The request is not valid: {problems}")


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "HTTP error."
    # Starlette's default details are bare phrases ("Not Found"); say what went wrong.
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no endpoint at {request.url.path}; see /docs for the API."
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}; see /docs."
    code = HTTP_CODES.get(exc.status_code, "http_error")
    headers = getattr(exc, "headers", None)
    if request.url.path == "/v2" or request.url.path.startswith("/v2/"):
        # Unmatched v2 paths and methods answer in the protocol's shape (its routes do already).
        metrics.count_error(code)
        return JSONResponse({"error": detail}, status_code=exc.status_code, headers=headers)
    return error_response(exc.status_code, code, detail, headers=headers)


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug, not bad input: log it, and still answer in the documented shape."""
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "The server failed to handle this request.")


def install_error_handlers(app: FastAPI) -> None:
    """Map every error type to the `{"detail", "code"}` body."""
    app.add_exception_handler(DigitsError, handle_digits_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected)
