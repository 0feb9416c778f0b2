"""Memory stays bounded: the real server's RSS after the whole hostile table is within 1.25×."""

from pathlib import Path

import httpx
import pytest

from tests.live import live_server
from tests.reliability import payloads
from tests.reliability.cases import BATCH, PREDICT, all_cases, multipart

GROWTH_LIMIT = 1.25


def rss_kib(pid: int) -> int:
    """VmRSS of a process, in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


@pytest.mark.slow
def test_rss_after_the_hostile_table_stays_within_bound() -> None:
    with live_server() as server, httpx.Client(base_url=server.url, timeout=120) as client:
        # Warm up with legitimate work first: full batches are the normal peak, and the
        # allocator and onnxruntime's arena reach their plateau after the second one.
        assert client.post(PREDICT, **multipart("file", payloads.png())).status_code == 200
        for _ in range(3):
            assert client.post(BATCH, **multipart("files", payloads.png(), 512)).status_code == 200
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
