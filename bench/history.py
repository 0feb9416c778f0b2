"""`python -m bench.history [DIR]`: every run in bench/results as one Markdown table.

Each row holds a run's own figures, as its JSON recorded them (the targets `python -m bench`
computed in that run, and `/v1/read`'s A4 phase), oldest first. On a shared, noisy machine
one run says little; the table shows which figures moved with the code and which with the
load (the load average at the start and end of each run is in the table too).
"""

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.inputs import ROOT
from bench.report import fmt, table

RESULTS = ROOT / "bench" / "results"

# (column, target name as the runs' JSON records it, unit shown after the figure)
TARGET_COLUMNS = (
    ("c=64 vs BentoML", "digits / BentoML: images/s, one image, c=64", "×"),
    ("batch 256 vs BentoML", "digits / BentoML: images/s, batch 256, c=4", "×"),
    ("p50 vs BentoML", "digits / BentoML: p50 latency, one image, c=1", "×"),
    ("canvas prep / decode", "canvas PNG normalise / decode", "×"),
    ("photo prep / decode", "photo JPEG normalise / decode", "×"),
    ("cold start s", "cold start (median, spawn → /ready 200)", ""),
    ("worker RSS MB", "largest worker RSS after any phase", ""),
    ("deps MB", "runtime dependencies on disk", ""),
    ("image MB over slim", "Docker image over python:3.11-slim", ""),
)


def read_a4(run: dict[str, Any], concurrency: int, figure: str) -> float | None:
    """A figure of the `/v1/read` A4 phase at one concurrency, if the run has it."""
    phase = next((p for p in run["service"]["http"] if p["name"] == "read_a4"), None)
    if phase is None or phase["missing"]:
        return None
    level = next((lv for lv in phase["levels"] if lv["concurrency"] == concurrency), None)
    return level[figure] if level else None


# (column, figure from a run)
PHASE_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], float | None]], ...] = (
    ("read A4 p50 ms", lambda run: read_a4(run, 1, "p50_ms")),
    ("read A4 req/s c=4", lambda run: read_a4(run, 4, "throughput")),
)


def runs(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The runs of `python -m bench` in `directory`, oldest first (other JSON files, such as
    the Ray phase's, are left out: they have no targets)."""
    found = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text())
        if "targets" in data and "meta" in data:
            found.append((path, data))
    return found


def row(path: Path, run: dict[str, Any]) -> list[str]:
    meta = run["meta"]
    measured = {target["name"]: target["measured"] for target in run["targets"]}
    cells = [
        path.stem,
        meta["commit"],
        "yes" if "peers" in run else "",
        f"{meta['loadavg_start'][0]:.1f} → {meta['loadavg_end'][0]:.1f}",
    ]
    for _, name, unit in TARGET_COLUMNS:
        value = measured.get(name)
        cells.append(f"{fmt(value)}{unit}" if value is not None else "–")
    for _, figure in PHASE_COLUMNS:
        value = figure(run)
        cells.append(fmt(value) if value is not None else "–")
    return cells


def history(found: Iterable[tuple[Path, dict[str, Any]]]) -> str:
    """The runs as one Markdown table, a row each."""
    header = ["run", "commit", "peers", "load avg", *(c for c, _, _ in TARGET_COLUMNS)]
    header += [column for column, _ in PHASE_COLUMNS]
    return table("Every run", header, [row(path, run) for path, run in found])


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    print(history(runs(Path(args[0]) if args else RESULTS)))


if __name__ == "__main__":
    main()
