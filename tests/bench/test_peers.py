"""The --peers report: same requests for both servers, every figure as digits/peer, targets."""

from typing import Any

import pytest

from bench import ceiling, peers
from bench.ceiling import ceilings
from bench.history import RESULTS
from bench.loadgen import parse_response
from bench.summary import peer_targets, peers_table


def side(single_rate: float, batch_rate: float, p50: float) -> dict[str, Any]:
    def level(concurrency: int, rate: float, p50_ms: float) -> dict[str, Any]:
        return {"concurrency": concurrency, "throughput": rate, "p50_ms": p50_ms,
                "p99_ms": 2 * p50_ms, "errors": 0}  # fmt: skip

    return {
        "cold_start_s": 1.0,
        "rss": {"total_mb": 300.0},
        "phases": [
            {"name": "canvas_single", "images_per_request": 1, "answers_differing": 0,
             "unreadable_bodies": 0, "levels": [level(1, 100, p50), level(64, single_rate, 9)]},
            {"name": "canvas_batch_256", "images_per_request": 256, "answers_differing": 0,
             "unreadable_bodies": 0, "levels": [level(1, 1, 900), level(4, batch_rate, 3000)]},
        ],
    }  # fmt: skip


def results() -> dict[str, Any]:
    return {
        "peers": {
            "workers": 2,
            "peer_name": "BentoML 1.4",
            "digits": side(600, 4, 1.0),
            "peer": side(200, 4, 4.0),
            "peer_floor_us": 1500.0,
        },
        "floors": {
            "rates": {
                "canvas_png": {"1": {"us_per_image": 3000.0}, "256": {"us_per_image": 2900.0}}
            }
        },
    }


def test_both_servers_get_the_same_images_on_their_own_routes() -> None:
    canvas = [i.to_bytes(2, "big") * 50 for i in range(300)]
    ours = peers.payloads(canvas, "/v1/predict", "/v1/predict/batch")
    theirs = peers.payloads(canvas, "/predict", "/batch")
    assert len(ours["single"]) == peers.SINGLES and len(ours["batch"]) == 1
    for mine, other in zip(
        ours["single"] + ours["batch"], theirs["single"] + theirs["batch"], strict=True
    ):
        assert mine.raw.split(b"\r\n\r\n", 1)[1] == other.raw.split(b"\r\n\r\n", 1)[1]
    assert ours["batch"][0].raw.count(b'name="files"') == peers.BATCH
    assert parse_response(bytearray(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))


def test_every_figure_is_a_ratio_and_the_targets_say_met_or_by_how_much() -> None:
    data = results()
    figures = {what: (ours, theirs) for what, ours, theirs, _ in peers.figures(data["peers"])}
    assert figures["images/s, one image, c=64"] == (600, 200)
    assert figures["images/s, batch 256, c=4"] == (4 * 256, 4 * 256)
    checks = {check.name: check for check in peer_targets(data["peers"])}
    assert checks["digits / BentoML: images/s, one image, c=64"].status == "met"
    assert checks["digits / BentoML: images/s, batch 256, c=4"].status.startswith("MISSED: 0.50×")
    assert checks["digits / BentoML: p50 latency, one image, c=1"].measured == 0.25
    table = peers_table(data)
    assert "digits/BentoML" in table and "3×" in table


def test_the_bound_adds_only_the_idle_request_the_decode_and_the_model() -> None:
    data = results()
    data["floors"]["preprocessing"] = {"canvas_png": {"decode_us": 1000.0}}
    data["floors"]["rates"]["tensor"] = {"1": {"us_per_image": 500.0}, "256": {"us_per_image": 0.0}}
    idle = [{"concurrency": 1, "p50_ms": 0.5, "throughput": 2000.0},
            {"concurrency": 64, "throughput": 4000.0}]  # fmt: skip
    data["service"] = {"http": [{"name": "health", "levels": idle}]}
    bounds = {bound.what: bound for bound in ceilings(data)}
    # 2 workers, each 0.5 ms of HTTP + 1 ms decode + 0.5 ms model per image
    assert bounds["images/s, one image, c=64"].digits == 1000
    assert bounds["images/s, one image, c=64"].peer == 200
    assert bounds["images/s, batch 256, c=4"].digits == 2000
    assert bounds["p50 latency, one image, c=1"].digits == 2.0
    assert "bound if digits' analysis were free: images/s, one image, c=64" in peers_table(data)


def test_no_bound_without_the_idle_requests() -> None:
    data = results()
    data["service"] = {"http": [{"name": "health", "missing": True, "levels": []}]}
    assert ceilings(data) == []
    assert "bound if" not in peers_table(data)


def test_the_bounds_of_a_committed_run_print(capsys: pytest.CaptureFixture[str]) -> None:
    run = max(path for path in RESULTS.glob("*.json") if '"peer_floor_us"' in path.read_text())
    ceiling.main([str(run)])
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 3 and all(line.startswith(run.stem) for line in printed)
