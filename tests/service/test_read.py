"""POST /v1/read and /v1/read/batch end to end: input forms, boxes, no ink, errors, threshold."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from digits_core.confidence import ConfidenceMap
from digits_core.model import ModelLoadError, ReaderModel
from service.app import create_app
from service.settings import Settings
from tests.service.conftest import b64, data_url, encode
from tests.training.test_segmenter import clear_digits, compose, model  # noqa: F401 (fixtures)

NUMBER = [4, 0, 2, 1, 3]
UNSUPPORTED = "unsupported_media_type"


@pytest.fixture
def number_png(clear_digits: dict[int, np.ndarray]) -> tuple[bytes, list[int]]:  # noqa: F811
    gray, lefts = compose([clear_digits[d] for d in NUMBER], [30, 18, 40, 25])
    return encode(Image.fromarray(gray.astype(np.uint8))), lefts


def check_number(body: dict, text: str, reader: dict) -> None:
    """`body` reads `text`, flagged as the reader's card (`reader`, from /v1/model) says."""
    assert set(body) == {"text", "confidence", "uncertain", "digits", "model"}
    assert body["model"]["name"] == "reader"
    assert body["text"] == text
    assert [d["digit"] for d in body["digits"]] == [int(c) for c in text]
    confidences = [d["confidence"] for d in body["digits"]]
    # Before its calibration map, the string is as sure as all its digits together, and no
    # surer than the least sure gap.
    unmapped = ConfidenceMap(**reader["confidence_map"]).inverse(body["confidence"])
    assert 0 < unmapped <= float(np.prod(confidences)) + 1e-6
    for digit in body["digits"]:
        assert digit["uncertain"] == (digit["confidence"] < reader["digit_threshold"])
        assert set(digit["box"]) == {"x", "y", "width", "height"}
    threshold = reader["confidence_threshold"]
    unsure = body["confidence"] < threshold or any(d["uncertain"] for d in body["digits"])
    assert body["uncertain"] == unsure
    xs = [d["box"]["x"] for d in body["digits"]]
    assert xs == sorted(xs)


def test_read_multipart_with_boxes(client: TestClient, number_png: tuple[bytes, list[int]]) -> None:
    data, lefts = number_png
    response = client.post("/v1/read", files={"file": ("number.png", data, "image/png")})
    assert response.status_code == 200
    body = response.json()
    check_number(body, "40213", client.get("/v1/model").json()["reader"])
    for digit, left in zip(body["digits"], lefts, strict=True):
        assert abs(digit["box"]["x"] - left) <= 3


@pytest.mark.parametrize("form", ["raw", "base64", "data_url"])
def test_read_every_input_form(
    client: TestClient, number_png: tuple[bytes, list[int]], form: str
) -> None:
    data, _ = number_png
    if form == "raw":
        response = client.post("/v1/read", content=data, headers={"content-type": "image/png"})
    else:
        image = b64(data) if form == "base64" else data_url(data)
        response = client.post("/v1/read", json={"image": image})
    assert response.status_code == 200
    assert response.json()["text"] == "40213"


def test_blank_image_reads_empty_text(client: TestClient) -> None:
    blank = encode(Image.new("L", (300, 120), 245))
    response = client.post("/v1/read", content=blank, headers={"content-type": "image/png"})
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "" and body["digits"] == []
    assert body["uncertain"] is True and body["confidence"] == 0.0


def test_a_stain_is_no_sure_number(client: TestClient) -> None:
    from training.realistic_set import blob

    # Solid ink ellipses; 5 of these 40 were read "0" unflagged before a page that is one
    # stain had no line to read (digits_core.reading.page_ink).
    rng = np.random.default_rng(77)
    files = [("files", (f"{i}.png", blob(rng), "image/png")) for i in range(40)]
    results = client.post("/v1/read/batch", files=files).json()["results"]
    assert len(results) == 40 and all(result["uncertain"] for result in results)


