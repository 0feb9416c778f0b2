"""Turn the measurements into the issue's targets and the printed report."""

import statistics
from typing import Any

from bench.ceiling import ceilings
from bench.peers import errors, figures
from bench.report import Target, fmt, table

# The in-process floor each HTTP phase is compared with: (input kind, batch).
FLOOR_OF = {
    "predict_multipart": ("mnist_png", "1"),
    "predict_json_b64": ("mnist_png", "1"),
    "predict_json_canvas": ("canvas_png", "1"),
    "batch_256": ("mnist_png", "256"),
    "read_a4": ("scan_jpeg", "1"),
    "v2_infer_256": ("tensor", "256"),
}


def level(phase: dict[str, Any], concurrency: int) -> dict[str, Any] | None:
    return next((lv for lv in phase["levels"] if lv["concurrency"] == concurrency), None)


def best_images_per_s(phase: dict[str, Any]) -> float | None:
    """Highest images/s over the loaded levels (concurrency > 1)."""
    rates = [lv["throughput"] * phase["images_per_request"] for lv in phase["levels"][1:]]
    return max(rates) if rates else None


def floor_rate(results: dict[str, Any], name: str) -> float | None:
    """The floor measured right before the phase, else the one from the floors section."""
    phase = next((p for p in results["service"]["http"] if p["name"] == name), None)
    if phase and phase.get("adjacent_floor"):
        return phase["adjacent_floor"]["images_per_s"]
    kind, batch = FLOOR_OF[name]
    return results["floors"]["rates"][kind][batch]["images_per_s"]


def ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return value / reference


def targets(results: dict[str, Any]) -> list[Target]:
    """Every target of the issue, measured in this run."""
    http = {phase["name"]: phase for phase in results["service"]["http"]}
    floors = results["floors"]
    checks: list[Target] = []
    for name in ("predict_multipart", "predict_json_b64", "predict_json_canvas"):
        phase = http[name]
        c64 = None if phase["missing"] else level(phase, 64)
        images = c64["throughput"] if c64 else None
        share = ratio(images, floor_rate(results, name))
        checks.append(
            Target(f"{name} c=64 / in-process batch-1 floor", share and share * 100, 50, "%", True)
        )
    for name in ("predict_multipart", "predict_json_b64", "predict_json_canvas"):
        phase = http[name]
        c1 = None if phase["missing"] else level(phase, 1)
        kind = FLOOR_OF[name][0]
        gap = c1["p50_ms"] - floors["single_us"][kind] / 1e3 if c1 else None
        checks.append(Target(f"{name} p50 c=1 − in-process single image", gap, 0.8, "ms", False))
    batch = http["batch_256"]
    batch_rate = None if batch["missing"] else best_images_per_s(batch)
    share = ratio(batch_rate, floor_rate(results, "batch_256"))
    name = "batch_256 images/s / in-process batch-256 floor"
    checks.append(Target(name, share and share * 100, 85, "%", True))
    canvas = floors["preprocessing"]["canvas_png"]
    canvas_ratio = canvas["normalise_us"] / canvas["decode_us"]
    checks.append(Target("canvas PNG normalise / decode", canvas_ratio, 0.5, "×", False))
    photo = floors["preprocessing"]["photo_jpeg"]
    photo_ratio = photo["normalise_us"] / photo["decode_us"]
    checks.append(Target("photo JPEG normalise / decode", photo_ratio, 1.0, "×", False))
    for kind in ("photo_jpeg", "scan_jpeg"):
        info = floors["preprocessing"][kind]
        decoded = info["decoded_shape"][0] * info["decoded_shape"][1]
        full = info["file_size"][0] * info["file_size"][1]
        name = f"{kind} decoded pixels / file pixels"
        note = "reduced-size decode (JPEG draft ≥ 2× per side)"
        checks.append(Target(name, decoded / full, 0.25, "×", False, note))
    service = results["service"]
    worker_mb = max(phase["rss_after"]["max_worker_mb"] for phase in http.values())
    cold = statistics.median(service["cold_start_s"])
    checks.append(Target("largest worker RSS after any phase", worker_mb, 200, "MB", False))
    checks.append(Target("cold start (median, spawn → /ready 200)", cold, 1.5, "s", False))
    runtime_mb = results["sizes"]["runtime_mb"]
    checks.append(Target("runtime dependencies on disk", runtime_mb, 200, "MB", False))
    image, slim = results["sizes"]["docker_image_mb"], results["sizes"].get("slim_image_mb")
    over = image - slim if image is not None and slim is not None else None
    checks.append(Target("Docker image over python:3.11-slim", over, 200, "MB", False))
    if "peers" in results:
        checks.extend(peer_targets(results["peers"]))
    ran = [phase for phase in http.values() if not phase["missing"]]
    errors = sum(lv["errors"] for phase in ran for lv in phase["levels"])
    checks.append(Target("errors, all HTTP phases", errors, 0, "", False))
    differing = sum(phase["answers_differing"] + phase["unreadable_bodies"] for phase in ran)
    checks.append(Target("answers under load ≠ answers at c=1", differing, 0, "", False))
    return checks


