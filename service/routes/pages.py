"""The drawing page at `/` and its static files (no CDN: everything is served from here)."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["pages"])
static_files = StaticFiles(directory=STATIC_DIR)


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    """The canvas page: draw a digit, press Predict."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
