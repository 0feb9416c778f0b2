"""POST /v1/predict: every input form, the response contract, top_k and `uncertain`."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from digits_core.model import DigitModel
from service.app import create_app
from tests.service.conftest import (
    b64,
    canvas_png,
    data_url,
    draw_digit,
    encode,
    mnist_png,
)

RAW_FORMATS = [
    ("image/png", "PNG"),
    ("image/jpeg", "JPEG"),
    ("image/bmp", "BMP"),
    ("image/gif", "GIF"),
    ("image/tiff", "TIFF"),
    ("image/webp", "WEBP"),
]


def check_contract(body: dict, top_k: int = 3) -> None:
    assert set(body) == {"digit", "confidence", "uncertain", "probabilities", "top_k", "model"}
    probabilities = body["probabilities"]
    assert len(probabilities) == 10
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
    assert body["digit"] == int(np.argmax(probabilities))
    assert body["confidence"] == pytest.approx(max(probabilities))
    assert len(body["top_k"]) == top_k
    assert body["top_k"][0] == {"digit": body["digit"], "probability": body["confidence"]}
    ranked = [entry["probability"] for entry in body["top_k"]]
    assert ranked == sorted(ranked, reverse=True)
    assert set(body["model"]) == {"name", "version"}


def test_multipart_file_field(client, seven_png):
    response = client.post("/v1/predict", files={"file": ("seven.png", seven_png, "image/png")})
    assert response.status_code == 200, response.text
    check_contract(response.json())
    assert response.json()["digit"] == 7


@pytest.mark.parametrize(("content_type", "fmt"), RAW_FORMATS)
def test_raw_body_in_every_format(client, content_type, fmt):
    image = draw_digit(7, mode="L" if fmt in {"PNG", "GIF", "TIFF", "BMP"} else "RGB")
    response = client.post(
        "/v1/predict", content=encode(image, fmt), headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text
    assert response.json()["digit"] == 7


def test_json_plain_base64(client, one_png):
    response = client.post("/v1/predict", json={"image": b64(one_png)})
    assert response.status_code == 200, response.text
    check_contract(response.json())
    assert response.json()["digit"] == 1


def test_json_canvas_data_url_with_transparency(client):
    """A browser canvas: black strokes on transparent pixels, sent as toDataURL()."""
    response = client.post("/v1/predict", json={"image": data_url(canvas_png(7))})
    assert response.status_code == 200, response.text
    assert response.json()["digit"] == 7
    assert response.json()["uncertain"] is False


def test_json_pixels_mnist_convention(client, mnist_test):
    images, labels = mnist_test
    for index in range(5):
        response = client.post("/v1/predict", json={"pixels": images[index].tolist()})
        assert response.status_code == 200, response.text
        assert response.json()["digit"] == labels[index]


def test_mnist_image_file_matches_its_pixels(client, mnist_test):
    """A 28×28 MNIST image sent as a PNG reads the same as its raw pixels."""
    images, _ = mnist_test
    as_png = client.post(
        "/v1/predict", content=mnist_png(images[0]), headers={"Content-Type": "image/png"}
    )
    as_pixels = client.post("/v1/predict", json={"pixels": images[0].tolist()})
    assert as_png.json()["digit"] == as_pixels.json()["digit"]


@pytest.mark.parametrize("top_k", [1, 5, 10])
def test_top_k_parameter(client, seven_png, top_k):
    response = client.post(
        f"/v1/predict?top_k={top_k}", content=seven_png, headers={"Content-Type": "image/png"}
    )
    assert response.status_code == 200
    check_contract(response.json(), top_k=top_k)
    assert len({entry["digit"] for entry in response.json()["top_k"]}) == top_k


def test_blank_image_is_uncertain(client):
    blank = encode(draw_digit(1).point(lambda _: 255))
    response = client.post("/v1/predict", content=blank, headers={"Content-Type": "image/png"})
    assert response.status_code == 200
    assert response.json()["uncertain"] is True
    zeros = client.post("/v1/predict", json={"pixels": [[0] * 28] * 28})
    assert zeros.json()["uncertain"] is True


def test_threshold_setting_decides_uncertain(settings, mnist_test):
    images, _ = mnist_test
    # Test digits the classifier reads, but not with certainty; the served (pooled) answer
    # of one of them is unsure too, so a threshold can sit above it.
    probabilities, not_digit = DigitModel.load(settings.model_path).predict_scores(
        images[:2000] / 255.0
    )
    doubtful = np.flatnonzero((probabilities.max(axis=1) < 0.99) & (not_digit < 0.1))

    def ask(threshold: float, pixels: list) -> dict:
        settings.confidence_threshold = threshold
        with TestClient(create_app(settings)) as client:
            assert client.get("/v1/model").json()["threshold"] == threshold
            return client.post("/v1/predict", json={"pixels": pixels}).json()

    candidates = ((images[i].tolist(), ask(0.0, images[i].tolist())) for i in doubtful[:20])
    pixels, sure = next((p, a) for p, a in candidates if a["confidence"] < 0.999)
    assert sure["uncertain"] is False
    confidence = sure["confidence"]
    # At its own confidence the answer is not flagged; just above it, it is.
    assert ask(confidence, pixels)["uncertain"] is False
    assert ask(min(1.0, confidence + 1e-4), pixels)["uncertain"] is True


def test_model_card_route(client):
    card = client.get("/v1/model").json()
    assert card["name"] and card["version"]
    assert len(card["sha256"]) == 64
    assert card["input"]["name"] == "image"
    assert card["input"]["shape"] == ["N", 28, 28, 1]
    assert card["output"] == {
        "name": "probabilities",
        "dtype": "float32",
        "shape": ["N", 10],
        "description": card["output"]["description"],
    }
    assert 0.0 <= card["threshold"] <= 1.0


def test_openapi_documents_every_input_form(client):
    spec = client.get("/openapi.json").json()
    single = spec["paths"]["/v1/predict"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "image/*", "application/json"} <= set(single)
    assert {"base64", "data URL", "pixels"} <= set(single["application/json"]["examples"])
    batch = spec["paths"]["/v1/predict/batch"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(batch)
    assert "PredictResponse" in spec["components"]["schemas"]


def test_openapi_examples_really_work(client):
    """The documented examples are real requests: each one gets a 200."""
    spec = client.get("/openapi.json").json()
    for path in ("/v1/predict", "/v1/predict/batch"):
        examples = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        for example in examples["examples"].values():
            assert client.post(path, json=example["value"]).status_code == 200