def peer_targets(peers: dict[str, Any]) -> list[Target]:
    """digits/peer ratios from the same run: throughput ≥ 2×, p50 at c=1 ≤ 0.6×, no errors."""
    rows = {what: (ours, theirs) for what, ours, theirs, _ in figures(peers)}
    checks = []
    for what, limit, higher in (
        ("images/s, one image, c=64", 2.0, True),
        ("images/s, batch 256, c=4", 2.0, True),
        ("p50 latency, one image, c=1", 0.6, False),
    ):
        ours, theirs = rows[what]
        checks.append(Target(f"digits / BentoML: {what}", ratio(ours, theirs), limit, "×", higher))
    wrong = sum(sum(errors(peers[side])) for side in ("digits", "peer"))
    checks.append(Target("peers: errors + answers under load ≠ c=1 (both)", wrong, 0, "", False))
    return checks


def peers_table(results: dict[str, Any]) -> str:
    """Every compared figure as digits, BentoML and digits/BentoML, next to the floors."""
    peers = results["peers"]
    rows = [
        [what, f"{fmt(ours)} {unit}", f"{fmt(theirs)} {unit}", fmt(ratio(ours, theirs)) + "×"]
        for what, ours, theirs, unit in figures(peers)
    ]
    canvas = results["floors"]["rates"]["canvas_png"]
    for batch in ("1", "256"):
        rate = canvas[batch]
        rows.append([f"in-process floor, canvas PNG batch {batch} (µs/image, 1 process)",
                     fmt(rate["us_per_image"]), "", ""])  # fmt: skip
    rows.append(["in-process floor, plain decode → resize → invert → model (µs/image)", "",
                 fmt(peers["peer_floor_us"]), ""])  # fmt: skip
    for bound in ceilings(results):
        rows.append([f"bound if digits' analysis were free: {bound.what}",
                     f"{fmt(bound.digits)} {bound.unit}", f"{fmt(bound.peer)} {bound.unit}",
                     fmt(ratio(bound.digits, bound.peer)) + "×"])  # fmt: skip
    for side in ("digits", "peer"):
        wrong, differing = errors(peers[side])
        rows.append(
            [f"{side}: errors / answers under load ≠ c=1", f"{wrong} / {differing}", "", ""]
        )
    name = peers.get("peer_name", "BentoML")
    title = (
        f"5. digits vs {name} peer ({peers['workers']} workers × 1 onnxruntime thread "
        "each, same canvas PNGs over multipart, same load generator, one after the other)"
    )
    return table(title, ["figure", "digits", "BentoML", "digits/BentoML"], rows)


def floors_table(results: dict[str, Any]) -> str:
    floors = results["floors"]
    rows = []
    for kind, batches in floors["rates"].items():
        label = (
            "onnxruntime alone (tensor)" if kind == "tensor" else f"decode+normalise+infer {kind}"
        )
        for batch, rate in batches.items():
            rows.append([label, batch, fmt(rate["images_per_s"]), fmt(rate["us_per_image"])])
    workers = results["meta"]["workers"]
    title = f"1. In-process floors ({workers} spawned processes × 1 onnxruntime thread, no HTTP)"
    return table(title, ["pipeline", "batch", "images/s (all)", "µs/image (1 process)"], rows)


