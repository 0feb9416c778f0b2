"""`python -m bench [--quick] [--peers] [--workers 2] [--out DIR]`: measure, print, write JSON.

`python -m bench --ray N` runs only the Ray phase (bench/ray_phase.py) on N generated scans.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import onnxruntime

from bench import floors, peers, phases, server, sizes
from bench.inputs import DESCRIPTIONS, KINDS, ROOT, Inputs, make_inputs
from bench.loadgen import Payload, load
from bench.payloads import all_payloads
from bench.report import write_json
from bench.summary import FLOOR_OF, render, targets
from digits_core.model import DigitModel

DEFAULT_MODEL = ROOT / "models" / "digits.onnx"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, to try the harness")
    parser.add_argument("--workers", type=int, default=2, help="service worker processes")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--peers", action="store_true", help="also compare with a BentoML service (bench-peers)"
    )
    parser.add_argument(
        "--ray",
        type=int,
        metavar="N",
        help="only the Ray phase: classify N generated scans locally and on Ray (bench.ray_phase)",
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure_floors(
    pool: floors.Floors, model_path: Path, inputs: Inputs, quick: bool
) -> dict[str, Any]:
    """In-process numbers: stage costs and single-image time on one core, rates on all cores."""
    duration, rounds = (0.5, 1) if quick else (2.0, 3)
    stage_time = 0.3 if quick else 1.0
    model = DigitModel.load(model_path, intra_op_threads=1)
    model.warm_up()
    reader = floors.reader_beside(model_path)
    preprocessing: dict[str, Any] = {}
    single_us: dict[str, float] = {}
    for kind in KINDS:
        log(f"preprocessing cost: {kind}")
        images = inputs.images[kind]
        decode_us, normalise_us = floors.stage_costs(images, stage_time, 3)
        preprocessing[kind] = {
            "description": DESCRIPTIONS[kind],
            "bytes": statistics.median(len(data) for data in images),
            "decode_us": decode_us,
            "normalise_us": normalise_us,
            "file_size": floors.file_size(images[0]),
            "decoded_shape": floors.decoded_shape(images[0]),
        }
        single_us[kind] = floors.single_image_us(model, reader, images, stage_time, 3)
    rates: dict[str, dict[str, Any]] = {}
    for kind in ("tensor", *KINDS):
        for batch in (1, 256):
            log(f"in-process floor: {kind} batch {batch} on {pool.processes} processes")
            # A batch of 256 photos or scans is many seconds already: one round.
            heavy = batch > 1 and kind in ("photo_jpeg", "scan_jpeg")
            rate = pool.rate(kind, batch, duration, 1 if heavy else rounds)
            rates.setdefault(kind, {})[str(batch)] = asdict(rate)
    return {"preprocessing": preprocessing, "single_us": single_us, "rates": rates}


def client_ceiling(quick: bool) -> list[dict[str, Any]]:
    """The load generator against bench.nullserver: the most it can drive here."""
    duration = 2.0 if quick else 5.0
    levels = []
    with server.null_server() as url:
        for concurrency in (16, 64):
            log(f"load generator ceiling at concurrency {concurrency}")
            request = [Payload.build("GET", "/")]
            run = load(url, request, concurrency=concurrency, requests=10**8, duration=duration)
            levels.append(asdict(phases.summarise(concurrency, [run])))
    return levels


def adjacent_floor(pool: floors.Floors, name: str, duration: float) -> floors.Rate | None:
    """The in-process floor matching an HTTP phase, measured now (None if it has none)."""
    if name not in FLOOR_OF:
        return None
    kind, batch = FLOOR_OF[name]
    log(f"adjacent in-process floor: {kind} batch {batch}")
    return pool.rate(kind, int(batch), min(duration, 3.0), 1)


def bracket(before: floors.Rate, after: floors.Rate) -> dict[str, float]:
    """The mean of the floors measured just before and just after a phase."""
    return {
        "images_per_s": (before.images_per_s + after.images_per_s) / 2,
        "us_per_image": (before.us_per_image + after.us_per_image) / 2,
        "before_images_per_s": before.images_per_s,
        "after_images_per_s": after.images_per_s,
    }


def measure_service(
    pool: floors.Floors, model_path: Path, inputs: Inputs, workers: int, quick: bool
) -> dict[str, Any]:
    """Cold starts, then every HTTP phase (each next to a fresh in-process floor), then RSS."""
    cold_starts: list[float] = []
    running: server.Server | None = None
    for attempt in range(1 if quick else 3):
        if running is not None:
            running.stop()
        log(f"cold start {attempt + 1}")
        running = server.start(model_path, workers)
        cold_starts.append(running.cold_start)
    assert running is not None
    duration, rounds = (2.0, 1) if quick else (10.0, 3)
    try:
        rss_idle = server.rss_report(running.process.pid)
        http: list[dict[str, Any]] = []
        for phase in phases.define_phases(all_payloads(inputs), quick=quick):
            before = adjacent_floor(pool, phase.name, duration)
            log(f"HTTP phase: {phase.name}")
            outcome = asdict(phases.run_phase(running.url, phase, duration=duration, rounds=rounds))
            after = adjacent_floor(pool, phase.name, duration)
            outcome["adjacent_floor"] = before and after and bracket(before, after)
            outcome["rss_after"] = server.rss_report(running.process.pid)
            http.append(outcome)
    finally:
        running.stop()
    return {
        "cold_start_s": cold_starts,
        "rss_idle": rss_idle,
        "rss_after_load": http[-1]["rss_after"],
        "http": http,
        "log": str(running.log),
    }


def git_commit() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return completed.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.ray:
        from bench import ray_phase

        return ray_phase.main(["--n", str(args.ray), "--out", str(args.out)])
    if not args.model.is_file():
        print(f"bench: model not found: {args.model}", file=sys.stderr)
        return 2
    if args.peers and not peers.available():
        print("bench: --peers needs BentoML: pip install -e '.[bench-peers]'", file=sys.stderr)
        return 2
    stamp = time.strftime("%Y%m%d-%H%M%S") + ("-quick" if args.quick else "")
    log("generating inputs from MNIST test digits")
    inputs = make_inputs()
    results: dict[str, Any] = {
        "meta": {
            "stamp": stamp,
            "quick": args.quick,
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(),
            "commit": git_commit(),
            "model": str(args.model),
            "python": platform.python_version(),
            "onnxruntime": onnxruntime.__version__,
        }
    }
    total_mb, each_mb = sizes.runtime_size_mb()
    results["sizes"] = {
        "runtime_mb": total_mb,
        "runtime_each_mb": each_mb,
        "docker_image_mb": sizes.docker_image_mb(),
        "slim_image_mb": sizes.docker_image_mb("python:3.11-slim"),
    }
    with floors.Floors(args.model, inputs.images, inputs.tensors, args.workers) as pool:
        results["floors"] = measure_floors(pool, args.model, inputs, args.quick)
        results["client_ceiling"] = client_ceiling(args.quick)
        results["service"] = measure_service(pool, args.model, inputs, args.workers, args.quick)
    if args.peers:
        results["peers"] = peers.measure(args.model, inputs, args.workers, args.quick)
    results["meta"]["loadavg_end"] = os.getloadavg()
    checks = targets(results)
    results["targets"] = [check.as_dict() for check in checks]
    print(render(results, checks))
    path = write_json(results, args.out, stamp)
    log(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
