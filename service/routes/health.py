"""Liveness and readiness probes."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.schemas.v1 import HealthResponse, ReadyResponse

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthResponse, summary="Liveness")
def health() -> dict[str, str]:
    """200 while the process serves requests."""
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=ReadyResponse,
    summary="Readiness",
    responses={503: {"model": ReadyResponse, "description": "The model is still loading."}},
)
def ready(request: Request) -> JSONResponse:
    """200 once the model is loaded and a warm-up inference ran; 503 before."""
    engine = getattr(request.app.state, "engine", None)
    if engine is None or not request.app.state.ready:
        # Also a v1 error body, so probes and API clients can both read it.
        body = {"status": "loading", "detail": "The model is still loading.", "code": "not_ready"}
        return JSONResponse(body, status_code=503)
    model = {"name": engine.model.name, "version": engine.model.version}
    return JSONResponse({"status": "ready", "model": model})