def test_read_batch_keeps_order_and_isolates_failures(
    client: TestClient, number_png: tuple[bytes, list[int]]
) -> None:
    data, _ = number_png
    blank = encode(Image.new("L", (200, 100), 255))
    files = [
        ("files", ("a.png", data, "image/png")),
        ("files", ("broken.png", b"not an image", "image/png")),
        ("files", ("blank.png", blank, "image/png")),
    ]
    response = client.post("/v1/read/batch", files=files)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["failed"] == 1
    first, second, third = body["results"]
    assert first["index"] == 0 and first["filename"] == "a.png" and first["text"] == "40213"
    assert second["error"]["code"] == "invalid_image"
    assert third["text"] == ""
    json_batch = client.post("/v1/read/batch", json={"images": [b64(data), b64(blank)]})
    assert [r["text"] for r in json_batch.json()["results"]] == ["40213", ""]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"garbage", "headers": {"content-type": "image/png"}}, 400, "invalid_image"),
        (
            {"content": b"x", "headers": {"content-type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        ({"json": {"image": "%%%"}}, 400, "invalid_base64"),
        ({"json": {"nothing": 1}}, 422, "validation_error"),
    ],
)
def test_bad_input_is_a_clear_4xx(client: TestClient, kwargs: dict, status: int, code: str) -> None:
    response = client.post("/v1/read", **kwargs)
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["detail"]


def reader_with(tmp_path: Path, **fields: object) -> Path:
    """A copy of the shipped reader whose card has `fields` changed."""
    source = Path(__file__).resolve().parents[2] / "models" / "reader.onnx"
    copy = tmp_path / "reader.onnx"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, copy)
    card = json.loads(source.with_suffix(".json").read_text())
    copy.with_suffix(".json").write_text(json.dumps(card | fields))
    return copy


# 0 flags nothing; 1.01 is above every confidence (a softmax can round to exactly 1.0).
@pytest.mark.parametrize("threshold", [0.0, 1.01])
def test_threshold_comes_from_the_model_card(
    tmp_path: Path, number_png: tuple[bytes, list[int]], threshold: float
) -> None:
    copy = reader_with(tmp_path, confidence_threshold=threshold, digit_threshold=threshold)
    with TestClient(create_app(Settings(reader_path=copy, workers=1))) as client:
        assert client.get("/v1/model").json()["reader"]["confidence_threshold"] == threshold
        body = client.post("/v1/read", files={"file": ("n.png", number_png[0])}).json()
    assert body["text"] == "40213"
    assert body["uncertain"] is (threshold > 1)
    assert all(d["uncertain"] is (threshold > 1) for d in body["digits"])


def test_the_string_confidence_goes_through_the_cards_map(
    tmp_path: Path, number_png: tuple[bytes, list[int]]
) -> None:
    """The same image read with and without a map: the string's confidence is mapped, the
    digits' are not, and the flags follow the card's two thresholds."""
    bodies = []
    for name, fitted in (("plain", ConfidenceMap()), ("mapped", ConfidenceMap(0.5, 1.0))):
        fields = {"slope": fitted.slope, "intercept": fitted.intercept}
        copy = reader_with(tmp_path / name, confidence_map=fields)
        with TestClient(create_app(Settings(reader_path=copy, workers=1))) as client:
            reader = client.get("/v1/model").json()["reader"]
            assert reader["confidence_map"] == fields
            body = client.post("/v1/read", files={"file": ("n.png", number_png[0])}).json()
            check_number(body, "40213", reader)
            bodies.append(body)
    plain, mapped = bodies
    assert mapped["confidence"] == pytest.approx(ConfidenceMap(0.5, 1.0)(plain["confidence"]))
    assert mapped["confidence"] != pytest.approx(plain["confidence"])
    assert mapped["digits"] == plain["digits"]


@pytest.mark.parametrize(("string", "digit"), [(0.0, 1.01), (1.01, 0.0)])
def test_the_string_and_its_digits_are_flagged_at_their_own_thresholds(
    tmp_path: Path, number_png: tuple[bytes, list[int]], string: float, digit: float
) -> None:
    copy = reader_with(tmp_path, confidence_threshold=string, digit_threshold=digit)
    with TestClient(create_app(Settings(reader_path=copy, workers=1))) as client:
        body = client.post("/v1/read", files={"file": ("n.png", number_png[0])}).json()
    assert body["text"] == "40213"
    assert all(d["uncertain"] is (digit > 1) for d in body["digits"])
    # Flagged either by its own threshold or by an uncertain digit.
    assert body["uncertain"] is True


@pytest.mark.parametrize(
    "bad", [{"slope": -0.5, "intercept": 1.0}, {"slope": "steep"}, {"intercept": 1.0}, [1, 2]]
)
def test_a_bad_confidence_map_fails_at_load_naming_the_card(tmp_path: Path, bad: object) -> None:
    copy = reader_with(tmp_path, confidence_map=bad)
    with pytest.raises(ModelLoadError, match=re.escape(str(copy.with_suffix(".json")))):
        ReaderModel.load(copy)
