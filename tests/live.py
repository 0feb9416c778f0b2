"""Start a real `python -m service` process on a free loopback port, for end-to-end tests."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log: IO[bytes]

    def output(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextmanager
def live_server(
    *, workers: int = 1, env: dict[str, str] | None = None, ready_timeout: float = 60.0
) -> Iterator[LiveServer]:
    """Run the service until the block ends; waits for /ready (a timeout, not a timing assert)."""
    port = free_port()
    process_env = {**os.environ, **(env or {})}
    # A file, not a pipe: nobody reads a pipe while tests run, and a full one blocks the server.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=process_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                output = log.read().decode(errors="replace")
                raise RuntimeError(f"service exited with {process.returncode}:\n{output}")
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("service did not become ready in time")
            time.sleep(0.2)
        yield LiveServer(url=url, process=process, log=log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
