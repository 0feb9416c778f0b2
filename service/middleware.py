"""THE request layer: one pure ASGI middleware for metrics, request id, access log, security
headers, (CORS,) API key, body limit, in-flight limit and timeout.

One layer instead of a stack of eight: the request headers are scanned once, the response
start is rewritten once, and a request that passes every guard costs one wrapped `receive`
and one wrapped `send`. The order of the concerns is that of the stack it replaces:

    metrics → request id → access log → security headers → [CORS] → API key → body limit
    → in-flight limit → timeout → app

so every answer, even a 401 from the key check or a 413 from the body limit, is counted,
logged with its id and carries the headers; CORS (Starlette's, when origins are configured)
sits outside the key check so preflights and 401s carry CORS headers. Guards answer through
`service.errors.send_error`, the one mapping, which counts each error once.
"""

import logging
import secrets
import time
import uuid
from collections.abc import Iterable
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digits_core.errors import PayloadTooLarge
from service import metrics
from service.errors import Overloaded, RequestTimeout, Unauthorized, send_error
from service.limits import RETRY_AFTER_SECONDS, SANE_REQUEST_ID, is_inference
from service.logs import access_log
from service.security import (
    CONTENT_SECURITY_POLICY,
    SECURITY_HEADERS,
    cors_options,
    path_matches,
)
from service.settings import Settings

REQUEST_ID = b"x-request-id"
ADDED_HEADERS = [(name.lower().encode(), text.encode()) for name, text in SECURITY_HEADERS.items()]
CSP = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="digits"'}


class RequestHeaders:
    """The few request headers the layer reads, from one pass over the raw list."""

    __slots__ = ("api_key", "authorization", "content_length", "request_id")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self.content_length = self.request_id = self.authorization = self.api_key = b""
        seen: set[bytes] = set()
        for name, value in raw:
            if name in seen:
                continue  # the first occurrence counts, as with Starlette's Headers.get
            if name == b"content-length":
                self.content_length = value
            elif name == b"x-request-id":
                self.request_id = value
            elif name == b"authorization":
                self.authorization = value
            elif name == b"x-api-key":
                self.api_key = value
            else:
                continue
            seen.add(name)

    def presented_keys(self) -> list[bytes]:
        """The keys offered: `Authorization: Bearer <key>` and `X-API-Key: <key>`."""
        keys = []
        scheme, _, token = self.authorization.decode("latin-1").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            keys.append(token.strip().encode("latin-1"))
        if api_key := self.api_key.decode("latin-1").strip():
            keys.append(api_key.encode("latin-1"))
        return keys


