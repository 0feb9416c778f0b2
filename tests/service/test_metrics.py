"""/metrics: Prometheus text with request, inference, batch, digit, error and model metrics."""

from prometheus_client.parser import text_string_to_metric_families

from tests.service.conftest import b64


def samples(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(snapshot, metric: str, /, **labels) -> float:
    return snapshot.get((metric, frozenset(labels.items())), 0.0)


def test_requests_by_route_and_status(client, seven_png):
    before = samples(client)
    for _ in range(3):
        client.post("/v1/predict", content=seven_png, headers={"Content-Type": "image/png"})
    client.post("/v1/predict", content=b"", headers={"Content-Type": "image/png"})
    after = samples(client)
    ok = {"route": "/v1/predict", "status": "200"}
    bad = {"route": "/v1/predict", "status": "400"}
    assert (
        value(after, "digits_http_requests_total", **ok)
        - value(before, "digits_http_requests_total", **ok)
        == 3
    )
    assert (
        value(after, "digits_http_requests_total", **bad)
        - value(before, "digits_http_requests_total", **bad)
        == 1
    )
    latency = "digits_http_request_duration_seconds_count"
    assert value(after, latency, **ok) - value(before, latency, **ok) == 3


def test_unknown_paths_share_one_label(client):
    client.get("/no/such/path/12345")
    after = samples(client)
    routes = {
        dict(labels).get("route") for name, labels in after if name == "digits_http_requests_total"
    }
    assert "unmatched" in routes
    assert not any(route and "12345" in route for route in routes)


def test_inference_batch_size_and_digits(client, seven_png):
    card = client.get("/v1/model").json()
    reader = card["reader"]
    before = samples(client)
    client.post("/v1/predict/batch", json={"images": [b64(seven_png)] * 5 + ["!!"]})
    after = samples(client)

    def delta(metric, /, **labels):
        return value(after, metric, **labels) - value(before, metric, **labels)

    # One classifier call and one reader call (its second opinion) for the whole batch.
    for model in (card["name"], reader["name"]):
        assert delta("digits_inference_duration_seconds_count", model=model) == 1
        assert delta("digits_inference_batch_size_count", model=model) == 1
        assert delta("digits_inference_batch_size_sum", model=model) == 5
    assert delta("digits_predictions_total", digit="7") == 5
    assert delta("digits_errors_total", code="invalid_base64") == 1


def test_errors_by_code(client):
    before = samples(client)
    client.post("/v1/predict", content=b"x", headers={"Content-Type": "text/plain"})
    after = samples(client)
    code = {"code": "unsupported_media_type"}
    assert (
        value(after, "digits_errors_total", **code) - value(before, "digits_errors_total", **code)
        == 1
    )


def test_model_info_and_in_flight(client):
    card = client.get("/v1/model").json()
    snapshot = samples(client)
    info = {"name": card["name"], "version": card["version"], "sha256": card["sha256"]}
    assert value(snapshot, "digits_model_info", **info) == 1
    assert ("digits_http_requests_in_flight", frozenset()) in snapshot
