"""Every hostile case × every image-accepting route gets the right 4xx and a JSON error body."""

import io

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.reliability import payloads
from tests.reliability.cases import BATCH, PREDICT, READ, Case, all_cases, multipart


def route_exists(client: TestClient, path: str) -> bool:
    """A POST-only route answers GET with 405; a missing one with 404."""
    return client.get(path).status_code != 404


def check_answer(case: Case, response: httpx.Response) -> None:
    """The status, the error body's shape and code, or the batch item's error code."""
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    body = response.json()
    assert response.status_code == case.status, body
    if case.route.startswith("/v2/"):
        if case.code is not None:
            assert isinstance(body.get("error"), str) and body["error"], body
        return
    if case.code is not None:
        assert body["code"] == case.code, body
        assert isinstance(body["detail"], str) and body["detail"], body
    elif case.route == BATCH:
        errors = [result.get("error") for result in body["results"]]
        if case.item_code is None:
            assert errors == [None] * body["count"], body
        else:
            assert [e["code"] for e in errors] == [case.item_code] * body["count"], body
            assert all(e["detail"] for e in errors)
    elif case.route == READ:
        assert isinstance(body["text"], str) and isinstance(body["digits"], list), body
    else:
        assert 0 <= body["digit"] <= 9, body


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.id)
def test_hostile_input_gets_the_right_answer(case: Case, app_client: TestClient) -> None:
    if not route_exists(app_client, case.route):
        pytest.skip(f"{case.route} is not served by this build")
    response = app_client.post(case.route, **case.request())
    check_answer(case, response)
    assert app_client.get("/health").status_code == 200


def predict_probabilities(client: TestClient, data: bytes) -> np.ndarray:
    response = client.post(PREDICT, **multipart("file", data))
    assert response.status_code == 200, response.text
    return np.array(response.json()["probabilities"])


def first_frame_png(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return payloads.encode(image.convert("L"), "PNG")


@pytest.mark.parametrize("make", [payloads.animated_gif, payloads.multipage_tiff])
def test_multi_frame_images_are_read_from_their_first_frame(make, app_client: TestClient) -> None:
    data = make()
    whole = predict_probabilities(app_client, data)
    first = predict_probabilities(app_client, first_frame_png(data))
    np.testing.assert_allclose(whole, first, atol=1e-5)


def test_exif_orientation_is_applied_before_reading(app_client: TestClient) -> None:
    upright = predict_probabilities(app_client, payloads.jpeg())
    rotated = predict_probabilities(app_client, payloads.exif_rotated_jpeg())
    assert int(rotated.argmax()) == int(upright.argmax()) == 7


def test_bomb_is_refused_from_its_header(monkeypatch, app_client: TestClient) -> None:
    """Decoding the bomb would allocate 900 MB; the refusal must come before any pixel load."""
    loaded = []
    original = Image.Image.load
    monkeypatch.setattr(
        Image.Image, "load", lambda self: loaded.append(self.size) or original(self)
    )
    response = app_client.post(PREDICT, **multipart("file", payloads.png_bomb()))
    assert response.status_code == 413 and response.json()["code"] == "image_too_large"
    assert (payloads.BOMB_SIDE, payloads.BOMB_SIDE) not in loaded
