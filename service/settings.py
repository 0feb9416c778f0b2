"""Service configuration: every field can be set as an environment variable `DIGITS_<NAME>`."""

import os
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from digits_core.contract import READER_MODEL, shipped_model


@cache
def package_version() -> str:
    """The installed digits distribution's version: what /v2, /docs and `pip show` report."""
    try:
        return version("digits")
    except PackageNotFoundError:
        return "0"


class Settings(BaseSettings):
    """Runtime settings, read from `DIGITS_*` environment variables (and `.env`)."""

    model_config = SettingsConfigDict(env_prefix="DIGITS_", env_file=".env", extra="ignore")

    host: str = Field("0.0.0.0", description="Interface to bind.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port to listen on.")
    workers: int = Field(1, ge=1, le=64, description="Number of uvicorn worker processes.")
    model_path: Path = Field(
        default_factory=shipped_model,
        description="ONNX model to serve (default: the shipped digits.onnx); its card is the "
        ".json file next to it.",
    )
    reader_path: Path = Field(
        default_factory=lambda: shipped_model(READER_MODEL),
        description="ONNX number reader for /v1/read (default: the shipped reader.onnx); its "
        "card carries its temperature and confidence threshold.",
    )
    intra_op_threads: int = Field(
        0, ge=0, description="onnxruntime intra-op threads per worker; 0 = cores / workers."
    )
    confidence_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Below this confidence a prediction is `uncertain`; default: the model card's.",
    )
    max_batch: int = Field(512, ge=1, description="Most images in one batch request (413 above).")
    max_request_bytes: int = Field(
        32 * 1024 * 1024, ge=1024, description="Largest request body in bytes (413 above)."
    )
    max_image_pixels: int = Field(
        50_000_000, ge=1, description="Largest image (width × height), checked before decoding."
    )
    max_in_flight: int = Field(
        128, ge=1, description="Most inference requests one worker handles at once (503 above)."
    )
    request_timeout: float = Field(
        30.0, gt=0, description="Seconds one request may take, body upload included (504 above)."
    )
    graceful_timeout: int = Field(
        25, ge=0, description="Seconds in-flight requests get to finish after SIGTERM."
    )
    keep_alive_timeout: int = Field(
        75,
        ge=1,
        description="Seconds an idle keep-alive connection stays open; longer than clients' and "
        "load balancers' idle timeouts, so they never reuse a connection the server is closing.",
    )
    api_key: SecretStr | None = Field(
        None, description="When set, every route outside `open_paths` needs this key."
    )
    open_paths: list[str] = Field(
        ["/health", "/ready", "/metrics", "/", "/static/*", "/docs", "/redoc", "/openapi.json"],
        description="Paths that never need the API key; an entry ending in '*' is a prefix.",
    )
    cors_origins: list[str] = Field(
        [], description="Origins allowed to call the API from a browser (JSON list); none = off."
    )
    log_level: str = Field("info", description="Log level of the JSON logs (debug, info, ...).")

    prep_threads: int = Field(
        0, ge=0, description="Threads per worker decoding images; 0 = max(2, cores / workers)."
    )

    def onnx_threads(self) -> int:
        """Intra-op threads for one worker's onnxruntime session."""
        if self.intra_op_threads:
            return self.intra_op_threads
        return max(1, (os.cpu_count() or 1) // self.workers)

    def decode_threads(self) -> int:
        """Threads for one worker's decode/normalise pool (Pillow and numpy release the GIL)."""
        if self.prep_threads:
            return self.prep_threads
        return max(2, (os.cpu_count() or 1) // self.workers)