class Gate:
    """The one ASGI layer; every concern is optional (None / empty turns it off)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int | None = None,
        max_in_flight: int | None = None,
        timeout: float | None = None,
        api_key: str | None = None,
        open_paths: Iterable[str] = (),
        cors_origins: list[str] | None = None,
        csp_exempt: Iterable[str] = (),
        observe: bool = True,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.key = api_key.encode("utf-8") if api_key is not None else None
        self.open_paths = tuple(open_paths)
        self.csp_exempt = tuple(csp_exempt)
        self.observe = observe  # metrics, request id, access log and headers
        self.in_flight = 0
        self.counters: dict[tuple[str, int], tuple[Any, Any]] = {}
        # CORS wraps the guards, inside the observing part of this same layer.
        self.guarded: ASGIApp = self.guard
        if cors_origins:
            self.guarded = CORSMiddleware(self.guard, **cors_options(cors_origins))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = RequestHeaders(scope["headers"])
        scope["digits.headers"] = headers
        if not self.observe:
            await self.guarded(scope, receive, send)
            return
        started = time.perf_counter()
        given = headers.request_id.decode("latin-1")
        request_id = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        extra = [*ADDED_HEADERS]
        if not path_matches(scope["path"], self.csp_exempt):
            extra.append(CSP)
        status = 500  # what the server answers if the app raises before responding
        sent = 0

        async def observed_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                raw = [(k, v) for k, v in message.get("headers", ()) if k.lower() != REQUEST_ID]
                present = {k.lower() for k, _ in raw}
                raw += [(k, v) for k, v in extra if k not in present]
                raw.append((REQUEST_ID, request_id.encode("latin-1")))
                message["headers"] = raw
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        metrics.IN_FLIGHT.inc()
        try:
            await self.guarded(scope, receive, observed_send)
        finally:
            metrics.IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            requests, latency = self.counter(route, status)
            requests.inc()
            latency.observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):
                self.log(scope, headers, request_id, status, elapsed, sent)

    def counter(self, route: str, status: int) -> tuple[Any, Any]:
        """The request counter and latency histogram children for a label pair, made once."""
        key = (route, status)
        children = self.counters.get(key)
        if children is None:
            labels = {"route": route, "status": str(status)}
            children = (
                metrics.REQUESTS.labels(**labels),
                metrics.REQUEST_LATENCY.labels(**labels),
            )
            if len(self.counters) < 1024:
                self.counters[key] = children
        return children

    @staticmethod
    def log(
        scope: Scope,
        headers: RequestHeaders,
        request_id: str,
        status: int,
        elapsed: float,
        sent: int,
    ) -> None:
        """One access line: id, method, path, status, duration, bytes; never headers or bodies."""
        declared = headers.content_length
        client = scope.get("client")
        fields = {
            "request_id": request_id,
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "request_bytes": int(declared) if declared.isdigit() else None,
            "response_bytes": sent,
            "client": client[0] if client else None,
        }
        access_log.info("request", extra={"fields": fields})

    def authorised(self, headers: RequestHeaders) -> bool:
        assert self.key is not None
        # compare_digest on every offered key: the time taken does not reveal how much matched.
        matches = [secrets.compare_digest(key, self.key) for key in headers.presented_keys()]
        return any(matches)

    async def guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        """API key → body limit → in-flight limit → timeout → the app."""
        headers: RequestHeaders = scope.get("digits.headers") or RequestHeaders(scope["headers"])
        if (
            self.key is not None
            and not path_matches(scope["path"], self.open_paths)
            and not self.authorised(headers)
        ):
            error = Unauthorized(
                "This API needs a key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
            )
            await send_error(scope, send, error, UNAUTHORIZED_HEADERS)
            return
        if self.max_bytes is None:
            await self.limited(scope, receive, send)
            return
        declared = headers.content_length
        if declared.isdigit() and int(declared) > self.max_bytes:
            await send_error(scope, send, self.too_large(), {"Connection": "close"})
            return
        max_bytes = self.max_bytes
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise self.too_large()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app answers to the refused body is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.limited(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await send_error(scope, send, self.too_large(), {"Connection": "close"})

    def too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is larger than the limit of {self.max_bytes:,} bytes."
        )

    async def limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """In-flight limit for inference requests (503 + Retry-After, no queue), then timeout.

        Single-threaded event loop: the check and the increment cannot interleave.
        """
        if self.max_in_flight is None or not is_inference(scope):
            await self.timed(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            error = Overloaded(
                f"The server is handling {self.max_in_flight} requests already; retry shortly."
            )
            await send_error(scope, send, error, {"Retry-After": str(RETRY_AFTER_SECONDS)})
            return
        self.in_flight += 1
        try:
            await self.timed(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def timed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """504 `timeout` past `timeout` seconds (a slow upload included), unless already answering.

        Work already handed to a thread cannot be interrupted; the timeout fires when it returns.
        """
        if self.timeout is None:
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with anyio.move_on_after(self.timeout) as deadline:
            await self.app(scope, receive, tracking_send)
        if deadline.cancelled_caught and not started:
            error = RequestTimeout(f"The request took longer than {self.timeout:g} s.")
            await send_error(scope, send, error, {"Connection": "close"})


def install_middleware(app: FastAPI, settings: Settings, doc_pages: list[str]) -> None:
    """Add THE layer. The docs pages start Swagger UI / ReDoc with an inline script, so they
    get no CSP."""
    docs = [*doc_pages, app.swagger_ui_oauth2_redirect_url]
    api_key = settings.api_key.get_secret_value() if settings.api_key is not None else None
    app.add_middleware(
        Gate,
        max_bytes=settings.max_request_bytes,
        max_in_flight=settings.max_in_flight,
        timeout=settings.request_timeout,
        api_key=api_key,
        open_paths=settings.open_paths,
        cors_origins=settings.cors_origins or None,
        csp_exempt=[path for path in docs if path],
    )
