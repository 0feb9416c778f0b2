"""Python clients for the digits v1 API: `DigitsClient` (sync) and `AsyncDigitsClient`.

An image is a path, encoded bytes, a PIL image or a NumPy array (a 28×28 array follows the
MNIST convention: white ink on black, uint8 0..255 or float 0..1); arrays and PIL images are
sent as PNG. Connection errors and 503s are retried with exponential backoff, honouring
`Retry-After`; any other non-2xx answer raises `DigitsAPIError` with the API's `code`/`detail`.
"""

import asyncio
import io
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

ImageInput = str | os.PathLike[str] | bytes | Image.Image | np.ndarray
FileTuple = tuple[str, bytes, str]

MAGIC_TYPES = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
MAX_RETRY_AFTER = 30.0


class DigitsAPIError(Exception):
    """The service answered with an error (or could not be reached: status 0)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


class DigitsConnectionError(DigitsAPIError):
    """The service could not be reached, even after the retries."""

    def __init__(self, detail: str) -> None:
        super().__init__(0, "unreachable", detail)


def content_type(data: bytes) -> str:
    """The image MIME type from the magic bytes (the service sniffs too; this is a courtesy)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for magic, mime in MAGIC_TYPES:
        if data.startswith(magic):
            return mime
    return "application/octet-stream"


def array_to_image(array: np.ndarray) -> Image.Image:
    """A NumPy image → PIL; floats are taken as 0..1 (MNIST convention), integers as 0..255."""
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(f"an image array must be H×W, H×W×1, ×3 or ×4; got {array.shape}")
    if np.issubdtype(array.dtype, np.floating):
        array = np.clip(np.nan_to_num(array) * 255.0, 0, 255).round()
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def encode_image(image: ImageInput, filename: str | None = None) -> FileTuple:
    """Any accepted image → (filename, encoded bytes, MIME type) for a multipart part."""
    if isinstance(image, str | os.PathLike):
        path = Path(image)
        data = path.read_bytes()
        return filename or path.name, data, content_type(data)
    if isinstance(image, bytes | bytearray | memoryview):
        data = bytes(image)
        return filename or "image", data, content_type(data)
    if isinstance(image, np.ndarray):
        image = array_to_image(image)
    if isinstance(image, Image.Image):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return filename or "image.png", buffer.getvalue(), "image/png"
    raise TypeError(f"unsupported image type: {type(image).__name__}")


def batch_files(
    images: Sequence[ImageInput], filenames: Sequence[str] | None
) -> list[tuple[str, FileTuple]]:
    if filenames is not None and len(filenames) != len(images):
        raise ValueError("filenames must have one name per image")
    names = filenames or [None] * len(images)
    return [("files", encode_image(image, name)) for image, name in zip(images, names, strict=True)]


def api_error(response: httpx.Response) -> DigitsAPIError:
    """The typed error for a non-2xx response, whatever its body looks like."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "code" in body:
        return DigitsAPIError(response.status_code, str(body["code"]), str(body.get("detail", "")))
    return DigitsAPIError(
        response.status_code, "http_error", response.text[:200] or response.reason_phrase
    )


class _Base:
    """What both clients share: configuration, retry policy and response handling."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        api_key: str | None = None,
        retries: int = 4,
        backoff: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Seconds before retry `attempt` (0-based): Retry-After if given, else exponential."""
        if response is not None:
            try:
                return min(float(response.headers["Retry-After"]), MAX_RETRY_AFTER)
            except (KeyError, ValueError):
                pass
        return self.backoff * 2**attempt

    @staticmethod
    def result(response: httpx.Response) -> dict[str, Any]:
        if response.is_success:
            return response.json()
        raise api_error(response)


class DigitsClient(_Base):
    """Synchronous client; use as a context manager or call `close()`."""

    def __init__(self, base_url: str, **options: Any) -> None:
        super().__init__(base_url, **options)
        self.http = httpx.Client(base_url=self.base_url, timeout=self.timeout, headers=self.headers)

    def __enter__(self) -> "DigitsClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with retries on connection errors and 503; the last 503 is returned."""
        for attempt in range(self.retries + 1):
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise DigitsConnectionError(f"{self.base_url}: {exc}") from exc
                time.sleep(self.delay(attempt, None))
                continue
            if response.status_code != 503 or attempt == self.retries:
                return response
            time.sleep(self.delay(attempt, response))
        raise AssertionError("unreachable")

    def predict(self, image: ImageInput) -> dict[str, Any]:
        """One digit: {"digit", "confidence", "uncertain", "probabilities", "top_k", "model"}."""
        return self.result(self.request("POST", "/v1/predict", files={"file": encode_image(image)}))

    def predict_batch(
        self, images: Sequence[ImageInput], filenames: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Many digits: {"count", "failed", "results": [...], "model"}, one result per image."""
        files = batch_files(images, filenames)
        return self.result(self.request("POST", "/v1/predict/batch", files=files))

    def read(self, image: ImageInput) -> dict[str, Any]:
        """A multi-digit number: {"text", "confidence", "uncertain", "digits", "model"}."""
        return self.result(self.request("POST", "/v1/read", files={"file": encode_image(image)}))

    def read_batch(
        self, images: Sequence[ImageInput], filenames: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Many numbers, shaped like `predict_batch` with text/confidence/uncertain/digits."""
        files = batch_files(images, filenames)
        return self.result(self.request("POST", "/v1/read/batch", files=files))

    def model(self) -> dict[str, Any]:
        """The served model's card."""
        return self.result(self.request("GET", "/v1/model"))

    def ready(self) -> bool:
        """True when the service answers /ready with 200 (no retries: a probe, not a call)."""
        try:
            return self.http.get("/ready").status_code == 200
        except httpx.TransportError:
            return False


class AsyncDigitsClient(_Base):
    """The same API for asyncio; use as an async context manager or await `aclose()`."""

    def __init__(self, base_url: str, **options: Any) -> None:
        super().__init__(base_url, **options)
        self.http = httpx.AsyncClient(
            base_url=self.base_url, timeout=self.timeout, headers=self.headers
        )

    async def __aenter__(self) -> "AsyncDigitsClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with retries on connection errors and 503; the last 503 is returned."""
        for attempt in range(self.retries + 1):
            try:
                response = await self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise DigitsConnectionError(f"{self.base_url}: {exc}") from exc
                await asyncio.sleep(self.delay(attempt, None))
                continue
            if response.status_code != 503 or attempt == self.retries:
                return response
            await asyncio.sleep(self.delay(attempt, response))
        raise AssertionError("unreachable")

    async def predict(self, image: ImageInput) -> dict[str, Any]:
        files = {"file": encode_image(image)}
        return self.result(await self.request("POST", "/v1/predict", files=files))

    async def predict_batch(
        self, images: Sequence[ImageInput], filenames: Sequence[str] | None = None
    ) -> dict[str, Any]:
        files = batch_files(images, filenames)
        return self.result(await self.request("POST", "/v1/predict/batch", files=files))

    async def read(self, image: ImageInput) -> dict[str, Any]:
        files = {"file": encode_image(image)}
        return self.result(await self.request("POST", "/v1/read", files=files))

    async def read_batch(
        self, images: Sequence[ImageInput], filenames: Sequence[str] | None = None
    ) -> dict[str, Any]:
        files = batch_files(images, filenames)
        return self.result(await self.request("POST", "/v1/read/batch", files=files))

    async def model(self) -> dict[str, Any]:
        return self.result(await self.request("GET", "/v1/model"))

    async def ready(self) -> bool:
        try:
            return (await self.http.get("/ready")).status_code == 200
        except httpx.TransportError:
            return False
