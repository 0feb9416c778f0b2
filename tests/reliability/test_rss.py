"""Memory stays bounded: the real server's RSS after the whole hostile table is within 1.25×."""

import gzip
import json
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests.live import live_server
from tests.reliability import payloads
from tests.reliability.cases import BATCH, PREDICT, V2_INFER, all_cases, multipart

GROWTH_LIMIT = 1.25


def rss_kib(pid: int) -> int:
    """VmRSS of a process, in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def largest_gzip_request() -> dict:
    """A legal v2 request whose gzip body inflates to just under the body limit (a full
    batch, then whitespace): the most a client may make the server inflate."""
    tensor = {"name": "image", "shape": [512, 784], "datatype": "UINT8", "data": [0] * 784 * 512}
    document = json.dumps({"inputs": [tensor]}).encode()
    document += b" " * (Settings().max_request_bytes - 1024 - len(document))
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    return {"content": gzip.compress(document), "headers": headers}


@pytest.mark.slow
def test_rss_after_the_hostile_table_stays_within_bound() -> None:
    with live_server() as server, httpx.Client(base_url=server.url, timeout=120) as client:
        # Warm up with legitimate work first: full batches are the normal peak (and the
        # largest body a client may have inflated), and the allocator and onnxruntime reach
        # their plateau after the second one.
        assert client.post(PREDICT, **multipart("file", payloads.png())).status_code == 200
        for _ in range(3):
            assert client.post(BATCH, **multipart("files", payloads.png(), 512)).status_code == 200
            assert client.post(V2_INFER, **largest_gzip_request()).status_code == 200
        before = rss_kib(server.process.pid)
        sent = 0
        for case in all_cases():
            response = client.post(case.route, **case.request())
            if response.status_code == 404:
                continue  # a route this build does not serve
            assert response.status_code < 500, (case.id, response.text[:200])
            sent += 1
        assert client.get("/health").status_code == 200
        after = rss_kib(server.process.pid)
    print(f"RSS before {before / 1024:.1f} MiB, after {after / 1024:.1f} MiB, {sent} cases")
    assert sent >= 100
    assert after <= GROWTH_LIMIT * before, f"RSS grew from {before} KiB to {after} KiB"
