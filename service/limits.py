"""Pure ASGI middleware for cross-cutting limits: request id, body size, in-flight work, timeout.

Each guard answers with the same JSON error body the routes use, before or instead of the app,
so a hostile or unlucky request costs a bounded amount of memory and time.
"""

import re
import uuid

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digits_core.errors import PayloadTooLarge
from service.errors import Overloaded, RequestTimeout, send_error

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from callers end up in logs and headers, so only short plain tokens are honoured.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
INFERENCE_PREFIXES = ("/v1/", "/v2/")
RETRY_AFTER_SECONDS = 1


def is_inference(scope: Scope) -> bool:
    """POSTs to the versioned API are the requests that decode images and run the model."""
    return scope["method"] == "POST" and scope["path"].startswith(INFERENCE_PREFIXES)


class RequestIdMiddleware:
    """Honours a sane `X-Request-ID` or makes one; stores it in `request.state` and echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """413 over `max_bytes`: Content-Length checked up front, chunks counted as they arrive.

    When the count passes the limit the app's receive raises, whatever the app answers to that is
    dropped, and the 413 is sent instead; the rest of the body is never read.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is larger than the limit of {self.max_bytes:,} bytes."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await send_error(scope, send, self.too_large(), {"Connection": "close"})
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise self.too_large()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await send_error(scope, send, self.too_large(), {"Connection": "close"})


class InFlightMiddleware:
    """At most `limit` inference requests at once in this worker; past it 503 + Retry-After.

    Refusing at once (no queue) keeps latency and memory bounded and tells a load balancer or
    client to go elsewhere; health, readiness and metrics are never counted or refused.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_inference(scope):
            await self.app(scope, receive, send)
            return
        # Single-threaded event loop: the check and the increment cannot interleave.
        if self.in_flight >= self.limit:
            error = Overloaded(
                f"The server is handling {self.limit} requests already; retry shortly."
            )
            await send_error(scope, send, error, {"Retry-After": str(RETRY_AFTER_SECONDS)})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class TimeoutMiddleware:
    """A request that takes over `seconds` (a slow upload included) gets 504 `timeout`.

    Work already handed to a thread cannot be interrupted; the timeout fires when it returns,
    so a stalled client or an endless await never holds a connection forever.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with anyio.move_on_after(self.seconds) as deadline:
            await self.app(scope, receive, tracking_send)
        if deadline.cancelled_caught and not started:
            error = RequestTimeout(f"The request took longer than {self.seconds:g} s.")
            await send_error(scope, send, error, {"Connection": "close"})
