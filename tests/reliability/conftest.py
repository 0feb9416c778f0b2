"""A module-scoped app client for the reliability tests (the model loads once per module)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.conftest import MODEL_PATH


@pytest.fixture(scope="module")
def app_client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=MODEL_PATH, workers=1))) as client:
        yield client
