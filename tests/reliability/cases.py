"""The hostile-input table: every case × every image-accepting route, with the right answer.

A `Case` holds httpx request arguments and the expected status and error code. For the batch
route a bad image fails alone (200, the item carries the error), so `item_code` is checked.
"""

import base64
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.reliability import payloads as p

PREDICT = "/v1/predict"
BATCH = "/v1/predict/batch"
READ = "/v1/read"
V2_INFER = "/v2/models/digits/infer"
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Case:
    name: str
    route: str
    request: Callable[[], dict[str, Any]] = field(repr=False)
    status: int
    code: str | None = None  # the response's error code (None for a 2xx)
    item_code: str | None = None  # batch: the single item's error code

    @property
    def id(self) -> str:
        return f"{self.route}:{self.name}"


# name → (bytes factory, status and code when sent as the one image of /v1/predict)
FILES: dict[str, tuple[Callable[[], bytes], int, str | None]] = {
    "zero_bytes": (lambda: b"", 400, "invalid_image"),
    "random_bytes": (p.random_bytes, 400, "invalid_image"),
    "text": (lambda: p.TEXT, 400, "invalid_image"),
    "truncated_png": (lambda: p.truncated(p.png()), 400, "invalid_image"),
    "truncated_jpeg": (lambda: p.truncated(p.jpeg()), 400, "invalid_image"),
    "png_bad_header_crc": (p.png_bad_header_crc, 400, "invalid_image"),
    # Pillow does not check IDAT CRCs; zlib's own checksum guards the data, which is intact.
    "png_bad_data_crc": (p.png_bad_crc, 200, None),
    "1x1": (lambda: p.size_png(1, 1), 200, None),
    "1x10000": (lambda: p.size_png(1, 10_000), 200, None),
    "png_bomb_30000x30000": (p.png_bomb, 413, "image_too_large"),
    "animated_gif": (p.animated_gif, 200, None),
    "multipage_tiff": (p.multipage_tiff, 200, None),
    "cmyk_jpeg": (p.cmyk_jpeg, 200, None),
    "png_16bit": (p.png_16bit, 200, None),
    "palette_png": (p.palette_png, 200, None),
    "svg": (lambda: p.SVG, 400, "invalid_image"),
    "pdf": (lambda: p.PDF, 400, "invalid_image"),
    "jpeg_exif_rotated": (p.exif_rotated_jpeg, 200, None),
}


def multipart(field_name: str, data: bytes, count: int = 1) -> dict[str, Any]:
    return {"files": [(field_name, ("upload.bin", data, "application/octet-stream"))] * count}


def raw(data: bytes, content_type: str) -> dict[str, Any]:
    return {"content": data, "headers": {"content-type": content_type}}


def as_json(document: object) -> dict[str, Any]:
    return raw(json.dumps(document).encode(), "application/json")


def file_cases() -> list[Case]:
    """Each file as multipart and raw body to /v1/predict and /v1/read, and in a batch."""
    cases = []
    for name, (make, status, code) in FILES.items():
        raw_status, raw_code = (400, "empty_body") if name == "zero_bytes" else (status, code)
        for route in (PREDICT, READ):
            cases.append(
                Case(
                    f"{name}/multipart", route, lambda m=make: multipart("file", m()), status, code
                )
            )
            cases.append(
                Case(
                    f"{name}/raw", route, lambda m=make: raw(m(), "image/png"), raw_status, raw_code
                )
            )
        cases.append(
            Case(
                f"{name}/multipart", BATCH, lambda m=make: multipart("files", m()), 200, None, code
            )
        )
    return cases


def png_b64() -> str:
    return base64.b64encode(p.png()).decode()


def js(body: bytes) -> Callable[[], dict[str, Any]]:
    return lambda: raw(body, "application/json")


def px(value: str, shape: tuple[int, int] = (28, 28)) -> Callable[[], dict[str, Any]]:
    return js(p.pixels_json(value, shape))


def v2(data: object, shape: list[int], datatype: str = "FP32") -> Callable[[], dict[str, Any]]:
    tensor = {"name": "image", "shape": shape, "datatype": datatype, "data": data}
    return lambda: as_json({"inputs": [tensor]})


def gzip_bomb() -> dict[str, Any]:
    """64 MB of spaces gzipped to ~64 KB; the inflated size passes the body limit."""
    body = gzip.compress(b" " * (64 * 1024 * 1024), 9)
    return {"content": body, "headers": {**JSON, "content-encoding": "gzip"}}


