"""The digits service's light client: `DigitsClient`, `AsyncDigitsClient` and the `digits` CLI."""

from digits_client.client import (
    AsyncDigitsClient,
    DigitsAPIError,
    DigitsClient,
    DigitsConnectionError,
)

__all__ = ["AsyncDigitsClient", "DigitsAPIError", "DigitsClient", "DigitsConnectionError"]
