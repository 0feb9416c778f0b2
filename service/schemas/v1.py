"""v1 API schemas: the documented shape of every /v1 request and response."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Probability = Field(ge=0.0, le=1.0)


class ModelRef(BaseModel):
    """Which model answered."""

    name: str = Field(examples=["digits"])
    version: str = Field(examples=["1.0.0"])


class TopK(BaseModel):
    digit: int = Field(ge=0, le=9)
    probability: float = Probability


class PredictResponse(BaseModel):
    """One image's prediction."""

    digit: int = Field(ge=0, le=9, examples=[7])
    confidence: float = Field(ge=0.0, le=1.0, examples=[0.998])
    uncertain: bool = Field(
        description="True when confidence is under the threshold or the image has no ink."
    )
    probabilities: list[float] = Field(min_length=10, max_length=10, description="Digits 0..9.")
    top_k: list[TopK] = Field(description="The `top_k` most likely digits, most likely first.")
    model: ModelRef


class ItemError(BaseModel):
    code: str = Field(examples=["invalid_image"])
    detail: str = Field(examples=["The data is not an image we can read (PNG, JPEG, ...)."])


class BatchPrediction(BaseModel):
    """A batch item that was read; `filename` only for multipart uploads."""

    index: int
    filename: str | None = None
    digit: int = Field(ge=0, le=9)
    confidence: float = Probability
    uncertain: bool
    probabilities: list[float] = Field(min_length=10, max_length=10)


class BatchFailure(BaseModel):
    """A batch item that could not be read; the rest of the batch still ran."""

    index: int
    filename: str | None = None
    error: ItemError


class BatchResponse(BaseModel):
    count: int = Field(description="Items in the request.")
    failed: int = Field(description="Items that could not be read.")
    results: list[BatchPrediction | BatchFailure] = Field(description="In request order.")
    model: ModelRef


class ErrorResponse(BaseModel):
    """The body of every non-2xx answer."""

    detail: str = Field(description="A sentence for people.")
    code: str = Field(description="A stable machine-readable code.")


class TensorSpec(BaseModel):
    name: str
    dtype: str
    shape: list[int | str]
    description: str


class ModelCard(BaseModel):
    """The model card (from the .json sidecar) plus the I/O spec and the threshold in use."""

    model_config = ConfigDict(extra="allow")

    name: str
    version: str
    sha256: str
    threshold: float
    input: TensorSpec
    output: TensorSpec


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyResponse(BaseModel):
    status: str = Field(examples=["ready"], description="'ready' or 'loading'.")
    model: ModelRef | None = None
    detail: str | None = Field(None, description="While loading: why it is not ready.")
    code: str | None = Field(None, description="While loading: 'not_ready'.")


# Request bodies are parsed by `service.transport` (streamed, bounded, no temp files), so they
# are documented here and attached to the routes through `openapi_extra`.
class ImageJSON(BaseModel):
    image: str = Field(description="Base64 image bytes or a data:image/...;base64, URL.")


class PixelsJSON(BaseModel):
    pixels: list[list[float]] = Field(description="28×28 numbers 0..255, white ink on black.")


class ImagesJSON(BaseModel):
    images: list[str] = Field(description="Base64 images or data URLs.")


class PixelsBatchJSON(BaseModel):
    pixels: list[list[list[float]]] = Field(description="A list of 28×28 pixel arrays.")


# A real 28×28 PNG of a hand-drawn "7" (dark on white), so the /docs examples run as-is.
TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAABwAAAAcCAAAAABXZoBIAAAAUklEQVR42s3SQQ6AIAxE0X7i/a/8XZkYcWZpZE"
    "V4KaRTcPJa8z0e14b7qa2Shj6udfYHVil8QXorRqSHYER6fEakB29E+siMSB+2EdnS+tvXPAH5BAw5kV/zlgAAAABJ"
    "RU5ErkJggg=="
)
ZERO_PIXELS = [[0] * 28 for _ in range(28)]
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "invalid_image, invalid_base64, invalid_pixels or empty_body"),
        (413, "payload_too_large, image_too_large or batch_too_large"),
        (415, "unsupported_media_type"),
        (422, "validation_error"),
        (503, "not_ready: the model is still loading"),
    )
}


def _binary(description: str) -> dict[str, Any]:
    return {"type": "string", "format": "binary", "description": description}


def single_request_body() -> dict[str, Any]:
    """OpenAPI requestBody for /v1/predict: multipart, raw image and the two JSON forms."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": _binary("The image file.")},
                        "required": ["file"],
                    }
                },
                "image/*": {"schema": _binary("PNG, JPEG, BMP, GIF, TIFF or WebP bytes.")},
                "application/json": {
                    "schema": {
                        "oneOf": [ImageJSON.model_json_schema(), PixelsJSON.model_json_schema()]
                    },
                    "examples": {
                        "base64": {"value": {"image": TINY_PNG}},
                        "data URL": {"value": {"image": f"data:image/png;base64,{TINY_PNG}"}},
                        "pixels": {"value": {"pixels": ZERO_PIXELS}},
                    },
                },
            },
        }
    }


def batch_request_body() -> dict[str, Any]:
    """OpenAPI requestBody for /v1/predict/batch: multipart `files` or the two JSON forms."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "files": {"type": "array", "items": _binary("An image file.")}
                        },
                        "required": ["files"],
                    }
                },
                "application/json": {
                    "schema": {
                        "oneOf": [
                            ImagesJSON.model_json_schema(),
                            PixelsBatchJSON.model_json_schema(),
                        ]
                    },
                    "examples": {
                        "images": {
                            "value": {"images": [TINY_PNG, f"data:image/png;base64,{TINY_PNG}"]}
                        },
                        "pixels": {"value": {"pixels": [ZERO_PIXELS]}},
                    },
                },
            },
        }
    }
