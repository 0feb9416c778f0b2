"""Open Inference Protocol bodies ⇄ numpy: JSON tensors and the binary tensor data extension.

A request body is a JSON header, optionally followed by raw little-endian tensor bytes; then
`Inference-Header-Content-Length` gives the JSON's length and each binary input states its
`binary_data_size`. Responses use the same layout when any output asks for binary data.
Every size is checked against the declared shape before an array is built.
"""

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from pydantic import ValidationError

from digits_core.contract import INPUT_NAME, OUTPUT_NAME
from digits_core.errors import BatchTooLarge, DigitsError, PayloadTooLarge, UnsupportedMediaType
from digits_core.imaging import scale_mnist
from service.schemas.v2 import (
    InferenceRequest,
    InferenceResponse,
    RequestInput,
    ResponseOutput,
)

DIGIT = "digit"
# Accepted trailing dimensions of `image`, after the batch dimension.
IMAGE_SHAPES = ((28, 28, 1), (28, 28), (784,))
PIXELS = 28 * 28
INPUT_DTYPES = {"FP32": np.dtype("<f4"), "UINT8": np.dtype("u1")}
OUTPUT_DTYPES = {OUTPUT_NAME: ("FP32", np.dtype("<f4")), DIGIT: ("INT64", np.dtype("<i8"))}
# zlib window bits: gzip wrapper and zlib wrapper ("deflate" in HTTP means zlib).
ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class InvalidTensor(DigitsError):
    """The request does not describe a tensor the model can take (400)."""

    code = "invalid_tensor"


@dataclass(frozen=True)
class RequestedOutput:
    name: str
    binary: bool


@dataclass(frozen=True)
class DecodedRequest:
    id: str | None
    images: np.ndarray  # float32 [N, 28, 28, 1] in 0..1
    outputs: tuple[RequestedOutput, ...]


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo a request `Content-Encoding`, never inflating past `limit` bytes."""
    if encoding is None or encoding.strip().lower() in ("", "identity"):
        return body
    wbits = ENCODINGS.get(encoding.strip().lower())
    if wbits is None:
        raise UnsupportedMediaType(f"Content-Encoding '{encoding}' is not supported; use gzip.")
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InvalidTensor(f"The body is not valid {encoding} data: {exc}") from exc
    if len(data) > limit or inflater.unconsumed_tail:
        # The traceback keeps this frame until a GC pass; it must not pin the inflated bytes.
        del data
        raise PayloadTooLarge(f"The decompressed body is larger than {limit} bytes.")
    if not inflater.eof or inflater.unused_data:
        raise InvalidTensor(f"The {encoding} body is truncated or has trailing data.")
    return data


def decode_request(body: bytes, header_length: str | None, max_batch: int) -> DecodedRequest:
    """Parse a v2 inference request body into the model's input tensor and the wanted outputs."""
    json_part, binary = split_body(body, header_length)
    try:
        request = InferenceRequest.model_validate(orjson.loads(json_part))
    except orjson.JSONDecodeError as exc:
        raise InvalidTensor(f"The request is not valid JSON: {exc}") from exc
    except ValidationError as exc:
        raise InvalidTensor(f"The request is not a v2 inference request: {describe(exc)}") from exc
    names = [tensor.name for tensor in request.inputs]
    if names != [INPUT_NAME]:
        raise InvalidTensor(f"Expected exactly one input named '{INPUT_NAME}', got {names}.")
    (tensor,) = request.inputs
    raw = binary_chunk(tensor, binary)
    images = image_tensor(tensor, raw, max_batch)
    default_binary = bool(request.parameters and request.parameters.binary_data_output)
    return DecodedRequest(request.id, images, requested_outputs(request, default_binary))


