"""Hand-made HTTP/1.1 over a socket: a request whose body arrives slowly, or never in full."""

import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def start_request(
    url: str, path: str, headers: dict[str, str], timeout: float = 60.0
) -> socket.socket:
    """Connect and send the request line and headers only; the caller sends (part of) the body."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {parts.netloc}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_answer(sock: socket.socket) -> Answer:
    """Read one response (the socket timeout is the hang guard)."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    return Answer(
        response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(body)
    )


def chunk(data: bytes) -> bytes:
    """One chunk of a `Transfer-Encoding: chunked` body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"
