"""`python -m service`: check the model, then run uvicorn with the app factory."""

import argparse
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import uvicorn
from pydantic import ValidationError

from digits_core.model import DigitModel, ModelLoadError
from service.logs import log_config
from service.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    parser.add_argument("--host", help="interface to bind (DIGITS_HOST)")
    parser.add_argument("--port", type=int, help="TCP port (DIGITS_PORT)")
    parser.add_argument("--workers", type=int, help="worker processes (DIGITS_WORKERS)")
    parser.add_argument("--model", type=Path, help="ONNX model path (DIGITS_MODEL_PATH)")
    return parser.parse_args(argv)


def one_line(text: object) -> str:
    return " ".join(str(text).split())


@contextmanager
def metrics_directory(workers: int) -> Iterator[None]:
    """Give multi-worker runs a fresh prometheus-client multiprocess directory.

    Set before the workers start (prometheus-client reads it at import), removed at exit.
    A directory the operator already chose is used as is and kept.
    """
    if workers <= 1 or os.environ.get(MULTIPROC_ENV):
        yield
        return
    directory = tempfile.mkdtemp(prefix="digits-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    try:
        yield
    finally:
        del os.environ[MULTIPROC_ENV]
        shutil.rmtree(directory, ignore_errors=True)


def exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """SIGTERM after a graceful shutdown is the normal way to stop: exit status 0."""
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Flags become environment variables so every worker process builds the same Settings.
    for name, value in (
        ("HOST", args.host),
        ("PORT", args.port),
        ("WORKERS", args.workers),
        ("MODEL_PATH", args.model),
    ):
        if value is not None:
            os.environ[f"DIGITS_{name}"] = str(value)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"digits: invalid configuration: {one_line(exc)}", file=sys.stderr)
        return 2
    try:
        DigitModel.load(settings.model_path)
    except ModelLoadError as exc:
        print(f"digits: cannot start: {one_line(exc)}", file=sys.stderr)
        return 2
    # uvicorn re-raises SIGTERM once it has drained in-flight requests; that is a clean stop.
    signal.signal(signal.SIGTERM, exit_cleanly)
    with metrics_directory(settings.workers):
        uvicorn.run(
            "service.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            log_config=log_config(settings.log_level),
            access_log=False,  # service.logs writes the access log, with request ids
            timeout_graceful_shutdown=settings.graceful_timeout,
            timeout_keep_alive=settings.keep_alive_timeout,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