def split_body(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    """The JSON header and the binary remainder, per `Inference-Header-Content-Length`."""
    if header_length is None:
        return body, b""
    try:
        length = int(header_length)
    except ValueError:
        length = -1
    if not 0 < length <= len(body):
        raise InvalidTensor(
            f"Inference-Header-Content-Length must be a byte count between 1 and the body size "
            f"({len(body)}), got '{header_length}'."
        )
    return body[:length], body[length:]


def binary_chunk(tensor: RequestInput, binary: bytes) -> bytes | None:
    """The tensor's bytes from the binary part, or None when it carries JSON `data`."""
    params = tensor.parameters
    if params and params.shared_memory_region is not None:
        raise InvalidTensor("Shared-memory tensors are not supported by this server.")
    size = params.binary_data_size if params else None
    if size is None:
        if binary:
            raise InvalidTensor("The body has binary data but no input declares binary_data_size.")
        return None
    if tensor.data is not None:
        raise InvalidTensor(f"Input '{tensor.name}' has both JSON data and binary_data_size.")
    if size != len(binary):
        raise InvalidTensor(
            f"Input '{tensor.name}' declares binary_data_size {size} but the body has "
            f"{len(binary)} bytes after the JSON header."
        )
    return binary


def image_tensor(tensor: RequestInput, raw: bytes | None, max_batch: int) -> np.ndarray:
    """Check datatype, shape and size, then build float32 [N, 28, 28, 1] in 0..1."""
    dtype = INPUT_DTYPES.get(tensor.datatype)
    if dtype is None:
        raise InvalidTensor(
            f"Input '{INPUT_NAME}' must have datatype FP32 or UINT8, got '{tensor.datatype}'."
        )
    shape = tensor.shape
    if len(shape) < 2 or tuple(shape[1:]) not in IMAGE_SHAPES or shape[0] < 1:
        raise InvalidTensor(
            f"Input '{INPUT_NAME}' must have shape [N,28,28,1], [N,28,28] or [N,784] with N ≥ 1, "
            f"got {shape}."
        )
    count = shape[0]
    if count > max_batch:
        raise BatchTooLarge(f"The batch has {count} images; the limit is {max_batch}.")
    if raw is not None:
        expected = count * PIXELS * dtype.itemsize
        if len(raw) != expected:
            raise InvalidTensor(
                f"Input '{INPUT_NAME}' of shape {shape} and datatype {tensor.datatype} needs "
                f"{expected} bytes of binary data, got {len(raw)}."
            )
        values = np.frombuffer(raw, dtype=dtype)
    else:
        values = json_values(tensor, dtype, count * PIXELS)
    if dtype == np.uint8:
        return scale_mnist(values.reshape(count, 28, 28))
    images = np.array(values, dtype=np.float32).reshape(count, 28, 28, 1)
    # NaN fails both comparisons, so it is refused here too.
    if not ((images >= 0.0) & (images <= 1.0)).all():
        raise InvalidTensor(f"FP32 input '{INPUT_NAME}' values must be between 0 and 1.")
    return images


def json_values(tensor: RequestInput, dtype: np.dtype, count: int) -> np.ndarray:
    """The tensor's JSON `data` (flat, or nested to its shape) as a flat array of `dtype`."""
    if tensor.data is None:
        raise InvalidTensor(f"Input '{INPUT_NAME}' has neither `data` nor binary_data_size.")
    try:
        values = np.asarray(tensor.data)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidTensor(
            f"Input '{INPUT_NAME}' data is not a regular array of numbers."
        ) from exc
    allowed = "iu" if dtype == np.uint8 else "iuf"
    if values.dtype.kind not in allowed:
        kind = "integers" if dtype == np.uint8 else "numbers"
        raise InvalidTensor(f"Input '{INPUT_NAME}' data must be {kind} for {tensor.datatype}.")
    if values.size != count or (values.ndim != 1 and list(values.shape) != tensor.shape):
        raise InvalidTensor(
            f"Input '{INPUT_NAME}' has {values.size} values shaped {list(values.shape)}; "
            f"shape {tensor.shape} needs {count}, flat or nested to that shape."
        )
    values = values.reshape(-1)
    if dtype == np.uint8 and values.size and (values.min() < 0 or values.max() > 255):
        raise InvalidTensor(f"UINT8 input '{INPUT_NAME}' values must be between 0 and 255.")
    return values.astype(dtype)


def requested_outputs(
    request: InferenceRequest, default_binary: bool
) -> tuple[RequestedOutput, ...]:
    """The outputs to return, each with its mode; by default only `probabilities`."""
    if not request.outputs:
        return (RequestedOutput(OUTPUT_NAME, default_binary),)
    outputs: list[RequestedOutput] = []
    for output in request.outputs:
        if output.name not in OUTPUT_DTYPES:
            raise InvalidTensor(
                f"Unknown output '{output.name}'; this model has {sorted(OUTPUT_DTYPES)}."
            )
        if any(seen.name == output.name for seen in outputs):
            raise InvalidTensor(f"Output '{output.name}' is requested twice.")
        params = output.parameters
        if params and (params.classification or params.shared_memory_region is not None):
            raise InvalidTensor("Classification and shared-memory outputs are not supported.")
        binary = params.binary_data if params and params.binary_data is not None else None
        outputs.append(RequestedOutput(output.name, default_binary if binary is None else binary))
    return tuple(outputs)


def encode_response(
    request: DecodedRequest, probabilities: np.ndarray, model_name: str, model_version: str
) -> tuple[bytes, int | None]:
    """The response body and, when any output is binary, the JSON header's length."""
    tensors = {OUTPUT_NAME: probabilities, DIGIT: probabilities.argmax(axis=1)}
    entries: list[ResponseOutput] = []
    chunks: list[bytes] = []
    for output in request.outputs:
        datatype, dtype = OUTPUT_DTYPES[output.name]
        array = np.ascontiguousarray(tensors[output.name], dtype=dtype)
        fields: dict[str, Any]
        if output.binary:
            chunks.append(array.tobytes())
            fields = {"parameters": {"binary_data_size": array.nbytes}}
        else:
            fields = {"data": array.ravel().tolist()}
        entries.append(
            ResponseOutput(name=output.name, datatype=datatype, shape=list(array.shape), **fields)
        )
    response = InferenceResponse(
        model_name=model_name, model_version=model_version, id=request.id, outputs=entries
    )
    header = orjson.dumps(response.model_dump(exclude_none=True))
    if not chunks:
        return header, None
    return header + b"".join(chunks), len(header)


def describe(exc: ValidationError) -> str:
    """A short one-line summary of pydantic's errors."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors()[:5]
    )
