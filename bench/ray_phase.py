"""The Ray phase: `digits classify` on N generated scans (1 % corrupt), the local engine, then
`--engine ray` on a Ray cluster of 1 and of 2 CPUs (one actor per CPU): images/s, the ratios,
the peak RSS of each engine actor and the row counts.

`python -m bench.ray_phase [--n 10000] [--out DIR]` (or `python -m bench --ray N`). The CLI runs
in subprocesses, as a user runs it (bench never imports the server); each Ray cluster is
started by this script (`ray start --head --block`) and stopped by its process group.
Rates are the CLI's own summary line: from the first file listed to the last row written,
so they include joining the cluster and loading the model in every actor.
"""

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from PIL import Image

from bench.inputs import MNIST_IMAGES, ROOT, read_idx

SUMMARY = re.compile(r"(\d+) images: (\d+) failed, .*?([\d.]+) images/s")
DIGITS = str(Path(sys.executable).with_name("digits"))
RAY = str(Path(sys.executable).with_name("ray"))


def log(message: str) -> None:
    print(f"[ray-phase {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_scans(folder: Path, count: int, corrupt_every: int = 100) -> tuple[int, set[str]]:
    """`count` MNIST test digits as 112×112 dark-on-light PNG scans; every 100th is corrupt."""
    digits = read_idx(MNIST_IMAGES)
    corrupt: set[str] = set()
    for index in range(count):
        path = folder / f"d{index // 1000:03d}" / f"scan{index:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if index % corrupt_every == corrupt_every - 1:
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # a PNG header, then nothing
            corrupt.add(str(path))
            continue
        digit = digits[index % len(digits)]
        image = Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BILINEAR)
        image.save(path)
    return count, corrupt


class ActorMemory:
    """Samples the RSS of every Ray engine actor process while a run goes on; keeps the peaks."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.stop.is_set():
            for process in psutil.process_iter(["pid", "cmdline", "memory_info"]):
                cmdline = " ".join(process.info["cmdline"] or [])
                if "RayClassifier" in cmdline and process.info["memory_info"]:
                    rss = process.info["memory_info"].rss
                    self.peaks[process.pid] = max(self.peaks.get(process.pid, 0), rss)
            self.stop.wait(0.25)

    def __enter__(self) -> "ActorMemory":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


@contextmanager
def ray_cluster(cpus: int, port: int, log_file: Path) -> Iterator[str]:
    """A local Ray head with `cpus` CPUs, in its own process group; yields its address."""
    command = [RAY, "start", "--head", "--block", f"--num-cpus={cpus}", f"--port={port}"]
    command += ["--include-dashboard=false", "--disable-usage-stats"]
    command += ["--object-store-memory", str(200 * 1024 * 1024)]
    with log_file.open("w") as output:
        head = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    address = ""
    try:
        address = wait_for_ray(log_file, head)
        yield address
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        time.sleep(5)  # the head's raylet and GCS shut down after `ray start --block` exits
        # `ray start` recorded this head as the machine's current cluster; it is gone now.
        current = Path("/tmp/ray/ray_current_cluster")
        if current.is_file() and current.read_text().strip() == address:
            current.unlink()


def wait_for_ray(log_file: Path, head: subprocess.Popen[bytes]) -> str:
    """The address `ray start` prints once the head is up."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert head.poll() is None, log_file.read_text()[-2000:]
        match = re.search(r"ray start --address='([^']+)'", log_file.read_text())
        if match:
            return match[1]
        time.sleep(0.5)
    raise TimeoutError(f"no Ray head; see {log_file}")


def classify(scans: Path, out: Path, extra: list[str]) -> dict[str, Any]:
    """One `digits classify` run: its summary rate, the rows written and actor memory."""
    command = ["nice", "-n", "10", DIGITS, "classify", str(scans), "--out", str(out), *extra]
    log(" ".join(command[3:]))
    with ActorMemory() as memory:
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"classify failed:\n{done.stderr[-3000:]}")
    match = SUMMARY.search(done.stderr)
    assert match, done.stderr[-2000:]
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "command": " ".join(command[3:]),
        "images_per_s": float(match[3]),
        "wall_s": round(wall, 2),
        "rows": len(rows),
        "distinct_sources": len({row["source"] for row in rows}),
        "error_rows": sum(1 for row in rows if row["error"]),
        "error_sources": sorted(row["source"] for row in rows if row["error"]),
        "actor_peak_rss_mb": sorted(round(rss / 2**20, 1) for rss in memory.peaks.values()),
    }


def run(count: int, work: Path, out_dir: Path) -> dict[str, Any]:
    scans = work / "scans"
    log(f"writing {count} scans (1 % corrupt) to {scans}")
    count, corrupt = make_scans(scans, count)
    results: dict[str, Any] = {
        "n": count,
        "corrupt": len(corrupt),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
    }
    results["local"] = classify(scans, work / "local.csv", [])
    for cpus in (1, 2):
        with ray_cluster(cpus, 6480 + cpus, work / f"ray-head-{cpus}.log") as address:
            # `auto`: the cluster this script just started (it also finds the cluster's token).
            log(f"ray head at {address}")
            extra = ["--engine", "ray", "--ray-address", "auto", "--actors", str(cpus)]
            results[f"ray_{cpus}cpu"] = classify(scans, work / f"ray{cpus}.csv", extra)
    for name in ("local", "ray_1cpu", "ray_2cpu"):
        run_ = results[name]
        run_["all_rows"] = run_["rows"] == count and run_["distinct_sources"] == count
        run_["corrupt_are_errors"] = set(run_.pop("error_sources")) == corrupt
    local, one, two = (results[k]["images_per_s"] for k in ("local", "ray_1cpu", "ray_2cpu"))
    results["ratios"] = {
        "ray_2cpu_over_local": round(two / local, 3),
        "ray_2cpu_over_1cpu": round(two / one, 3),
    }
    results["loadavg_end"] = os.getloadavg()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"ray-{time.strftime('%Y%m%d-%H%M%S')}-n{count}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {path}")
    return results


def render(results: dict[str, Any]) -> str:
    lines = [f"N = {results['n']} scans ({results['corrupt']} corrupt), {results['cpus']} cores"]
    for name in ("local", "ray_1cpu", "ray_2cpu"):
        r = results[name]
        rss = ", ".join(f"{mb:.0f}" for mb in r["actor_peak_rss_mb"]) or "-"
        lines.append(
            f"{name:9} {r['images_per_s']:8.1f} images/s  rows {r['rows']:6d}  "
            f"errors {r['error_rows']:4d}  all rows {r['all_rows']}  "
            f"corrupt = errors {r['corrupt_are_errors']}  actor RSS MB [{rss}]"
        )
    ratios = results["ratios"]
    lines.append(
        f"ray 2 CPUs / local {ratios['ray_2cpu_over_local']:.2f} (target ≥ 0.80); "
        f"ray 2 / 1 CPUs {ratios['ray_2cpu_over_1cpu']:.2f} (target ≥ 1.70)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ray_phase", description=__doc__)
    parser.add_argument("--n", type=int, default=10_000, help="generated scans")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: tmp)")
    args = parser.parse_args(argv)
    if args.work is None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="digits-ray-") as work:
            results = run(args.n, Path(work), args.out)
    else:
        results = run(args.n, args.work, args.out)
    print(render(results))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