def preprocessing_table(results: dict[str, Any]) -> str:
    rows = []
    for kind, info in results["floors"]["preprocessing"].items():
        rows.append(
            [
                info["description"],
                fmt(info["bytes"] / 1e3),
                fmt(info["decode_us"]),
                fmt(info["normalise_us"]),
                fmt(info["normalise_us"] / info["decode_us"]),
                "×".join(map(str, info["decoded_shape"])),
                fmt(results["floors"]["single_us"][kind]),
            ]
        )
    header = [
        "input",
        "KB",
        "decode µs",
        "normalise µs",
        "norm/dec",
        "decoded h×w",
        "full 1-image µs",
    ]
    return table("2. Preprocessing cost per image (one core)", header, rows)


def http_table(results: dict[str, Any]) -> str:
    rows = []
    for lv in results["client_ceiling"]:
        rows.append(["load generator alone (bench.nullserver)", str(lv["concurrency"]),
                     str(lv["requests"]), str(lv["errors"]), fmt(lv["throughput"]), "",
                     fmt(lv["p50_ms"]), fmt(lv["p95_ms"]), fmt(lv["p99_ms"])])  # fmt: skip
    for phase in results["service"]["http"]:
        if phase["missing"]:
            rows.append([phase["label"], "", "n/a (route missing)", "", "", "", "", "", ""])
            continue
        share = None
        if phase["name"] in FLOOR_OF:
            share = ratio(best_images_per_s(phase), floor_rate(results, phase["name"]))
        for lv in phase["levels"]:
            images = lv["throughput"] * phase["images_per_request"]
            rows.append(
                [
                    phase["label"],
                    str(lv["concurrency"]),
                    str(lv["requests"]),
                    str(lv["errors"]),
                    fmt(lv["throughput"]),
                    fmt(images) if images else "",
                    fmt(lv["p50_ms"]),
                    fmt(lv["p95_ms"]),
                    fmt(lv["p99_ms"]),
                ]
            )
        checked = f"{phase['answers_differing']}/{phase['answers_checked']} differ"
        floor = f"; best/floor {fmt(share and share * 100)} %" if share else ""
        rows[-1][0] += f" [answers: {checked}{floor}]"
    header = [
        "route",
        "conc.",
        "requests",
        "errors",
        "req/s",
        "images/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
    ]
    return table("3. HTTP (load generator: asyncio HTTP/1.1 keep-alive, 1 process)", header, rows)


def footprint_table(results: dict[str, Any]) -> str:
    service, sizes = results["service"], results["sizes"]
    processes = ", ".join(
        f"{p['role']} {p['rss_mb']:.0f}" for p in service["rss_after_load"]["processes"]
    )
    docker = sizes["docker_image_mb"]
    loaded = service["rss_after_load"]
    rows = [
        ["RSS idle, all processes (MB)", fmt(service["rss_idle"]["total_mb"])],
        ["RSS after load, all processes (MB)", f"{fmt(loaded['total_mb'])} ({processes})"],
        ["cold start, each round (s)", ", ".join(fmt(s) for s in service["cold_start_s"])],
        ["runtime distributions on disk (MB)", fmt(sizes["runtime_mb"])],
        ["Docker image `digits` (MB)", fmt(docker) if docker is not None else "n/a"],
        ["python:3.11-slim (MB)", fmt(sizes.get("slim_image_mb"))],
    ]
    for phase in service["http"]:
        if not phase["missing"]:
            worker = phase["rss_after"]["max_worker_mb"]
            rows.append([f"largest worker RSS after {phase['name']} (MB)", fmt(worker)])
    return table("4. Footprint", ["what", "value"], rows)


def render(results: dict[str, Any], checks: list[Target]) -> str:
    """The whole report as Markdown."""
    meta = results["meta"]
    head = (
        f"## digits benchmark {meta['stamp']} (commit {meta['commit']}, {meta['cpus']} CPUs, "
        f"load average {meta['loadavg_start'][0]:.1f} → {meta['loadavg_end'][0]:.1f})\n"
    )
    target_rows = [check.as_row() for check in checks]
    parts = [
        head,
        floors_table(results),
        preprocessing_table(results),
        http_table(results),
        footprint_table(results),
        *([peers_table(results)] if "peers" in results else []),
        table("Targets", ["target", "measured", "target", "status", "note"], target_rows),
    ]
    return "\n".join(parts)
