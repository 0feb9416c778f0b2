"""The app factory: `create_app(settings)` wires engine, routers, middleware and errors; importing
this module builds nothing (uvicorn runs it with `--factory`)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from digits_core.model import ModelLoadError
from service import metrics
from service.engine import Engine
from service.errors import install_error_handlers
from service.memory import return_freed_memory
from service.middleware import install_middleware
from service.routes import health, pages, predict, read, v2
from service.settings import Settings, package_version

logger = logging.getLogger("digits")

DOCS_URL = "/docs"
REDOC_URL = "/redoc"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the digits app; the model is loaded and warmed up in the lifespan."""
    settings = settings or Settings()
    return_freed_memory()  # before any worker thread starts, so they share two arenas

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            engine = await run_in_threadpool(Engine.load, settings)
        except ModelLoadError as exc:
            logger.error("digits: cannot start: %s", exc)
            raise
        app.state.engine = engine
        app.state.model = model = engine.model
        metrics.set_model_info(model.name, model.version, model.sha256)
        await run_in_threadpool(model.warm_up)
        await run_in_threadpool(engine.reader.warm_up)
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            engine.close()

    # Swagger UI and ReDoc from files in an installed package: no CDN, so /docs works offline.
    app = FastAPIOffline(
        docs_url=DOCS_URL,
        redoc_url=REDOC_URL,
        static_url="/static/docs",
        title="digits",
        summary="Reads handwritten digits: single images, batches and whole numbers.",
        version=package_version(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.ready = False
    install_error_handlers(app)
    # THE request layer: metrics, request id, logs, headers, CORS, API key, limits, timeout.
    install_middleware(app, settings, [DOCS_URL, REDOC_URL])
    for router in (
        health.router,
        metrics.router,
        predict.router,
        read.router,
        v2.router,
        pages.router,
    ):
        app.include_router(router)
    app.mount("/static", pages.static_files, name="static")
    return app
