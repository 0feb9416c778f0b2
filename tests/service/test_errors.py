"""Every v1 error: a 4xx JSON body with a sentence `detail` and a stable `code`, never a 500."""

import struct

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.service.conftest import b64, draw_digit, encode


def check_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    assert isinstance(body["detail"], str) and len(body["detail"]) > 10


def bmp_header(width: int, height: int) -> bytes:
    """A BMP that declares a huge size but carries no pixels: only the header is honest."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"definitely not an image", "image/png", 400, "invalid_image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", "image/png", 400, "invalid_image"),
        (b"", "image/png", 400, "empty_body"),
        (b"", "application/json", 400, "empty_body"),
        (b"", "multipart/form-data; boundary=b", 400, "empty_body"),
        (b"   ", "application/json", 400, "empty_body"),
        (b"{not json", "application/json", 422, "validation_error"),
        (b"[1, 2]", "application/json", 422, "validation_error"),
        (b'"a string"', "application/json", 422, "validation_error"),
        (b"{}", "application/json", 422, "validation_error"),
        (b'{"image": 5}', "application/json", 422, "validation_error"),
        (b'{"image": "", "pixels": []}', "application/json", 422, "validation_error"),
        (b'{"image": ""}', "application/json", 400, "invalid_base64"),
        (b'{"image": "***"}', "application/json", 400, "invalid_base64"),
        (b'{"image": "data:image/png,abc"}', "application/json", 400, "invalid_base64"),
        (b'{"image": "data:text/plain;base64,aGVsbG8="}', "application/json", 400, "invalid_image"),
        (b'{"image": "aGVsbG8gd29ybGQ="}', "application/json", 400, "invalid_image"),
        (b'{"pixels": "nope"}', "application/json", 400, "invalid_pixels"),
        (b'{"pixels": [[1, 2], [3, 4]]}', "application/json", 400, "invalid_pixels"),
        (b'{"pixels": [[1, 2], [3]]}', "application/json", 400, "invalid_pixels"),
        (b"x", "text/plain", 415, "unsupported_media_type"),
        (b"x", "application/octet-stream", 415, "unsupported_media_type"),
        (b"--b\r\nbroken", "multipart/form-data", 422, "validation_error"),
        (b"--b\r\nbroken", "multipart/form-data; boundary=zz", 422, "validation_error"),
    ],
)
def test_bad_single_requests(client, content, content_type, status, code):
    response = client.post("/v1/predict", content=content, headers={"Content-Type": content_type})
    check_error(response, status, code)


def test_pixels_out_of_range(client):
    check_error(
        client.post("/v1/predict", json={"pixels": [[256] * 28] * 28}), 400, "invalid_pixels"
    )
    check_error(
        client.post("/v1/predict", json={"pixels": [[-1] * 28] * 28}), 400, "invalid_pixels"
    )


def test_multipart_without_file_field(client, seven_png):
    response = client.post("/v1/predict", files={"image": ("x.png", seven_png, "image/png")})
    check_error(response, 422, "validation_error")


def test_multipart_with_two_files(client, seven_png):
    files = [
        ("file", ("a.png", seven_png, "image/png")),
        ("file", ("b.png", seven_png, "image/png")),
    ]
    check_error(client.post("/v1/predict", files=files), 422, "validation_error")


def test_multipart_non_image_file(client):
    response = client.post("/v1/predict", files={"file": ("a.txt", b"hello", "text/plain")})
    check_error(response, 400, "invalid_image")


@pytest.mark.parametrize("top_k", ["0", "11", "three"])
def test_top_k_out_of_range(client, seven_png, top_k):
    response = client.post(
        f"/v1/predict?top_k={top_k}", content=seven_png, headers={"Content-Type": "image/png"}
    )
    check_error(response, 422, "validation_error")


def test_image_too_large_is_refused_from_the_header(client):
    """The header claims 30000×30000 with no pixel data: refused before any decode."""
    response = client.post(
        "/v1/predict", content=bmp_header(30_000, 30_000), headers={"Content-Type": "image/bmp"}
    )
    check_error(response, 413, "image_too_large")


def test_image_pixel_limit_is_a_setting(settings):
    settings.max_image_pixels = 100 * 100
    with TestClient(create_app(settings)) as client:
        big = encode(draw_digit(7, size=200))
        check_error(
            client.post("/v1/predict", content=big, headers={"Content-Type": "image/png"}),
            413,
            "image_too_large",
        )
        small = encode(draw_digit(7, size=100))
        assert client.post("/v1/predict", json={"image": b64(small)}).status_code == 200


@pytest.fixture
def small_body_client(settings):
    settings.max_request_bytes = 4096
    with TestClient(create_app(settings)) as client:
        yield client


def test_payload_too_large_declared(small_body_client):
    response = small_body_client.post(
        "/v1/predict", content=b"\0" * 10_000, headers={"Content-Type": "image/png"}
    )
    check_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    "content_type", ["image/png", "application/json", "multipart/form-data; boundary=b"]
)
def test_payload_too_large_streamed(small_body_client, content_type):
    """A chunked body with no Content-Length is cut off once it passes the limit."""

    def chunks():
        for _ in range(100):
            yield b"\0" * 1024

    response = small_body_client.post(
        "/v1/predict", content=chunks(), headers={"Content-Type": content_type}
    )
    check_error(response, 413, "payload_too_large")


def test_unknown_route_and_method(client):
    check_error(client.get("/v1/nothing-here"), 404, "not_found")
    check_error(client.get("/v1/predict"), 405, "method_not_allowed")


def test_not_ready_before_the_model_loads(settings, seven_png):
    client = TestClient(create_app(settings))  # no `with`: the lifespan has not run
    response = client.post("/v1/predict", content=seven_png, headers={"Content-Type": "image/png"})
    check_error(response, 503, "not_ready")
