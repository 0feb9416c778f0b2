"""Routes: the Open Inference Protocol (KServe v2) REST API, as Triton clients speak it.

Tensors skip image preprocessing and go straight to `Engine.infer_v2`. Errors on these
routes have the protocol's `{"error": "<message>"}` body (see `V2Route`, `service.errors`).
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.routing import APIRoute

from digits_core.contract import INPUT_NAME, OUTPUT_NAME
from digits_core.errors import DigitsError
from digits_core.model import DigitModel
from service.deps import EngineDep, ModelDep, SettingsDep
from service.errors import NotFound, NotReady, error_response
from service.schemas.v2 import ModelMetadata, ServerMetadata, TensorMetadata, V2Error
from service.settings import package_version
from service.transport import read_body
from service.v2_codec import DIGIT, encode_response

SERVER_NAME = "digits"
EXTENSIONS = ["binary_tensor_data"]
PLATFORM = "onnxruntime_onnx"
HEADER_LENGTH = "Inference-Header-Content-Length"


class V2Route(APIRoute):
    """An APIRoute whose DigitsErrors answer `{"error": ...}`, the v2 protocol's error body.

    Unmatched /v2 paths get the same body from `service.errors`, guards from `service.limits`.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except DigitsError as exc:
                return error_response(exc, request.url.path)

        return handle


V2_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": V2Error, "description": text}
    for status, text in ((404, "Unknown model or version"), (503, "The model is not ready"))
}
INFER_ERRORS: dict[int | str, dict[str, Any]] = {
    **V2_ERROR_RESPONSES,
    400: {"model": V2Error, "description": "Malformed body, datatype, shape or data"},
    413: {"model": V2Error, "description": "Body or batch too large"},
}

router = APIRouter(prefix="/v2", tags=["v2 (Open Inference Protocol)"], route_class=V2Route)


def served_model(model: ModelDep, model_name: str) -> DigitModel:
    """The loaded model when the path names it, else 404."""
    if model_name != model.name:
        raise NotFound(f"Request for unknown model: '{model_name}' is not found.")
    return model


def check_version(model: ModelDep, model_name: str, model_version: str) -> None:
    """404 unless `/versions/{model_version}` is the served version."""
    if model_version != model.version:
        raise NotFound(
            f"Request for unknown model: '{model_name}' version {model_version} is not found; "
            f"the served version is {model.version}."
        )


ServedModel = Annotated[DigitModel, Depends(served_model)]
VERSIONED = [Depends(check_version)]


@router.get("", response_model=ServerMetadata, summary="Server metadata")
def get_server_metadata() -> ServerMetadata:
    return ServerMetadata(name=SERVER_NAME, version=package_version(), extensions=EXTENSIONS)


@router.get(
    "/health/live",
    summary="Liveness",
    responses={200: {"description": "Live"}},
    response_class=Response,  # an empty 200, as the protocol says: no JSON body to document
)
def get_live() -> Response:
    return Response(status_code=200)


@router.get(
    "/health/ready",
    summary="Readiness",
    responses={503: V2_ERROR_RESPONSES[503]},
    response_class=Response,
)
def get_ready(request: Request) -> Response:
    """200 once the model is loaded and warmed up."""
    if not request.app.state.ready:
        raise NotReady("The model is not loaded yet; retry shortly.")
    return Response(status_code=200)


@router.get("/models/{model_name}", response_model=ModelMetadata, responses=V2_ERROR_RESPONSES)
@router.get(
    "/models/{model_name}/versions/{model_version}",
    response_model=ModelMetadata,
    responses=V2_ERROR_RESPONSES,
    dependencies=VERSIONED,
)
def get_model_metadata(model: ServedModel) -> ModelMetadata:
    """Inputs and outputs; `image` may also be sent as [N,28,28] or [N,784], FP32 or UINT8."""
    return ModelMetadata(
        name=model.name,
        versions=[model.version],
        platform=PLATFORM,
        inputs=[TensorMetadata(name=INPUT_NAME, datatype="FP32", shape=[-1, 28, 28, 1])],
        outputs=[
            TensorMetadata(name=OUTPUT_NAME, datatype="FP32", shape=[-1, 10]),
            TensorMetadata(name=DIGIT, datatype="INT64", shape=[-1]),
        ],
    )


@router.get(
    "/models/{model_name}/ready",
    responses=V2_ERROR_RESPONSES,
    summary="Model readiness",
    response_class=Response,
)
@router.get(
    "/models/{model_name}/versions/{model_version}/ready",
    responses=V2_ERROR_RESPONSES,
    dependencies=VERSIONED,
    summary="Model readiness",
    response_class=Response,
)
def get_model_ready(model: ServedModel) -> Response:
    return Response(status_code=200)


@router.post(
    "/models/{model_name}/infer",
    responses=INFER_ERRORS,
    summary="Inference",
    response_model=None,
)
@router.post(
    "/models/{model_name}/versions/{model_version}/infer",
    responses=INFER_ERRORS,
    dependencies=VERSIONED,
    summary="Inference",
    response_model=None,
)
async def infer(
    request: Request,
    model: ServedModel,
    engine: EngineDep,
    settings: SettingsDep,
    header_length: Annotated[str | None, Header(alias=HEADER_LENGTH)] = None,
    content_encoding: Annotated[str | None, Header()] = None,
) -> Response:
    """Classify a tensor `image` (JSON `data`, or binary with Inference-Header-Content-Length).

    Returns `probabilities` (FP32 [N,10]) and, when requested in `outputs`, `digit` (INT64 [N]).
    """
    body = await read_body(request, settings.max_request_bytes)
    decoded, probabilities = await engine.infer_v2(
        body, header_length, content_encoding, settings.max_request_bytes, settings.max_batch
    )
    content, length = await engine.run(
        encode_response, decoded, probabilities, model.name, model.version
    )
    if length is None:
        return Response(content, media_type="application/json")
    return Response(
        content, media_type="application/octet-stream", headers={HEADER_LENGTH: str(length)}
    )
