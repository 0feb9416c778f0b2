"""Security headers, path patterns and CORS options; `service.middleware.Gate` applies them."""

from collections.abc import Iterable
from typing import Any

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


def cors_options(origins: list[str]) -> dict[str, Any]:
    """Starlette CORSMiddleware options: the API's methods and headers, no cookies."""
    return {
        "allow_origins": origins,
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["Authorization", "X-API-Key", "Content-Type", REQUEST_ID_HEADER],
        "expose_headers": [REQUEST_ID_HEADER, "Retry-After"],
        "allow_credentials": False,
    }
