"""/health (liveness) and /ready (model loaded AND warmed up)."""

import asyncio
import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from digits_core.model import DigitModel, ModelLoadError
from service.app import create_app


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_after_startup(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["model"]["name"]


def test_ready_only_after_warm_up(settings, monkeypatch):
    """/ready is 503 while the warm-up inference runs, 200 once it finished."""
    warm_up_started = threading.Event()
    release = threading.Event()
    original = DigitModel.warm_up

    def slow_warm_up(self):
        warm_up_started.set()
        release.wait(timeout=30)
        original(self)

    monkeypatch.setattr(DigitModel, "warm_up", slow_warm_up)
    app = create_app(settings)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://digits") as client:
            lifespan = app.router.lifespan_context(app)
            startup = asyncio.create_task(lifespan.__aenter__())
            while not warm_up_started.is_set():
                await asyncio.sleep(0.01)
            during = [await client.get("/ready"), await client.get("/health")]
            release.set()
            await startup
            after = await client.get("/ready")
            await lifespan.__aexit__(None, None, None)
            return [*during, after]

    during_ready, during_health, after_ready = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert during_ready.status_code == 503
    assert during_ready.json()["status"] == "loading"
    assert during_ready.json()["code"] == "not_ready"
    assert during_health.status_code == 200
    assert after_ready.status_code == 200
    assert after_ready.json()["status"] == "ready"


def test_startup_fails_cleanly_on_a_bad_model(settings, tmp_path):
    """Run under any ASGI server, a bad model stops startup with an error naming the file."""
    settings.model_path = tmp_path / "missing.onnx"
    with pytest.raises(ModelLoadError, match=r"missing\.onnx"), TestClient(create_app(settings)):
        pass
