"""POST /v1/predict/batch: forms, order, per-item errors, limits, one model call per batch."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.service.conftest import b64, data_url, draw_digit, encode, mnist_png

PREDICTION_KEYS = {"index", "digit", "confidence", "uncertain", "probabilities"}


def test_multipart_files_keep_order_and_filenames(client):
    digits = [7, 1, 0, 7]
    files = [
        ("files", (f"d{i}.png", encode(draw_digit(d)), "image/png")) for i, d in enumerate(digits)
    ]
    response = client.post("/v1/predict/batch", files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["count"], body["failed"]) == (4, 0)
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3]
    assert [r["filename"] for r in body["results"]] == ["d0.png", "d1.png", "d2.png", "d3.png"]
    assert [r["digit"] for r in body["results"]] == digits
    assert set(body["results"][0]) == PREDICTION_KEYS | {"filename"}
    assert set(body["model"]) == {"name", "version"}


def test_bad_item_fails_alone(client, seven_png, one_png):
    files = [
        ("files", ("seven.png", seven_png, "image/png")),
        ("files", ("notes.txt", b"this is not an image", "text/plain")),
        ("files", ("one.png", one_png, "image/png")),
    ]
    body = client.post("/v1/predict/batch", files=files).json()
    assert (body["count"], body["failed"]) == (3, 1)
    good, bad, other = body["results"]
    assert good["digit"] == 7 and other["digit"] == 1
    assert bad == {
        "index": 1,
        "filename": "notes.txt",
        "error": {"code": "invalid_image", "detail": bad["error"]["detail"]},
    }
    assert bad["error"]["detail"]


def test_json_images_mixed_forms_and_errors(client, seven_png, one_png):
    images = [
        b64(seven_png),
        data_url(one_png),
        "%%% not base64 %%%",
        42,
        data_url(b"x", "text/plain"),
    ]
    body = client.post("/v1/predict/batch", json={"images": images}).json()
    assert (body["count"], body["failed"]) == (5, 3)
    results = body["results"]
    assert [r.get("digit") for r in results[:2]] == [7, 1]
    assert [r["error"]["code"] for r in results[2:]] == [
        "invalid_base64",
        "invalid_base64",
        "invalid_image",
    ]
    assert all("filename" not in r for r in results)
    assert set(results[0]) == PREDICTION_KEYS


def test_json_pixels_batch_reads_mnist(client, mnist_test):
    images, labels = mnist_test
    count = 300
    body = client.post("/v1/predict/batch", json={"pixels": images[:count].tolist()}).json()
    predicted = np.array([r["digit"] for r in body["results"]])
    accuracy = float((predicted == labels[:count]).mean())
    assert accuracy >= 0.95, accuracy


def test_mnist_as_png_files_reads_like_pixels(client, mnist_test):
    images, labels = mnist_test
    files = [("files", (f"{i}.png", mnist_png(images[i]), "image/png")) for i in range(100)]
    body = client.post("/v1/predict/batch", files=files).json()
    predicted = np.array([r["digit"] for r in body["results"]])
    assert float((predicted == labels[:100]).mean()) >= 0.95


def test_pixels_item_errors_are_per_item(client, mnist_test):
    images, labels = mnist_test
    pixels = [images[0].tolist(), [[0] * 27] * 28, images[1].tolist(), [[300] * 28] * 28]
    body = client.post("/v1/predict/batch", json={"pixels": pixels}).json()
    assert body["failed"] == 2
    assert [r.get("digit") for r in body["results"]] == [labels[0], None, labels[1], None]
    assert body["results"][1]["error"]["code"] == "invalid_pixels"
    assert body["results"][3]["error"]["code"] == "invalid_pixels"


def test_whole_batch_is_one_model_call(client, monkeypatch, mnist_test):
    model = client.app.state.engine.model
    sizes: list[int] = []
    original = model.predict_scores

    def counting(batch):
        sizes.append(len(batch))
        return original(batch)

    monkeypatch.setattr(model, "predict_scores", counting)
    images, _ = mnist_test
    pixels = [*images[:40].tolist(), [[1]]]
    body = client.post("/v1/predict/batch", json={"pixels": pixels}).json()
    assert body["count"] == 41 and body["failed"] == 1
    assert sizes == [40]


@pytest.mark.parametrize("form", ["json", "multipart"])
def test_more_than_max_batch_is_413(settings, seven_png, form):
    settings.max_batch = 3
    with TestClient(create_app(settings)) as client:
        if form == "json":
            response = client.post("/v1/predict/batch", json={"images": [b64(seven_png)] * 4})
        else:
            files = [("files", (f"{i}.png", seven_png, "image/png")) for i in range(4)]
            response = client.post("/v1/predict/batch", files=files)
        assert response.status_code == 413
        assert response.json()["code"] == "batch_too_large"
        ok = client.post("/v1/predict/batch", json={"images": [b64(seven_png)] * 3})
        assert ok.status_code == 200


@pytest.mark.parametrize("body", [{"images": []}, {"pixels": []}])
def test_empty_batch_is_rejected(client, body):
    response = client.post("/v1/predict/batch", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_multipart_without_files_field(client, seven_png):
    response = client.post("/v1/predict/batch", files={"file": ("x.png", seven_png, "image/png")})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_raw_image_body_is_not_a_batch(client, seven_png):
    response = client.post(
        "/v1/predict/batch", content=seven_png, headers={"Content-Type": "image/png"}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
