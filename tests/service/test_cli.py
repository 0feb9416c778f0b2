"""`digits` CLI: classify a folder of mixed scans locally and against a real service."""

import csv
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from digits_client.classify import RemoteBackend
from digits_client.cli import app
from digits_client.client import DigitsAPIError
from digits_client.sources import Limits, SourceError, SourceItem, iter_items
from tests.live import free_port, live_server
from tests.service.scans import make_number_scans, make_scan_folder

runner = CliRunner()
LIMIT = ["--max-file-bytes", "2000000"]


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory, mnist_test) -> tuple[Path, dict[str, int]]:
    images, labels = mnist_test
    root = tmp_path_factory.mktemp("scans")
    return root, make_scan_folder(root, images, labels)


@pytest.fixture(scope="module")
def numbers(tmp_path_factory: pytest.TempPathFactory, mnist_test) -> dict[str, str]:
    images, labels = mnist_test
    return make_number_scans(tmp_path_factory.mktemp("numbers"), images, labels)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server() as live:
        yield live.url


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def check_rows(rows: list[dict[str, str]], expected: dict[str, int]) -> None:
    """One row per source; readable scans carry the MNIST label, the rest an error code."""
    assert sorted(row["source"] for row in rows) == sorted(expected)
    by_source = {row["source"]: row for row in rows}
    for source, label in expected.items():
        row = by_source[source]
        if label < 0:
            assert row["error"], source
            assert row["digit"] == ""
        else:
            assert row["error"] == "", (source, row)
            assert int(row["digit"]) == label, (source, row)
            assert 0.0 <= float(row["confidence"]) <= 1.0


def test_sources_are_named_by_file_member_and_page(scans) -> None:
    root, expected = scans
    items = list(iter_items([root], limits=Limits(max_bytes=2_000_000)))
    assert {item.source for item in items} == set(expected)
    errors = {item.source: item.error.code for item in items if item.error}
    assert errors == {f"{root / 'batch.zip'}:bomb.png": "file_too_large"}


def test_classify_local_writes_one_row_per_source(scans, tmp_path: Path) -> None:
    root, expected = scans
    out = tmp_path / "results.csv"
    result = runner.invoke(app, ["classify", str(root), "--out", str(out), *LIMIT])
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    check_rows(rows, expected)
    errors = {row["source"]: row["error"] for row in rows if row["error"]}
    assert errors[str(root / "corrupt.png")] == "invalid_image"
    assert errors[f"{root / 'batch.zip'}:bomb.png"] == "file_too_large"
    assert f"{len(expected)} images: 2 failed" in result.stderr


