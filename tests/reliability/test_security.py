"""API key, CORS, security headers, request ids, and logs that never hold image bytes."""

import base64
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.logs import ACCESS_LOGGER, JsonFormatter
from service.settings import Settings
from tests.conftest import MODEL_PATH
from tests.reliability import payloads
from tests.reliability.cases import PREDICT, V2_INFER

KEY = "s3cret-key-for-tests"
PROTECTED = [
    ("POST", PREDICT),
    ("POST", "/v1/predict/batch"),
    ("GET", "/v1/model"),
    ("POST", V2_INFER),
    ("GET", "/v2/models/digits"),
    ("GET", "/v2/health/ready"),
]
OPEN = ["/health", "/ready", "/metrics"]


def client_for(**options: object) -> TestClient:
    return TestClient(create_app(Settings(model_path=MODEL_PATH, **options)))


@pytest.fixture(scope="module")
def keyed() -> Iterator[TestClient]:
    with client_for(api_key=KEY) as client:
        yield client


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}],
    ids=["none", "wrong-x-api-key", "wrong-bearer", "no-scheme"],
)
def test_api_routes_refuse_a_missing_or_wrong_key(
    keyed: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = keyed.request(method, path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    if path.startswith("/v2/"):
        assert body["error"] and body["code"] == "unauthorized"
    else:
        assert body["code"] == "unauthorized" and body["detail"]


@pytest.mark.parametrize(
    "headers", [{"X-API-Key": KEY}, {"Authorization": f"Bearer {KEY}"}], ids=["x-api-key", "bearer"]
)
def test_the_right_key_in_either_header_is_accepted(
    keyed: TestClient, headers: dict[str, str]
) -> None:
    response = keyed.post(
        PREDICT, content=payloads.png(), headers={**headers, "content-type": "image/png"}
    )
    assert response.status_code == 200 and response.json()["digit"] == 7
    assert keyed.get("/v2/models/digits", headers=headers).status_code == 200


@pytest.mark.parametrize("path", OPEN)
def test_health_ready_and_metrics_stay_open(keyed: TestClient, path: str) -> None:
    assert keyed.get(path).status_code == 200


def test_open_paths_are_configurable() -> None:
    with client_for(api_key=KEY, open_paths=["/health"]) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"X-API-Key": KEY}).status_code == 200


def test_without_a_key_setting_the_api_is_open(app_client: TestClient) -> None:
    assert app_client.get("/v1/model").status_code == 200


def test_cors_is_off_by_default(app_client: TestClient) -> None:
    origin = {"Origin": "https://evil.example"}
    response = app_client.get("/v1/model", headers=origin)
    assert "access-control-allow-origin" not in response.headers
    preflight = app_client.options(
        PREDICT, headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_the_configured_origins() -> None:
    allowed = "https://app.example"
    with client_for(cors_origins=[allowed], api_key=KEY) as client:
        preflight = client.options(
            PREDICT,
            headers={
                "Origin": allowed,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key, content-type",
            },
        )
        assert preflight.status_code == 200  # answered before the key check
        assert preflight.headers["access-control-allow-origin"] == allowed
        refused = client.get("/v1/model", headers={"Origin": allowed})
        assert refused.status_code == 401  # a browser can read why
        assert refused.headers["access-control-allow-origin"] == allowed
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_the_page_has_security_headers_and_a_csp_without_inline_script(
    app_client: TestClient,
) -> None:
    response = app_client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in response.text.replace(" ", "")  # scripts come from files


def test_api_answers_and_errors_have_the_headers_too(app_client: TestClient) -> None:
    for response in (app_client.get("/health"), app_client.post(PREDICT, content=b"")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" in response.headers


@pytest.mark.parametrize(
    ("given", "echoed"),
    [("abc-123.DEF_4:5", True), ("bad id with spaces", False), ("x" * 200, False), ("", False)],
)
def test_request_id_is_echoed_when_sane_and_generated_otherwise(
    app_client: TestClient, given: str, echoed: bool
) -> None:
    response = app_client.get("/health", headers={"X-Request-ID": given})
    returned = response.headers["x-request-id"]
    assert (returned == given) is echoed
    assert 1 <= len(returned) <= 128 and " " not in returned


def test_error_answers_carry_the_request_id(app_client: TestClient) -> None:
    response = app_client.post(PREDICT, content=b"junk", headers={"X-Request-ID": "err-1"})
    assert response.status_code >= 400 and response.headers["x-request-id"] == "err-1"


def test_access_log_is_json_with_the_request_id_and_no_image_bytes(
    app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    image = payloads.png()
    encoded = base64.b64encode(image).decode()
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        app_client.post(
            PREDICT, json={"image": encoded}, headers={"X-Request-ID": "log-1", "X-API-Key": KEY}
        )
        app_client.post(PREDICT, content=image, headers={"content-type": "image/png"})
    lines = [JsonFormatter().format(record) for record in caplog.records]
    entries = [json.loads(line) for line in lines]
    access = [e for e in entries if e["logger"] == ACCESS_LOGGER]
    assert len(access) == 2
    first = access[0]
    assert first["request_id"] == "log-1" and first["status"] == 200
    assert first["method"] == "POST" and first["path"] == PREDICT
    assert first["duration_ms"] >= 0
    everything = "\n".join(lines)
    assert encoded[:40] not in everything and KEY not in everything
    assert image[8:40].decode("latin-1") not in everything


def test_errors_never_contain_a_stack_trace(app_client: TestClient) -> None:
    response = app_client.post(
        PREDICT, content=payloads.random_bytes(), headers={"content-type": "image/png"}
    )
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert app_client.get("/openapi.json").status_code == 200
    assert not app_client.app.debug
