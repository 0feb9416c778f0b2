"""`python -m bench.history`: every run's own figures, a row each, oldest first."""

import json
from pathlib import Path
from typing import Any

from bench.history import history, main, runs


def run(commit: str, c64: float | None, read_p50: float | None) -> dict[str, Any]:
    """A run's JSON as `python -m bench` writes it, cut to what the history reads."""
    targets = [{"name": "runtime dependencies on disk", "measured": 199.4}]
    if c64 is not None:
        targets.append({"name": "digits / BentoML: images/s, one image, c=64", "measured": c64})
    http: list[dict[str, Any]] = []
    if read_p50 is not None:
        levels = [
            {"concurrency": 1, "p50_ms": read_p50, "throughput": 8.0},
            {"concurrency": 4, "p50_ms": 260.0, "throughput": 14.8},
        ]
        http.append({"name": "read_a4", "missing": False, "levels": levels})
    result: dict[str, Any] = {
        "meta": {"commit": commit, "loadavg_start": [0.5, 1, 1], "loadavg_end": [1.8, 2, 2]},
        "service": {"http": http},
        "targets": targets,
    }
    if c64 is not None:
        result["peers"] = {}
    return result


def write(directory: Path, name: str, data: dict[str, Any]) -> None:
    (directory / name).write_text(json.dumps(data))


def test_rows_hold_each_runs_figures_oldest_first(tmp_path: Path) -> None:
    write(tmp_path, "20261207-000731.json", run("bac48cc", 0.397, 121.9))
    write(tmp_path, "20261125-081218.json", run("325857a", None, None))
    write(tmp_path, "ray-20261202-112028-n10000.json", {"n": 10000, "ratios": {}})

    found = runs(tmp_path)
    assert [path.stem for path, _ in found] == ["20261125-081218", "20261207-000731"]
    lines = history(found).splitlines()
    rows = [line for line in lines if line.startswith("| 2026")]
    assert len(rows) == 2
    old, new = ([cell.strip() for cell in row.strip("|").split("|")] for row in rows)
    header = [cell.strip() for cell in lines[2].strip("|").split("|")]
    new_cells = dict(zip(header, new, strict=True))
    old_cells = dict(zip(header, old, strict=True))
    assert new_cells["commit"] == "bac48cc" and new_cells["peers"] == "yes"
    assert new_cells["c=64 vs BentoML"] == "0.397×"
    assert new_cells["deps MB"] == "199"
    assert new_cells["read A4 p50 ms"] == "122"
    assert new_cells["read A4 req/s c=4"] == "14.8"
    assert new_cells["load avg"] == "0.5 → 1.8"
    # A figure a run did not measure is a dash, not a zero.
    assert old_cells["c=64 vs BentoML"] == "–" and old_cells["read A4 p50 ms"] == "–"
    assert old_cells["peers"] == ""


def test_main_prints_the_table_of_a_folder(tmp_path: Path, capsys: Any) -> None:
    write(tmp_path, "20261207-000731.json", run("bac48cc", 0.397, 121.9))
    main([str(tmp_path)])
    printed = capsys.readouterr().out
    assert "### Every run" in printed and "bac48cc" in printed


def test_the_committed_results_all_read() -> None:
    found = runs(Path(__file__).resolve().parents[2] / "bench" / "results")
    assert found, "bench/results holds the runs the docs cite"
    table = history(found)
    assert all(path.stem in table for path, _ in found)
