"""Pydantic models of the Open Inference Protocol (KServe v2) REST API, as digits serves it."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr


class V2Error(BaseModel):
    """Every non-2xx v2 answer: the protocol's single `error` string."""

    error: str


class ServerMetadata(BaseModel):
    name: str
    version: str
    extensions: list[str]


class TensorMetadata(BaseModel):
    name: str
    datatype: str
    shape: list[int] = Field(description="-1 marks the variable batch dimension.")


class ModelMetadata(BaseModel):
    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class InputParameters(BaseModel):
    """Per-input parameters; unknown ones are accepted and ignored, as the protocol allows."""

    model_config = ConfigDict(extra="allow")

    binary_data_size: StrictInt | None = Field(
        None, ge=0, description="Bytes of this tensor in the binary part of the body."
    )
    shared_memory_region: StrictStr | None = None


class RequestInput(BaseModel):
    name: StrictStr
    shape: list[StrictInt]
    datatype: StrictStr
    parameters: InputParameters | None = None
    # Any, not list[float]: pydantic would walk every element; numpy parses it in C instead.
    data: Any = Field(None, description="Row-major values, flat or nested to `shape`.")


class OutputParameters(BaseModel):
    model_config = ConfigDict(extra="allow")

    binary_data: StrictBool | None = Field(
        None, description="Return this output as raw little-endian bytes after the JSON."
    )
    classification: StrictInt | None = None
    shared_memory_region: StrictStr | None = None


class RequestOutput(BaseModel):
    name: StrictStr
    parameters: OutputParameters | None = None


class RequestParameters(BaseModel):
    model_config = ConfigDict(extra="allow")

    binary_data_output: StrictBool | None = Field(
        None, description="Default `binary_data` for outputs that do not set it."
    )


class InferenceRequest(BaseModel):
    id: StrictStr | None = None
    parameters: RequestParameters | None = None
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = None


class ResponseOutput(BaseModel):
    name: str
    datatype: str
    shape: list[int]
    parameters: dict[str, Any] | None = None
    data: list[float] | list[int] | None = None


class InferenceResponse(BaseModel):
    model_name: str
    model_version: str
    id: str | None = None
    outputs: list[ResponseOutput]
