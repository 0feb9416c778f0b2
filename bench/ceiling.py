"""How far digits could go against the peer if its own image analysis cost nothing.

The peer decodes the same PNG and runs the same model; digits adds the ink analysis and the
reader's second opinion. Take those away and what is left is measured in the same run: the
service's HTTP layer on a request that does nothing (`/health`), digits' decode of a canvas
PNG and the classifier alone. The figures below add only those, so they are upper bounds:
the real request also parses a multipart body and builds a larger response. When a bound is
short of a target, no work on the analysis can meet that target; only a faster decode or
HTTP layer could.

`python -m bench.ceiling bench/results/<run>.json` prints a committed run's bounds.
"""

import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

from bench.peers import figures


class Ceiling(NamedTuple):
    """One bound: what it is, digits' best case, the peer's measured figure, the unit."""

    what: str
    digits: float
    peer: float
    unit: str


def health_level(results: dict[str, Any], concurrency: int) -> dict[str, Any] | None:
    http = results.get("service", {}).get("http", [])
    phase = next((p for p in http if p["name"] == "health"), None)
    if phase is None or phase.get("missing"):
        return None
    return next((lv for lv in phase["levels"] if lv["concurrency"] == concurrency), None)


def ceilings(results: dict[str, Any]) -> list[Ceiling]:
    """digits' best case per compared figure, from this run's own measurements; [] when the
    run lacks one of them (no peers, no `/health` phase)."""
    peers = results.get("peers")
    idle_one, idle_many = health_level(results, 1), health_level(results, 64)
    if not peers or idle_one is None or idle_many is None:
        return []
    workers = peers["workers"]
    floors = results["floors"]
    decode_ms = floors["preprocessing"]["canvas_png"]["decode_us"] / 1e3
    model_ms = floors["rates"]["tensor"]["1"]["us_per_image"] / 1e3
    model_batch_ms = floors["rates"]["tensor"]["256"]["us_per_image"] / 1e3
    # A worker's time on one request that does nothing, when all of them are busy.
    http_ms = workers * 1e3 / idle_many["throughput"]
    peer = {what: theirs for what, _, theirs, _ in figures(peers)}
    return [
        Ceiling(
            "images/s, one image, c=64",
            workers * 1e3 / (http_ms + decode_ms + model_ms),
            peer["images/s, one image, c=64"],
            "img/s",
        ),
        Ceiling(
            "images/s, batch 256, c=4",
            workers * 1e3 / (decode_ms + model_batch_ms),
            peer["images/s, batch 256, c=4"],
            "img/s",
        ),
        Ceiling(
            "p50 latency, one image, c=1",
            idle_one["p50_ms"] + decode_ms + model_ms,
            peer["p50 latency, one image, c=1"],
            "ms",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    for path in sys.argv[1:] if argv is None else argv:
        for bound in ceilings(json.loads(Path(path).read_text())):
            print(
                f"{Path(path).stem}: {bound.what}: digits at best {bound.digits:.4g} {bound.unit}, "
                f"BentoML {bound.peer:.4g} {bound.unit}, {bound.digits / bound.peer:.3g}×"
            )


if __name__ == "__main__":
    main()