ONE, BOTH = (PREDICT, READ), (PREDICT, BATCH, READ)
V2_NAN = b'{"inputs": [{"name": "image", "shape": [1, 1], "datatype": "FP32", "data": [NaN]}]}'
# name, routes, request, status, code, batch item code
Row = tuple[str, tuple[str, ...], Callable[[], dict[str, Any]], int, str | None, str | None]
BODIES: list[Row] = [
    ("png_labelled_jpeg", ONE, lambda: raw(p.png(), "image/jpeg"), 200, None, None),
    (
        "png_labelled_text",
        ONE,
        lambda: raw(p.png(), "text/plain"),
        415,
        "unsupported_media_type",
        None,
    ),
    (
        "png_labelled_jpeg",
        (BATCH,),
        lambda: raw(p.png(), "image/jpeg"),
        415,
        "unsupported_media_type",
        None,
    ),
    ("no_content_type", ONE, lambda: {"content": p.png()}, 415, "unsupported_media_type", None),
    (
        "multipart_malformed",
        BOTH,
        lambda: raw(b"--xyz\r\ngarbage", "multipart/form-data; boundary=xyz"),
        422,
        "validation_error",
        None,
    ),
    (
        "multipart_no_boundary",
        BOTH,
        lambda: raw(b"x", "multipart/form-data"),
        422,
        "validation_error",
        None,
    ),
    (
        "multipart_no_file",
        BOTH,
        lambda: {"data": {"note": "hi"}, "files": {"other": ("", b"")}},
        422,
        "validation_error",
        None,
    ),
    (
        "multipart_wrong_field",
        BOTH,
        lambda: multipart("image", p.png()),
        422,
        "validation_error",
        None,
    ),
    (
        "invalid_base64",
        ONE,
        lambda: as_json({"image": "!!!not base64***"}),
        400,
        "invalid_base64",
        None,
    ),
    (
        "data_url_text_plain",
        ONE,
        lambda: as_json({"image": "data:text/plain;base64," + png_b64()}),
        400,
        "invalid_image",
        None,
    ),
    (
        "batch_invalid_base64",
        (BATCH,),
        lambda: as_json({"images": ["!!!"]}),
        200,
        None,
        "invalid_base64",
    ),
    ("pixels_wrong_shape", ONE, px("0", (27, 28)), 400, "invalid_pixels", None),
    ("pixels_negative", ONE, px("-1"), 400, "invalid_pixels", None),
    ("pixels_over_255", ONE, px("256"), 400, "invalid_pixels", None),
    ("pixels_strings", ONE, px('"a"'), 400, "invalid_pixels", None),
    ("pixels_nested_100", ONE, js(p.nested(100)), 400, "invalid_pixels", None),
    (
        "batch_pixels_wrong_shape",
        (BATCH,),
        js(b'{"pixels": [[1, 2]]}'),
        200,
        None,
        "invalid_pixels",
    ),
    ("pixels_nan", BOTH, px("NaN"), 422, "validation_error", None),
    ("pixels_infinite", BOTH, px("1e999"), 422, "validation_error", None),
    ("pixels_nested_5000", BOTH, js(p.nested(5000)), 422, "validation_error", None),
    ("json_array", BOTH, js(b"[1, 2, 3]"), 422, "validation_error", None),
    ("json_string", BOTH, js(b'"hello"'), 422, "validation_error", None),
    ("json_truncated", BOTH, js(b'{"image": '), 422, "validation_error", None),
    ("json_empty", BOTH, js(b""), 400, "empty_body", None),
    (
        "json_50mb",
        BOTH,
        lambda: raw(p.huge_json(), "application/json"),
        413,
        "payload_too_large",
        None,
    ),
    ("empty_batch", (BATCH,), js(b'{"images": []}'), 422, "validation_error", None),
    ("batch_not_a_list", (BATCH,), js(b'{"images": "abc"}'), 422, "validation_error", None),
    (
        "batch_513_json",
        (BATCH,),
        lambda: as_json({"images": [png_b64()] * 513}),
        413,
        "batch_too_large",
        None,
    ),
    (
        "batch_513_files",
        (BATCH,),
        lambda: multipart("files", p.png(), 513),
        413,
        "batch_too_large",
        None,
    ),
    ("same_file_512_times", (BATCH,), lambda: multipart("files", p.png(), 512), 200, None, None),
    # The v2 route takes tensors, not image files: the cases that apply to a tensor body.
    ("zero_bytes", (V2_INFER,), js(b""), 400, "invalid_tensor", None),
    (
        "random_bytes",
        (V2_INFER,),
        lambda: raw(p.random_bytes(), "application/octet-stream"),
        400,
        "invalid_tensor",
        None,
    ),
    ("text", (V2_INFER,), lambda: raw(p.TEXT, "text/plain"), 400, "invalid_tensor", None),
    ("json_array", (V2_INFER,), js(b"[1, 2, 3]"), 400, "invalid_tensor", None),
    (
        "json_50mb",
        (V2_INFER,),
        lambda: raw(p.huge_json(), "application/json"),
        413,
        "payload_too_large",
        None,
    ),
    (
        "nested_5000",
        (V2_INFER,),
        js(b'{"inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        400,
        "invalid_tensor",
        None,
    ),
    ("wrong_shape", (V2_INFER,), v2([0.0] * 700, [1, 700]), 400, "invalid_tensor", None),
    ("shape_data_mismatch", (V2_INFER,), v2([0.0] * 784, [2, 784]), 400, "invalid_tensor", None),
    ("values_over_1", (V2_INFER,), v2([2.0] * 784, [1, 784]), 400, "invalid_tensor", None),
    ("negative", (V2_INFER,), v2([-1.0] * 784, [1, 784]), 400, "invalid_tensor", None),
    ("strings", (V2_INFER,), v2(["a"] * 784, [1, 784]), 400, "invalid_tensor", None),
    ("nan", (V2_INFER,), js(V2_NAN), 400, "invalid_tensor", None),
    (
        "batch_513",
        (V2_INFER,),
        v2([0] * 784 * 513, [513, 784], "UINT8"),
        413,
        "batch_too_large",
        None,
    ),
    ("gzip_bomb", (V2_INFER,), gzip_bomb, 413, "payload_too_large", None),
]


def body_cases() -> list[Case]:
    return [
        Case(name, route, request, status, code, item)
        for name, routes, request, status, code, item in BODIES
        for route in routes
    ]


def all_cases() -> list[Case]:
    return file_cases() + body_cases()
