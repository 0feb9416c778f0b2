"""Run the real `python -m service` on a loopback port: cold start, process-tree RSS, routes."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_status(port: int, path: str, timeout: float = 2.0) -> int:
    """HTTP status of GET `path`, or 0 when the server does not answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


@dataclass
class Server:
    """A started service: its process, URL, the log file, and the seconds from spawn to /ready."""

    process: subprocess.Popen
    port: int
    log: Path
    cold_start: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL after 20 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(model: Path, workers: int, log_dir: Path | None = None) -> Server:
    """Spawn the service with production settings and wait for /ready to answer 200."""
    port = free_port()
    command = [sys.executable, "-m", "service", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--model", str(model)]
    return spawn(command, port, "/ready", log_dir=log_dir)


def spawn(
    command: list[str],
    port: int,
    ready_path: str,
    *,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
) -> Server:
    """Spawn `command` (serving on `port`) and wait for GET `ready_path` to answer 200."""
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="digits-bench-"))
    log = log_dir / f"server-{port}.log"
    with log.open("wb") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, env=env
        )
    server = Server(process=process, port=port, log=log, cold_start=float("nan"))
    deadline = started + READY_TIMEOUT
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log_tail()}")
        if get_status(port, ready_path, timeout=1.0) == 200:
            server.cold_start = time.perf_counter() - started
            return server
        time.sleep(0.005)
    server.stop()
    raise RuntimeError(f"server not ready after {READY_TIMEOUT:.0f} s:\n{server.log_tail()}")


@contextmanager
def null_server() -> Iterator[str]:
    """Run bench.nullserver on a free port for the block; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "bench.nullserver", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.perf_counter() + READY_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.perf_counter() > deadline:
                    raise RuntimeError("bench.nullserver did not start") from None
                time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_mb(pid: int) -> dict[int, float]:
    """Resident set size in MB of `pid` and every descendant."""
    sizes: dict[int, float] = {}
    for member in process_tree(pid):
        try:
            resident = int(Path(f"/proc/{member}/statm").read_text().split()[1])
        except (OSError, IndexError):
            continue
        sizes[member] = resident * PAGE_SIZE / 1e6
    return sizes


def role(pid: int, root: int) -> str:
    """supervisor (the process we started), worker (a spawned uvicorn worker) or helper."""
    if pid == root:
        return "supervisor"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return "helper"
    return "worker" if b"spawn_main" in command else "helper"


def rss_report(root: int) -> dict[str, object]:
    """RSS of every process of the server, their total, and the largest worker."""
    sizes = rss_mb(root)
    processes = [{"pid": pid, "role": role(pid, root), "rss_mb": mb} for pid, mb in sizes.items()]
    workers = [p["rss_mb"] for p in processes if p["role"] == "worker"] or [sizes.get(root, 0.0)]
    return {"total_mb": sum(sizes.values()), "max_worker_mb": max(workers), "processes": processes}
