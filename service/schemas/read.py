"""/v1/read schemas: a number read from one image, digit by digit, with boxes."""

from pydantic import BaseModel, Field

from service.schemas.v1 import BatchFailure, ModelRef

Probability = Field(ge=0.0, le=1.0)


class DigitBox(BaseModel):
    """A rectangle in the uploaded image's pixels (after EXIF orientation)."""

    x: int = Field(ge=0, examples=[12])
    y: int = Field(ge=0, examples=[30])
    width: int = Field(ge=1, examples=[41])
    height: int = Field(ge=1, examples=[60])


class ReadDigitResult(BaseModel):
    """One digit of the number."""

    digit: int = Field(ge=0, le=9, examples=[4])
    confidence: float = Field(
        ge=0.0, le=1.0, examples=[0.99999], description="Probability that this digit is right."
    )
    uncertain: bool = Field(
        description="True when this digit's confidence is under the reader's digit_threshold."
    )
    box: DigitBox


class NumberFields(BaseModel):
    text: str = Field(
        examples=["40213"], description="The digits left to right; '' when there is no ink."
    )
    confidence: float = Field(
        ge=0.0,
        le=1.0,
        examples=[0.9996],
        description="Probability that the whole string is right: the product of the digits' "
        "confidences and the least sure gap's, through the reader's confidence_map (0 when "
        "nothing was read).",
    )
    uncertain: bool = Field(
        description="True when the confidence is under the reader's confidence_threshold, any "
        "digit is uncertain, or there is nothing to read."
    )
    digits: list[ReadDigitResult] = Field(description="Left to right.")


class ReadResponse(NumberFields):
    """The number in one image."""

    model: ModelRef


class BatchReading(NumberFields):
    """A batch item that was read; `filename` only for multipart uploads."""

    index: int
    filename: str | None = None


class ReadBatchResponse(BaseModel):
    count: int = Field(description="Items in the request.")
    failed: int = Field(description="Items that could not be read.")
    results: list[BatchReading | BatchFailure] = Field(description="In request order.")
    model: ModelRef
