"""`python -m service`: check the model, then run uvicorn with the app factory."""

import argparse
import os
import sys
from pathlib import Path

import uvicorn

from service.model import DigitModel, ModelLoadError
from service.settings import Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    parser.add_argument("--host", help="interface to bind (DIGITS_HOST)")
    parser.add_argument("--port", type=int, help="TCP port (DIGITS_PORT)")
    parser.add_argument("--workers", type=int, help="worker processes (DIGITS_WORKERS)")
    parser.add_argument("--model", type=Path, help="ONNX model path (DIGITS_MODEL_PATH)")
    return parser.parse_args(argv)


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
    settings = Settings()
    try:
        DigitModel.load(settings.model_path)
    except ModelLoadError as exc:
        print(f"digits: cannot start: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
