"""`--peers`: digits and a plain BentoML service on the same model, same inputs, same load, one run.

Both servers get the same canvas PNGs over multipart (one image per request, and 256 in one
request), driven by `bench.loadgen` one after the other; every figure is printed as digits/peer.
The peer (bench/peer/service.py) needs the `bench-peers` extra (BentoML 1.4).
"""

import importlib.util
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from bench import phases, server
from bench.inputs import Inputs
from bench.loadgen import Payload
from bench.payloads import multipart, post

SINGLES = 64
BATCH = 256
PEER_APP = "bench.peer.service:Peer"


def available() -> bool:
    """True when BentoML is installed (the `bench-peers` extra)."""
    return importlib.util.find_spec("bentoml") is not None


def payloads(canvas: list[bytes], single_path: str, batch_path: str) -> dict[str, list[Payload]]:
    """The compared requests: field `file` with one canvas PNG, field `files` with 256."""
    singles = [
        post(single_path, multipart("file", [(f"digit{i}.png", data, "image/png")]))
        for i, data in enumerate(canvas[:SINGLES])
    ]
    files = [(f"digit{i}.png", data, "image/png") for i, data in enumerate(canvas[:BATCH])]
    return {"single": singles, "batch": [post(batch_path, multipart("files", files))]}


def compared_phases(requests: dict[str, list[Payload]], quick: bool) -> list[phases.Phase]:
    singles, heavy = (100, 10) if quick else (500, 30)
    return [
        phases.Phase("canvas_single", "multipart, one 280×280 canvas PNG", requests["single"],
                     1, phases.answer_predict, singles, (64,)),
        phases.Phase("canvas_batch_256", "multipart, 256 × 280×280 canvas PNG in one request",
                     requests["batch"], BATCH, phases.answer_batch, heavy, (4,)),
    ]  # fmt: skip


def start_peer(model: Path, workers: int) -> server.Server:
    """`bentoml serve` the peer on a free loopback port; ready when /readyz answers 200."""
    port = server.free_port()
    command = [sys.executable, "-m", "bentoml", "serve", PEER_APP]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    env = {
        **os.environ,
        "DIGITS_PEER_MODEL": str(model),
        "DIGITS_PEER_WORKERS": str(workers),
        "BENTOML_DO_NOT_TRACK": "True",
        "OMP_NUM_THREADS": "1",
    }
    return server.spawn(command, port, "/readyz", env=env)


def peer_floor_us(model: Path, images: list[bytes], seconds: float) -> float:
    """µs per image of the peer's own decode → resize → invert → model call, one process."""
    import io

    import onnxruntime as ort
    from PIL import Image

    from bench.peer.service import to_input  # needs bentoml, like the peer itself

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        array = to_input(Image.open(io.BytesIO(images[done % len(images)])))
        session.run(None, {name: array[np.newaxis, ..., np.newaxis]})
        done += 1
    return (time.perf_counter() - started) / done * 1e6


def run_side(
    name: str, running: server.Server, compared: list[phases.Phase], duration: float, rounds: int
) -> dict[str, Any]:
    """Every compared phase against one running server, then its RSS."""
    outcome: dict[str, Any] = {"cold_start_s": running.cold_start, "phases": []}
    for phase in compared:
        log(f"peers: {name} {phase.name}")
        result = phases.run_phase(running.url, phase, duration=duration, rounds=rounds)
        outcome["phases"].append(asdict(result))
    outcome["rss"] = server.rss_report(running.process.pid)
    return outcome


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure(model: Path, inputs: Inputs, workers: int, quick: bool) -> dict[str, Any]:
    """digits then the peer, each freshly started, on the same payloads and load levels."""
    duration, rounds = (2.0, 1) if quick else (10.0, 3)
    canvas = inputs.images["canvas_png"]
    sides = {
        "digits": (
            lambda: server.start(model, workers),
            payloads(canvas, "/v1/predict", "/v1/predict/batch"),
        ),
        "peer": (lambda: start_peer(model, workers), payloads(canvas, "/predict", "/batch")),
    }
    results: dict[str, Any] = {"workers": workers, "peer_name": "BentoML " + bentoml_version()}
    for name, (start, requests) in sides.items():
        log(f"peers: starting {name}")
        running = start()
        try:
            results[name] = run_side(
                name, running, compared_phases(requests, quick), duration, rounds
            )
        finally:
            running.stop()
    results["peer_floor_us"] = peer_floor_us(model, canvas[:SINGLES], 0.5 if quick else 2.0)
    return results


def bentoml_version() -> str:
    import bentoml

    return str(bentoml.__version__)


def phase_of(side: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in side["phases"] if p["name"] == name)


def level_of(phase: dict[str, Any], concurrency: int) -> dict[str, Any]:
    return next(lv for lv in phase["levels"] if lv["concurrency"] == concurrency)


def figures(results: dict[str, Any]) -> list[tuple[str, float, float, str]]:
    """(what, digits, peer, unit) for every compared figure."""
    rows = []
    for phase_name, label in (("canvas_single", "one image"), ("canvas_batch_256", "batch 256")):
        ours, theirs = (phase_of(results[s], phase_name) for s in ("digits", "peer"))
        per_request = ours["images_per_request"]
        for lv in ours["levels"]:
            c = lv["concurrency"]
            other = level_of(theirs, c)
            if c > 1:
                rows.append((f"images/s, {label}, c={c}", lv["throughput"] * per_request,
                             other["throughput"] * per_request, "img/s"))  # fmt: skip
            for q in ("p50", "p99"):
                rows.append((f"{q} latency, {label}, c={c}", lv[f"{q}_ms"], other[f"{q}_ms"], "ms"))
    rows.append(("cold start (spawn → ready)", results["digits"]["cold_start_s"],
                 results["peer"]["cold_start_s"], "s"))  # fmt: skip
    rows.append(("RSS, all processes after the phases", results["digits"]["rss"]["total_mb"],
                 results["peer"]["rss"]["total_mb"], "MB"))  # fmt: skip
    return rows


def errors(side: dict[str, Any]) -> tuple[int, int]:
    """(errors, answers under load differing from c=1) over a side's phases."""
    wrong = sum(lv["errors"] for p in side["phases"] for lv in p["levels"])
    differing = sum(p["answers_differing"] + p["unreadable_bodies"] for p in side["phases"])
    return wrong, differing
