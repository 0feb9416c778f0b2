"""Streaming multipart/form-data parsing in memory, bounded while the bytes arrive.

Starlette's `request.form()` spools uploads over 1 MB to temporary files; this keeps every
part in memory instead, counts bytes as they stream in (413 past the limit, before the rest is
read) and stops at the first part beyond `max_parts`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from digits_core.errors import DigitsError, EmptyBody, PayloadTooLarge, RequestValidationFailed


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than the limit of {limit:,} bytes.")


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


class _MultipartCollector:
    """Callbacks for MultipartParser that keep the parts named in `wanted`, in memory."""

    def __init__(self, wanted: str, max_parts: int, too_many: Callable[[], DigitsError]) -> None:
        self.wanted = wanted
        self.max_parts = max_parts
        self.too_many = too_many
        self.parts: list[_Part] = []
        self._current = _Part()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._on_part_begin,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_header_field": lambda data, start, end: self._header_field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
        }

    def _on_part_begin(self) -> None:
        self._current = _Part()
        self._headers = {}

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._current.name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._current.filename = filename.decode("utf-8", "replace") if filename else None
        if self._current.name == self.wanted:
            if len(self.parts) >= self.max_parts:
                raise self.too_many()
            self.parts.append(self._current)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        # Parts with other names are skipped; their bytes still count toward the body limit.
        if self._current.name == self.wanted:
            self._current.data.extend(data[start:end])

    def _on_part_end(self) -> None:
        self._current = _Part()


async def read_multipart(
    request: Request,
    wanted: str,
    limit: int,
    max_parts: int,
    too_many: Callable[[], DigitsError],
) -> list[tuple[str, bytes]]:
    """(filename, bytes) of each part named `wanted`, streamed with the byte `limit`.

    `too_many()` is raised as soon as part number `max_parts + 1` begins.
    """
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise RequestValidationFailed("The multipart Content-Type has no boundary parameter.")
    collector = _MultipartCollector(wanted, max_parts, too_many)
    parser = MultipartParser(boundary, collector.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large(limit)
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise RequestValidationFailed(f"The multipart body is malformed: {exc}") from exc
    if received == 0:
        raise EmptyBody("The request body is empty; send an image.")
    return [(p.filename or "", bytes(p.data)) for p in collector.parts]
