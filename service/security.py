"""Optional API key, CORS options and security headers (pure ASGI middleware)."""

import secrets
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import Unauthorized, send_error
from service.limits import REQUEST_ID_HEADER

# No inline script or style, nothing from other origins; images may be data:/blob: previews.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def path_matches(path: str, patterns: Iterable[str]) -> bool:
    """Exact match, or prefix match for a pattern ending in '*'."""
    for pattern in patterns:
        if pattern.endswith("*"):
            if path.startswith(pattern[:-1]):
                return True
        elif path == pattern:
            return True
    return False


def presented_keys(headers: Headers) -> list[bytes]:
    """The keys a request offers: `Authorization: Bearer <key>` and `X-API-Key: <key>`."""
    keys = []
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        keys.append(token.strip().encode("latin-1"))
    if api_key := headers.get("x-api-key", "").strip():
        keys.append(api_key.encode("latin-1"))
    return keys


class ApiKeyMiddleware:
    """Every path outside `open_paths` needs the key; 401 `unauthorized` otherwise."""

    def __init__(self, app: ASGIApp, api_key: str, open_paths: Iterable[str]) -> None:
        self.app = app
        self.key = api_key.encode("utf-8")
        self.open_paths = tuple(open_paths)

    def authorised(self, headers: Headers) -> bool:
        # compare_digest on every offered key: the time taken does not reveal how much matched.
        matches = [secrets.compare_digest(key, self.key) for key in presented_keys(headers)]
        return any(matches)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or path_matches(scope["path"], self.open_paths):
            await self.app(scope, receive, send)
            return
        if not self.authorised(Headers(scope=scope)):
            error = Unauthorized(
                "This API needs a key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
            )
            await send_error(scope, send, error, {"WWW-Authenticate": 'Bearer realm="digits"'})
            return
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    """Adds nosniff, frame denial, referrer policy and a strict CSP to every response.

    `csp_exempt` paths (the Swagger/ReDoc pages, whose bootstrap script is inline) get the
    other headers but no CSP; headers a route sets itself are kept.
    """

    def __init__(self, app: ASGIApp, csp_exempt: Iterable[str] = ()) -> None:
        self.app = app
        self.csp_exempt = tuple(csp_exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(SECURITY_HEADERS)
        if not path_matches(scope["path"], self.csp_exempt):
            extra["Content-Security-Policy"] = CONTENT_SECURITY_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cors_options(origins: list[str]) -> dict[str, Any]:
    """Starlette CORSMiddleware options: the API's methods and headers, no cookies."""
    return {
        "allow_origins": origins,
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["Authorization", "X-API-Key", "Content-Type", REQUEST_ID_HEADER],
        "expose_headers": [REQUEST_ID_HEADER, "Retry-After"],
        "allow_credentials": False,
    }
