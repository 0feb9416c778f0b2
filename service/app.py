"""The app factory: `create_app(settings)` wires model, routers and error handling."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from service.errors import install_error_handlers
from service.model import DigitModel
from service.routes import health, pages, predict, read, v2
from service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the digits app; the model is loaded and warmed up in the lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        model = DigitModel.load(settings.model_path, intra_op_threads=settings.onnx_threads())
        app.state.model = model
        await run_in_threadpool(model.warm_up)
        app.state.ready = True
        yield
        app.state.ready = False

    app = FastAPI(
        title="digits",
        summary="Reads handwritten digits: single images, batches and whole numbers.",
        version="1",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.ready = False
    install_error_handlers(app)
    for router in (health.router, predict.router, read.router, v2.router, pages.router):
        app.include_router(router)
    return app


app = create_app()
