"""`digits classify --engine ray`: the same rows as the local engine, Parquet, resume, URIs.

Ray runs locally (num_cpus=2, a small object store), started once for the module; every run
joins it. The whole module stays well under the CI budget of 3 minutes.
"""

import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from digits_client.cli import app
from tests.service.scans import make_number_scans, make_scan_folder, png_bytes, scan

ray = pytest.importorskip("ray")
pq = pytest.importorskip("pyarrow.parquet")

runner = CliRunner()
LIMIT = ["--max-file-bytes", "2000000"]
COLUMNS = ["source", "digit", "confidence", "uncertain", "error", "detail"]


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[str]:
    """One local Ray for the module; its address lets a subprocess join it."""
    if not ray.is_initialized():
        ray.init(
            num_cpus=2,
            object_store_memory=200 * 1024 * 1024,
            include_dashboard=False,
            log_to_driver=False,
            logging_level="WARNING",
        )
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory, mnist_test) -> tuple[Path, dict[str, int]]:
    images, labels = mnist_test
    root = tmp_path_factory.mktemp("scans")
    return root, make_scan_folder(root, images, labels)


def classify(*args: str) -> None:
    result = runner.invoke(app, ["classify", *args, *LIMIT])
    assert result.exit_code == 0, result.output


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return sorted(csv.DictReader(handle), key=lambda row: row["source"])


def test_ray_rows_equal_local_rows_on_a_mixed_folder(scans, tmp_path: Path) -> None:
    """A zip (with a bomb member), TIFF pages and a corrupt file: the same rows, row by row."""
    root, expected = scans
    classify(str(root), "--out", str(tmp_path / "local.csv"))
    classify(str(root), "--engine", "ray", "--actors", "2", "--out", str(tmp_path / "ray.csv"))
    local, distributed = read_csv(tmp_path / "local.csv"), read_csv(tmp_path / "ray.csv")
    assert [row["source"] for row in distributed] == sorted(expected)
    assert distributed == local
    errors = {row["source"]: row["error"] for row in distributed if row["error"]}
    assert errors == {
        f"{root / 'batch.zip'}:bomb.png": "file_too_large",
        str(root / "corrupt.png"): "invalid_image",
    }


def test_ray_reads_numbers_as_the_local_engine_does(tmp_path: Path, mnist_test) -> None:
    images, labels = mnist_test
    folder = tmp_path / "numbers"
    make_number_scans(folder, images, labels)
    classify(str(folder), "--read", "--out", str(tmp_path / "local.csv"))
    classify(str(folder), "--read", "--engine", "ray", "--out", str(tmp_path / "ray.csv"))
    distributed = read_csv(tmp_path / "ray.csv")
    assert list(distributed[0]) == ["source", "text", "confidence", "uncertain", "error", "detail"]
    assert distributed == read_csv(tmp_path / "local.csv")


def test_parquet_folder_has_one_typed_row_per_image(scans, tmp_path: Path) -> None:
    root, expected = scans
    out = tmp_path / "results"
    classify(str(root), "--engine", "ray", "--out", str(out))
    table = pq.read_table(out)
    assert table.column_names == COLUMNS
    types = {field.name: str(field.type) for field in table.schema}
    assert types == {
        "source": "string",
        "digit": "int64",
        "confidence": "double",
        "uncertain": "bool",
        "error": "string",
        "detail": "string",
    }
    rows = {row["source"]: row for row in table.to_pylist()}
    assert sorted(rows) == sorted(expected)
    for source, label in expected.items():
        if label < 0:
            assert rows[source]["error"] and rows[source]["digit"] is None, source
        else:
            assert rows[source]["error"] is None and 0 <= rows[source]["digit"] <= 9, source
    assert not list(out.glob(".*.tmp"))


