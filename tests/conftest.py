"""Shared fixtures: settings, app and client (lifespan runs), MNIST test digits."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MNIST_DIR = ROOT / "data" / "mnist"
MODEL_PATH = ROOT / "models" / "digits.onnx"


def read_idx(path: Path) -> np.ndarray:
    """Tiny IDX reader for tests (the training package has the checked one)."""
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@pytest.fixture(scope="session")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST test images (uint8 [N, 28, 28]) and labels."""
    images = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    return images, labels


@pytest.fixture(scope="session")
def mnist_train() -> tuple[np.ndarray, np.ndarray]:
    """The 60,000 MNIST training images (uint8 [N, 28, 28]) and labels."""
    images = read_idx(MNIST_DIR / "train-images-idx3-ubyte.gz")
    labels = read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz")
    return images, labels


@pytest.fixture
def settings() -> Settings:
    return Settings(model_path=MODEL_PATH, workers=1)


@pytest.fixture
def client(settings: Settings):
    """A TestClient used as a context manager so the lifespan loads the model."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
