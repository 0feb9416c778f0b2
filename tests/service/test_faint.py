"""/v1/predict and /v1/read on faint writing (a hard pencil, a pen running dry): ink 14–17 %
darker than the paper, under the contrast at which a whole page was once taken for blank
paper (`digits_core.ink.MIN_CONTRAST`)."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.service.test_read_paperwork import COUNT, assert_mostly_read, numbers, read_all
from tests.utils.paperwork import png, written

SHADES = [0.15, 0.19]  # ink coverage; `png` darkens the paper by 92 % of it


@pytest.mark.parametrize("shade", SHADES)
def test_faint_digits_are_predicted(
    client: TestClient, mnist_test: tuple[np.ndarray, np.ndarray], shade: float
) -> None:
    images, labels = mnist_test
    files = [
        ("files", (f"{i}.png", png(shade * written([images[i]], 0.0, 0.0)), "image/png"))
        for i in range(COUNT)
    ]
    response = client.post("/v1/predict/batch", files=files)
    assert response.status_code == 200
    digits = [result["digit"] for result in response.json()["results"]]
    assert sum(d == label for d, label in zip(digits, labels[:COUNT], strict=True)) >= COUNT - 1


@pytest.mark.parametrize("shade", SHADES)
def test_faint_numbers_are_read(
    client: TestClient, mnist_test: tuple[np.ndarray, np.ndarray], shade: float
) -> None:
    cases = numbers(mnist_test, seed=23)
    texts = read_all(client, [png(shade * written(images, -0.3, 0.03)) for images, _ in cases])
    assert_mostly_read(texts, cases)
