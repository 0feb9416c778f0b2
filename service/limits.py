"""What the request layer (`service.middleware.Gate`) limits and honours: request ids, which
requests count as inference work, and how long a refused client should wait."""

import re

from starlette.types import Scope

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from callers end up in logs and headers, so only short plain tokens are honoured.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
INFERENCE_PREFIXES = ("/v1/", "/v2/")
RETRY_AFTER_SECONDS = 1


def is_inference(scope: Scope) -> bool:
    """POSTs to the versioned API are the requests that decode images and run the model."""
    return scope["method"] == "POST" and scope["path"].startswith(INFERENCE_PREFIXES)
