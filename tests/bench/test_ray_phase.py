"""bench.ray_phase without a cluster: the generated scans and the printed summary."""

from pathlib import Path

from bench.ray_phase import make_scans, render


def test_scans_are_pngs_with_one_corrupt_file_in_a_hundred(tmp_path: Path) -> None:
    count, corrupt = make_scans(tmp_path, 200)
    files = sorted(tmp_path.rglob("*.png"))
    assert count == len(files) == 200
    assert len(corrupt) == 2 and corrupt <= {str(f) for f in files}
    assert all(f.read_bytes().startswith(b"\x89PNG") for f in files)


def test_summary_prints_rates_ratios_and_actor_memory() -> None:
    run = {"rows": 100, "error_rows": 1, "all_rows": True, "corrupt_are_errors": True}
    results = {
        "n": 100,
        "corrupt": 1,
        "cpus": 2,
        "local": {**run, "images_per_s": 200.0, "actor_peak_rss_mb": []},
        "ray_1cpu": {**run, "images_per_s": 90.0, "actor_peak_rss_mb": [250.0]},
        "ray_2cpu": {**run, "images_per_s": 170.0, "actor_peak_rss_mb": [250.0, 260.0]},
        "ratios": {"ray_2cpu_over_local": 0.85, "ray_2cpu_over_1cpu": 1.89},
    }
    text = render(results)
    assert "ray 2 CPUs / local 0.85" in text and "ray 2 / 1 CPUs 1.89" in text
    assert "[250, 260]" in text
