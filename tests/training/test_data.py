"""The IDX loader: real MNIST, and missing / corrupt / truncated / wrong-magic files."""

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from training.data import (
    DEFAULT_DATA_DIR,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    DataError,
    load_idx,
    load_split,
)


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """Encode a uint8 array as IDX with the given magic number."""
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return magic.to_bytes(4, "big") + dims + array.astype(np.uint8).tobytes()


def write_split(directory: Path, count: int, *, gz: bool = True) -> None:
    """A tiny, valid MNIST-format test split in `directory`."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    for stem, data in (
        ("t10k-images-idx3-ubyte", idx_bytes(images, IMAGES_MAGIC)),
        ("t10k-labels-idx1-ubyte", idx_bytes(labels, LABELS_MAGIC)),
    ):
        path = directory / (f"{stem}.gz" if gz else stem)
        path.write_bytes(gzip.compress(data) if gz else data)


def test_loads_the_real_mnist_test_split() -> None:
    test = load_split("test")
    assert test.images.shape == (10_000, 28, 28)
    assert test.images.dtype == np.uint8
    assert set(np.unique(test.labels)) == set(range(10))
    inputs = test.inputs()
    assert inputs.shape == (10_000, 28, 28, 1)
    assert inputs.dtype == np.float32
    assert inputs.min() >= 0.0 and inputs.max() <= 1.0


@pytest.mark.parametrize("gz", [True, False])
def test_reads_gzip_and_raw_idx(tmp_path: Path, gz: bool) -> None:
    images = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28) % 256
    path = tmp_path / ("x.gz" if gz else "x")
    raw = idx_bytes(images, IMAGES_MAGIC)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    np.testing.assert_array_equal(load_idx(path, IMAGES_MAGIC), images)


def test_wrong_split_size_names_the_file(tmp_path: Path) -> None:
    write_split(tmp_path, count=5)
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz holds"):
        load_split("test", tmp_path)


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"not found: .*t10k-images-idx3-ubyte"):
        load_split("test", tmp_path)


def test_wrong_magic_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.zeros(3, dtype=np.uint8), LABELS_MAGIC))
    with pytest.raises(DataError, match="magic number 0x00000801, expected 0x00000803"):
        load_idx(path, IMAGES_MAGIC)


def test_truncated_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8), IMAGES_MAGIC)[:-10])
    with pytest.raises(DataError, match="needs"):
        load_idx(path, IMAGES_MAGIC)


def test_truncated_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "images"
    path.write_bytes(IMAGES_MAGIC.to_bytes(4, "big") + b"\x00\x00")
    with pytest.raises(DataError, match="header"):
        load_idx(path, IMAGES_MAGIC)


def test_corrupt_gzip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "images.gz"
    valid = gzip.compress(idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8), IMAGES_MAGIC))
    path.write_bytes(valid[: len(valid) // 2])  # gzip magic, then a stream cut short
    with pytest.raises(DataError, match=r"cannot read .*images\.gz"):
        load_idx(path, IMAGES_MAGIC)


def test_cli_prints_data_errors_as_one_line(tmp_path: Path) -> None:
    write_split(tmp_path, count=3, gz=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"garbage")
    checkout = DEFAULT_DATA_DIR.parent.parent
    model = checkout / "models" / "digits.onnx"
    done = subprocess.run(
        [sys.executable, "-m", "training", "evaluate", str(model), "--data-dir", str(tmp_path)],
        cwd=checkout,  # `python -m training` runs from the checkout (it is not in the wheel)
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "t10k-labels-idx1-ubyte has magic number" in errors[0]
