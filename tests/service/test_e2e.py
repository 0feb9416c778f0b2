"""End to end: a real `python -m service` process on a free loopback port, over HTTP."""

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live import ROOT, free_port, live_server
from tests.service.conftest import data_url, draw_digit, encode

pytestmark = pytest.mark.slow


def request_count(url: str, route: str, status: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "digits_http_requests_total"
        and sample.labels == {"route": route, "status": status}
    )


def test_real_server_answers_every_form():
    seven = encode(draw_digit(7))
    with live_server() as server:
        url = server.url
        assert httpx.get(f"{url}/health").json() == {"status": "ok"}
        forms = [
            {"files": {"file": ("seven.png", seven, "image/png")}},
            {"content": seven, "headers": {"Content-Type": "image/png"}},
            {"json": {"image": data_url(seven)}},
        ]
        for form in forms:
            response = httpx.post(f"{url}/v1/predict", timeout=30, **form)
            assert response.status_code == 200, response.text
            assert response.json()["digit"] == 7
        batch = httpx.post(
            f"{url}/v1/predict/batch",
            files=[
                ("files", ("a.png", seven, "image/png")),
                ("files", ("b.txt", b"no", "text/plain")),
            ],
            timeout=30,
        ).json()
        assert (batch["count"], batch["failed"]) == (2, 1)
        bad = httpx.post(f"{url}/v1/predict", content=b"x", headers={"Content-Type": "text/plain"})
        assert bad.status_code == 415 and bad.json()["code"] == "unsupported_media_type"
        page = httpx.get(f"{url}/")
        assert page.status_code == 200 and "canvas" in page.text


def test_two_workers_share_metrics():
    """With --workers 2 every worker's requests appear in /metrics, whichever answers."""
    seven = encode(draw_digit(7))
    with live_server(workers=2) as server:
        url = server.url
        before = request_count(url, "/v1/predict", "200")
        for _ in range(20):
            # A new connection each time, so both workers get requests.
            response = httpx.post(
                f"{url}/v1/predict",
                content=seven,
                headers={"Content-Type": "image/png"},
                timeout=30,
            )
            assert response.status_code == 200
        for _ in range(4):
            assert request_count(url, "/v1/predict", "200") - before == 20
        text = httpx.get(f"{url}/metrics").text
        assert "digits_model_info{" in text


def run_service(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "service", "--host", "127.0.0.1", "--port", str(free_port()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_model_exits_with_one_line(tmp_path: Path):
    missing = tmp_path / "nowhere.onnx"
    result = run_service("--model", str(missing))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(missing) in lines[0]


def test_corrupt_model_exits_with_one_line(tmp_path: Path):
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07 this is not a protobuf model" * 10)
    result = run_service("--model", str(corrupt))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(corrupt) in lines[0]
