"""The middleware stack, in one place so its order is visible (outermost last)."""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from service.limits import (
    BodyLimitMiddleware,
    InFlightMiddleware,
    RequestIdMiddleware,
    TimeoutMiddleware,
)
from service.logs import AccessLogMiddleware
from service.security import ApiKeyMiddleware, SecurityHeadersMiddleware, cors_options
from service.settings import Settings


def install_middleware(app: FastAPI, settings: Settings, doc_pages: list[str]) -> None:
    """Add the guards; each `add_middleware` wraps the ones added before it.

    Request id and access log are outermost so that every answer, even a 401 from the key
    check or a 413 from the body limit, is logged with its id. CORS sits outside the key check
    so preflights and 401s carry CORS headers; the key is checked before a body is read or an
    in-flight slot is taken.
    """
    app.add_middleware(TimeoutMiddleware, seconds=settings.request_timeout)
    app.add_middleware(InFlightMiddleware, limit=settings.max_in_flight)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    if settings.api_key is not None:
        app.add_middleware(
            ApiKeyMiddleware,
            api_key=settings.api_key.get_secret_value(),
            open_paths=settings.open_paths,
        )
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, **cors_options(settings.cors_origins))
    # The docs pages start Swagger UI / ReDoc with an inline script, so they get no CSP.
    docs = [*doc_pages, app.swagger_ui_oauth2_redirect_url]
    app.add_middleware(SecurityHeadersMiddleware, csp_exempt=[path for path in docs if path])
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
