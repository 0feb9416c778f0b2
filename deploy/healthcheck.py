"""Container healthcheck: exit 0 when the local service answers GET /health with 200.

Used by the image's HEALTHCHECK and by docker-compose.yml; the image has no curl, and the
standard library is all this needs.
"""

import os
import sys
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('DIGITS_PORT', '8000')}/health"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError:  # refused, timed out, or an HTTP error status
        return 1


if __name__ == "__main__":
    sys.exit(main())