def test_a_parquet_folder_gets_a_file_per_rows_per_file(scans, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    root, expected = scans
    out = tmp_path / "results"
    options = ["--out", str(out), "--rows-per-file", "3", *LIMIT]
    result = runner.invoke(app, ["classify", str(root), *options])
    assert result.exit_code == 0, result.output
    rows = [pq.read_table(f).num_rows for f in out.glob("*.parquet")]
    # Files are cut at 3 rows (and every 5 s, which a slow machine may reach first).
    assert max(rows) == 3 and len(rows) >= -(-len(expected) // 3)
    assert sum(rows) == len(expected)


def test_classify_to_stdout_and_missing_path_is_an_error_row(scans, tmp_path: Path) -> None:
    root, _ = scans
    missing = tmp_path / "missing.png"
    result = runner.invoke(app, ["classify", str(root / "a.png"), str(missing)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [row["source"] for row in rows] == [str(root / "a.png"), str(missing)]
    assert rows[1]["error"] == "not_found"


def test_resume_skips_done_sources_and_repairs_a_torn_last_line(scans, tmp_path: Path) -> None:
    root, expected = scans
    out = tmp_path / "results.jsonl"
    first = runner.invoke(app, ["classify", str(root / "a.png"), "--out", str(out)])
    assert first.exit_code == 0, first.output
    # A crash mid-write leaves half a line behind.
    with out.open("a") as handle:
        handle.write('{"source": "torn')
    result = runner.invoke(app, ["classify", str(root), "--out", str(out), "--resume", *LIMIT])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    sources = [record["source"] for record in records]
    assert sorted(sources) == sorted(expected)
    assert sources.count(str(root / "a.png")) == 1
    assert f"{len(expected) - 1} images" in result.stderr
    assert "1 already done" in result.stderr
    digits = {r["source"]: r["digit"] for r in records if r["error"] is None}
    assert all(digits[s] == label for s, label in expected.items() if label >= 0)


def test_classify_url_matches_local(scans, server: str, tmp_path: Path) -> None:
    root, expected = scans
    local_out, remote_out = tmp_path / "local.csv", tmp_path / "remote.csv"
    local = runner.invoke(app, ["classify", str(root), "--out", str(local_out), *LIMIT])
    assert local.exit_code == 0, local.output
    remote = runner.invoke(
        app,
        [
            *("classify", str(root), "--url", server, "--out", str(remote_out)),
            *("--batch-size", "2", "--concurrency", "3", *LIMIT),
        ],
    )
    assert remote.exit_code == 0, remote.output
    remote_rows = read_csv(remote_out)
    check_rows(remote_rows, expected)
    # Same preprocessing and model on both sides: the same answers, row by row.
    for a, b in zip(read_csv(local_out), remote_rows, strict=True):
        assert (a["source"], a["digit"], a["error"]) == (b["source"], b["digit"], b["error"])
        if a["confidence"]:
            assert float(a["confidence"]) == pytest.approx(float(b["confidence"]), abs=1e-4)


@pytest.mark.parametrize("remote", [False, True], ids=["local", "url"])
def test_classify_read_keeps_numbers_as_text(
    numbers: dict[str, str], server: str, tmp_path: Path, remote: bool
) -> None:
    out = tmp_path / "numbers.csv"
    where = ["--url", server] if remote else []
    result = runner.invoke(app, ["classify", *numbers, "--read", "--out", str(out), *where])
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert list(rows[0]) == ["source", "text", "confidence", "uncertain", "error", "detail"]
    # Leading zeros survive: "0414" stays text, not the number 414.
    assert {row["source"]: row["text"] for row in rows} == numbers


def test_read_command_prints_text_and_boxes(numbers: dict[str, str]) -> None:
    source, text = next(iter(numbers.items()))
    plain = runner.invoke(app, ["read", source])
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.split()[0] == text
    body = json.loads(runner.invoke(app, ["read", source, "--json"]).stdout)
    assert body["text"] == text == "".join(str(d["digit"]) for d in body["digits"])
    assert all(d["box"]["width"] > 0 for d in body["digits"])


def test_unreachable_service_exits_nonzero(scans) -> None:
    root, _ = scans
    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["classify", str(root / "a.png"), "--url", url, "--retries", "1"])
    assert result.exit_code == 1
    assert "unreachable" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--url", "http://127.0.0.1:9", "--model", "models/digits.onnx"],
        ["--resume"],
        ["--model", "no/such/model.onnx"],
        ["--batch-size", "0"],
        ["--out", "no/such/folder/results.csv"],
    ],
)
def test_usage_errors_exit_2(scans, args: list[str]) -> None:
    root, _ = scans
    result = runner.invoke(app, ["classify", str(root / "a.png"), *args])
    assert result.exit_code == 2, result.output


def test_predict_prints_digit_and_json(scans, mnist_test) -> None:
    root, _ = scans
    _, labels = mnist_test
    plain = runner.invoke(app, ["predict", str(root / "a.png")])
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.split()[0] == str(labels[0])
    as_json = runner.invoke(app, ["predict", str(root / "a.png"), "--json"])
    body = json.loads(as_json.stdout)
    assert body["digit"] == labels[0]
    assert np.isclose(sum(body["probabilities"]), 1.0, atol=1e-3)
    assert body["top_k"][0]["digit"] == body["digit"]


def test_predict_url_reports_api_errors(scans, server: str) -> None:
    root, _ = scans
    result = runner.invoke(app, ["predict", str(root / "corrupt.png"), "--url", server])
    assert result.exit_code == 1
    assert "invalid_image" in result.stderr


def test_serve_and_train_forward_their_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda argv: calls.append(argv) or 0)
    result = runner.invoke(app, ["train", "compare", "--epochs", "1"])
    assert result.exit_code == 0
    assert calls[0][1:] == ["-m", "training", "compare", "--epochs", "1"]
    served = runner.invoke(app, ["serve", "--help"])
    assert "--workers" in served.stdout


def test_api_key_is_sent_and_a_refusal_stops_the_run(scans) -> None:
    root, expected = scans
    source = str(root / "a.png")
    with live_server(env={"DIGITS_API_KEY": "k3y-for-tests"}) as live:
        refused = runner.invoke(app, ["classify", source, "--url", live.url])
        allowed = runner.invoke(
            app, ["classify", source, "--url", live.url, "--api-key", "k3y-for-tests"]
        )
    assert refused.exit_code == 1
    assert "401" in refused.stderr
    assert allowed.exit_code == 0, allowed.output
    rows = list(csv.DictReader(allowed.stdout.splitlines()))
    assert int(rows[0]["digit"]) == expected[source]


class TooLargeAbove2:
    """A stand-in client that refuses batches of more than two images, like a 413 would."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def predict_batch(self, images: list[bytes], filenames: list[str]) -> dict:
        self.sizes.append(len(images))
        if len(images) > 2:
            raise DigitsAPIError(413, "payload_too_large", "too big")
        results = [
            {"index": i, "digit": len(data) % 10, "confidence": 1.0, "uncertain": False}
            for i, data in enumerate(images)
        ]
        return {"count": len(images), "failed": 0, "results": results}


def test_a_batch_refused_as_too_large_is_sent_in_halves() -> None:
    stub = TooLargeAbove2()
    backend = RemoteBackend(stub, read=False)  # type: ignore[arg-type]
    items = [SourceItem(f"s{i}", b"x" * i) for i in range(5)]
    items.append(SourceItem("bad", error=SourceError("no")))
    rows = backend.process(items)
    assert [row.source for row in rows] == ["s0", "s1", "s2", "s3", "s4", "bad"]
    assert [row.answer for row in rows[:5]] == ["0", "1", "2", "3", "4"]
    assert rows[5].error == "error"
    assert stub.sizes == [5, 2, 3, 1, 2]
