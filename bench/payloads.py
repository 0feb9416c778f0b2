"""HTTP requests for each benchmarked route, built once from the generated inputs."""

import base64

import numpy as np
import orjson

from bench.inputs import Inputs
from bench.loadgen import Payload
from digits_core.contract import INPUT_NAME

BOUNDARY = "digitsbenchboundary7MA4YWxkTrZu0gW"


def multipart(field: str, files: list[tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type: one part per (filename, data, type)."""
    parts: list[bytes] = []
    for filename, data, content_type in files:
        head = (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts += [head.encode(), data, b"\r\n"]
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={BOUNDARY}"


def post(path: str, body_and_type: tuple[bytes, str]) -> Payload:
    body, content_type = body_and_type
    return Payload.build("POST", path, body=body, content_type=content_type)


def predict_multipart(images: list[bytes], mime: str = "image/png") -> list[Payload]:
    """One /v1/predict multipart request per image (field `file`)."""
    return [
        post("/v1/predict", multipart("file", [(f"digit{i}.png", data, mime)]))
        for i, data in enumerate(images)
    ]


def predict_json(images: list[bytes], *, data_url: bool) -> list[Payload]:
    """One /v1/predict JSON request per image: plain base64 or a canvas-style data URL."""
    prefix = "data:image/png;base64," if data_url else ""
    return [
        post(
            "/v1/predict",
            (
                orjson.dumps({"image": prefix + base64.b64encode(data).decode()}),
                "application/json",
            ),
        )
        for data in images
    ]


def batch_multipart(images: list[bytes]) -> list[Payload]:
    """One /v1/predict/batch multipart request holding all `images` (repeated field `files`)."""
    files = [(f"digit{i}.png", data, "image/png") for i, data in enumerate(images)]
    return [post("/v1/predict/batch", multipart("files", files))]


def read_multipart(scans: list[bytes]) -> list[Payload]:
    """One /v1/read multipart request per scan JPEG."""
    return [
        post("/v1/read", multipart("file", [(f"scan{i}.jpg", data, "image/jpeg")]))
        for i, data in enumerate(scans)
    ]


def v2_infer(tensors: np.ndarray) -> list[Payload]:
    """One Open Inference Protocol JSON request with the whole [N, 28, 28, 1] FP32 tensor."""
    request = {
        "id": "bench",
        "inputs": [
            {
                "name": INPUT_NAME,
                "shape": list(tensors.shape),
                "datatype": "FP32",
                "data": np.ascontiguousarray(tensors, dtype=np.float32).ravel(),
            }
        ],
    }
    body = orjson.dumps(request, option=orjson.OPT_SERIALIZE_NUMPY)
    return [post("/v2/models/digits/infer", (body, "application/json"))]


def all_payloads(inputs: Inputs, singles: int = 64) -> dict[str, list[Payload]]:
    """Requests per phase name; `singles` distinct images for the one-image routes."""
    mnist = inputs.images["mnist_png"]
    canvas = inputs.images["canvas_png"]
    return {
        "health": [Payload.build("GET", "/health")],
        "predict_multipart": predict_multipart(mnist[:singles]),
        "predict_json_b64": predict_json(mnist[:singles], data_url=False),
        "predict_json_canvas": predict_json(canvas[:singles], data_url=True),
        "batch_256": batch_multipart(mnist[:256]),
        "read_a4": read_multipart(inputs.images["scan_jpeg"]),
        "v2_infer_256": v2_infer(inputs.tensors[:256]),
    }
