"""Service configuration: every field can be set as an environment variable `DIGITS_<NAME>`."""

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_MODELS = Path(__file__).resolve().parent.parent / "models"


class Settings(BaseSettings):
    """Runtime settings, read from `DIGITS_*` environment variables (and `.env`)."""

    model_config = SettingsConfigDict(env_prefix="DIGITS_", env_file=".env", extra="ignore")

    host: str = Field("0.0.0.0", description="Interface to bind.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port to listen on.")
    workers: int = Field(1, ge=1, le=64, description="Number of uvicorn worker processes.")
    model_path: Path = Field(
        REPO_MODELS / "digits.onnx",
        description="ONNX model to serve; its card is the .json file next to it.",
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

    def onnx_threads(self) -> int:
        """Intra-op threads for one worker's onnxruntime session."""
        if self.intra_op_threads:
            return self.intra_op_threads
        return max(1, (os.cpu_count() or 1) // self.workers)
