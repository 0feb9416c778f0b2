"""Entry point: `python -m training ...`; data errors become one line and a non-zero exit."""

import sys

from training.cli import app
from training.data import DataError


def main() -> None:
    try:
        app()
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
