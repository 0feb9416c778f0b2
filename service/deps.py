"""FastAPI dependencies: the loaded model and the settings, injected into routes."""

from typing import Annotated

from fastapi import Depends, Request

from digits_core.errors import NotReady
from service.model import DigitModel
from service.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_model(request: Request) -> DigitModel:
    model = getattr(request.app.state, "model", None)
    if model is None or not request.app.state.ready:
        raise NotReady("The model is not loaded yet; retry shortly.")
    return model


SettingsDep = Annotated[Settings, Depends(get_settings)]
ModelDep = Annotated[DigitModel, Depends(get_model)]
