"""Routes: read (to be implemented)."""

from fastapi import APIRouter

router = APIRouter()
