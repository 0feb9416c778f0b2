"""Smoke test of the benchmark harness on tiny inputs (no timing is asserted)."""

import io
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from bench import phases
from bench.inputs import make_inputs
from bench.loadgen import Payload, load, parse_response
from bench.payloads import predict_multipart
from bench.server import free_port
from tests.live import LiveServer, live_server


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server(workers=1) as running:
        yield running


def test_load_generator_counts_every_response_and_error(server: LiveServer) -> None:
    payloads = [Payload.build("GET", "/health"), Payload.build("GET", "/no-such-route")]
    result = load(server.url, payloads, concurrency=3, requests=20, duration=30)
    assert result.count == 20
    assert result.statuses[200] + result.statuses[404] == 20
    assert result.statuses[404] >= 1
    assert result.errors == result.statuses[404]
    assert set(result.bodies) == {0, 1}
    assert sum(sum(counts.values()) for counts in result.bodies.values()) == 20


def test_load_generator_counts_refused_connections_as_errors() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = load(url, [Payload.build("GET", "/health")], concurrency=2, requests=6, duration=10)
    assert result.count == 0
    assert result.transport_errors == 6
    assert result.errors == 6


def test_parse_response_handles_content_length_and_chunked() -> None:
    plain = bytearray(b"HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1")
    assert parse_response(plain) == (201, b"abc", len(plain) - len(b"HTTP/1.1"))
    assert parse_response(bytearray(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab")) is None
    chunked = bytearray(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    assert parse_response(chunked) == (200, b"abcde", len(chunked))


def test_inputs_have_the_promised_sizes_and_modes() -> None:
    inputs = make_inputs(small=2, photos=1, scans=1)
    expected = {
        "mnist_png": ((28, 28), "L"),
        "canvas_png": ((280, 280), "RGBA"),
        "photo_jpeg": ((1000, 800), "RGB"),
        "scan_jpeg": ((2480, 3508), "RGB"),
    }
    for kind, (size, mode) in expected.items():
        image = Image.open(io.BytesIO(inputs.images[kind][0]))
        assert (image.size, image.mode) == (size, mode), kind
    assert len(inputs.labels["scan_jpeg"][0]) == 5
    assert inputs.tensors.shape == (256, 28, 28, 1) and inputs.tensors.dtype == np.float32


def test_phase_checks_answers_and_reports_missing_routes(server: LiveServer) -> None:
    inputs = make_inputs(small=4, photos=0, scans=0)
    payloads = predict_multipart(inputs.images["mnist_png"])
    phase = phases.Phase("p", "predict", payloads, 1, phases.answer_predict, 8, (4,))
    result = phases.run_phase(server.url, phase, duration=0.5, rounds=1, warmup=2)
    assert not result.missing
    assert [level.concurrency for level in result.levels] == [1, 4]
    assert result.levels[0].requests == 8 and result.levels[0].errors == 0
    assert result.answers_checked == result.levels[1].requests > 0
    assert result.answers_differing == 0 and result.unreadable_bodies == 0

    absent = Payload.build("POST", "/v1/no-such-route", body=b"x", content_type="text/plain")
    gone = phases.Phase("gone", "missing", [absent], 1, None, 8, (4,))
    assert phases.run_phase(server.url, gone, duration=0.5, rounds=1).missing


def test_differing_answers_are_counted() -> None:
    reference = {0: Counter({(7, (0.9, 0.1)): 3})}
    loaded = {0: Counter({(7, (0.9, 0.1)): 5, (1, (0.1, 0.9)): 2})}
    result = phases.PhaseResult("p", "p", 1)
    phases.compare(reference, loaded, result)
    assert (result.answers_checked, result.answers_differing) == (7, 2)