def test_file_uri_source_gives_the_local_engines_rows(scans, tmp_path: Path) -> None:
    root, expected = scans
    uri = f"file://{root}"
    classify(uri, "--engine", "ray", "--out", str(tmp_path / "ray.csv"))
    classify(uri, "--out", str(tmp_path / "local.csv"))
    distributed = read_csv(tmp_path / "ray.csv")
    assert [row["source"] for row in distributed] == sorted(
        f"file://{source}" for source in expected
    )
    assert distributed == read_csv(tmp_path / "local.csv")


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory, mnist_test) -> tuple[Path, set[str]]:
    """1,500 scans in 15 folders and a zip of 20: enough for a run to be killed mid-way."""
    images, _ = mnist_test
    root = tmp_path_factory.mktemp("many")
    sources = set()
    for index in range(1500):
        folder = root / f"f{index % 15:02d}"
        folder.mkdir(exist_ok=True)
        path = folder / f"s{index:05d}.png"
        path.write_bytes(png_bytes(scan(images[index], size=56)))
        sources.add(str(path))
    import zipfile

    with zipfile.ZipFile(root / "inbox.zip", "w") as archive:
        for index in range(20):
            archive.writestr(f"m{index}.png", png_bytes(scan(images[index], size=56)))
            sources.add(f"{root / 'inbox.zip'}:m{index}.png")
    return root, sources


def test_a_killed_run_resumed_has_every_source_exactly_once(
    many, tmp_path: Path, local_ray: str
) -> None:
    root, sources = many
    out = tmp_path / "results"
    command = [str(Path(sys.executable).with_name("digits")), "classify"]
    command += [str(root), "--engine", "ray", "--ray-address", local_ray]
    # A file every 50 rows: the first is written long before the last row, however fast the
    # machine (with files every 5 s a quiet machine once finished all 1,520 rows within one).
    command += ["--batch-size", "16", "--out", str(out), "--rows-per-file", "50"]
    driver = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("*.parquet")) and driver.poll() is None:
            assert time.monotonic() < deadline, "no Parquet file written"
            time.sleep(0.05)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver dies without closing anything
        driver.wait()
    first = pq.read_table(out).num_rows
    assert 0 < first < len(sources), "the run was not interrupted mid-way"
    result = runner.invoke(
        app, ["classify", str(root), "--engine", "ray", "--out", str(out), "--resume"]
    )
    assert result.exit_code == 0, result.output
    assert f"({first} already done, skipped)" in result.output
    counts = Counter(pq.read_table(out).column("source").to_pylist())
    assert set(counts) == sources
    assert set(counts.values()) == {1}


def test_without_ray_the_cli_says_how_to_install_it(scans, monkeypatch) -> None:
    root, _ = scans
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    result = runner.invoke(app, ["classify", str(root), "--engine", "ray"])
    assert result.exit_code == 2
    assert "pip install" in result.output and "[ray]" in result.output


def test_rows_of_a_batch_come_from_one_model_call(scans) -> None:
    """The actor class itself: a batch of files (a zip and a TIFF among them) → one call."""
    from digits_client.sources import Limits
    from service.ray_engine import RayClassifier

    root, _ = scans
    files = [root / "a.png", root / "batch.zip", root / "scan.tif", root / "corrupt.png"]
    actor = RayClassifier(None, False, [(str(root), "scans")], Limits(max_bytes=2_000_000))
    calls = []
    scores = actor.backend.engine.scores
    actor.backend.engine.scores = lambda inputs: calls.append(len(inputs)) or scores(inputs)
    batch = {
        "path": np.array([str(f) for f in files], dtype=object),
        "bytes": np.array([f.read_bytes() for f in files], dtype=object),
    }
    table = actor(batch)
    assert table.column("source").to_pylist()[:2] == ["scans/a.png", "scans/batch.zip:forms/m2.png"]
    assert table.num_rows == 1 + 3 + 3 + 1
    assert calls == [6]  # a.png, m2, m3 and three pages; the bomb and the corrupt file fail


def test_an_engine_failure_costs_one_row_not_the_job(scans) -> None:
    from digits_client.sources import Limits
    from service.ray_engine import RayClassifier

    root, _ = scans
    files = [root / "a.png", root / "nested" / "b.jpg"]
    actor = RayClassifier(None, False, [(str(root), "scans")], Limits())
    process = actor.backend.process

    def flaky(items):
        if any(item.source.endswith("b.jpg") for item in items):
            raise RuntimeError("boom")
        return process(items)

    actor.backend.process = flaky
    batch = {
        "path": np.array([str(f) for f in files], dtype=object),
        "bytes": np.array([f.read_bytes() for f in files], dtype=object),
    }
    rows = actor(batch).to_pylist()
    assert [(r["source"], r["error"]) for r in rows] == [
        ("scans/a.png", None),
        ("scans/nested/b.jpg", "internal_error"),
    ]
