"""MNIST from IDX files (gzip or raw), checked: magic number, item counts and image shape.

Nothing is downloaded: the four files live in `data/mnist/` in the repository.
"""

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits_core.imaging import scale_mnist

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"
VALIDATION_SIZE = 5_000  # the last training images, held out for per-epoch validation
IMAGES_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned byte, 1 dimension
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000),
}


class DataError(Exception):
    """A missing or malformed data file; the message is one line and names the file."""


@dataclass(frozen=True)
class Split:
    """One MNIST split: uint8 images [N, 28, 28] and uint8 labels [N]."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def inputs(self) -> np.ndarray:
        """Model inputs float32 [N, 28, 28, 1] in 0..1, through the shared preprocessing."""
        return scale_mnist(self.images)

    def head(self, count: int | None) -> "Split":
        """The first `count` examples (all of them when `count` is None)."""
        if count is None:
            return self
        return Split(self.images[:count], self.labels[:count])


def find_file(data_dir: Path, stem: str) -> Path:
    """`stem.gz` if present, else the raw `stem`; DataError if neither exists."""
    for candidate in (data_dir / f"{stem}.gz", data_dir / stem):
        if candidate.is_file():
            return candidate
    raise DataError(f"MNIST file not found: {data_dir / stem}[.gz]")


def read_bytes(path: Path) -> bytes:
    """The file's content, gunzipped when it is gzip (detected by its magic, not its name)."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    return raw


def parse_idx(raw: bytes, path: Path, magic: int) -> np.ndarray:
    """IDX bytes → uint8 array with the dimensions from the header; checks magic and size."""
    if len(raw) < 4:
        raise DataError(f"{path} is too short to be an IDX file ({len(raw)} bytes)")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise DataError(f"{path} has magic number {found:#010x}, expected {magic:#010x}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated inside its header")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise DataError(f"{path} has {len(raw):,} bytes but its header {dims} needs {expected:,}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load_idx(path: Path, magic: int) -> np.ndarray:
    """Read and check one IDX file (gzip or raw)."""
    return parse_idx(read_bytes(path), path, magic)


def load_split(name: str, data_dir: Path = DEFAULT_DATA_DIR) -> Split:
    """Load the `train` or `test` split and check counts and shapes."""
    images_stem, labels_stem, count = FILES[name]
    images_path = find_file(Path(data_dir), images_stem)
    labels_path = find_file(Path(data_dir), labels_stem)
    images = load_idx(images_path, IMAGES_MAGIC)
    labels = load_idx(labels_path, LABELS_MAGIC)
    if images.shape != (count, 28, 28):
        raise DataError(f"{images_path} holds {list(images.shape)}, expected [{count}, 28, 28]")
    if labels.shape != (count,):
        raise DataError(f"{labels_path} holds {labels.shape[0]:,} labels, expected {count:,}")
    if labels.max() > 9:
        raise DataError(f"{labels_path} has a label {int(labels.max())}, expected 0..9")
    return Split(images, labels)


def split_validation(train: Split, size: int = VALIDATION_SIZE) -> tuple[Split, Split]:
    """(fit, validation): the validation split is the last `size` training images, so model
    choices never look at the test set."""
    cut = len(train) - size
    return (
        Split(train.images[:cut], train.labels[:cut]),
        Split(train.images[cut:], train.labels[cut:]),
    )


def load_mnist(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[Split, Split]:
    """(train, test) splits from `data_dir`."""
    return load_split("train", data_dir), load_split("test", data_dir)
