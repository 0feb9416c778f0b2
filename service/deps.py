"""FastAPI dependencies: the settings, the loaded model and its inference engine."""

from typing import Annotated

from fastapi import Depends, Request

from digits_core.model import DigitModel
from service.engine import Engine
from service.errors import NotReady
from service.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    engine = getattr(request.app.state, "engine", None)
    if engine is None or not request.app.state.ready:
        raise NotReady("The model is not loaded yet; retry shortly.")
    return engine


def get_model(request: Request) -> DigitModel:
    return get_engine(request).model


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ModelDep = Annotated[DigitModel, Depends(get_model)]
