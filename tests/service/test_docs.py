"""The API docs work offline: every asset the pages load is served by the app itself."""

import re

import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_page_loads_only_local_assets(client, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert assets, "the docs page references no assets"
    for url in assets:
        assert url.startswith("/"), f"{page} loads {url} from outside the service"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url


def test_openapi_schema_lists_every_v1_route(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/v1/predict", "/v1/predict/batch", "/v1/read", "/v1/read/batch", "/v1/model"):
        assert route in paths
