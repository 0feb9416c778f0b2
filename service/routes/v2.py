"""Routes: v2 (to be implemented)."""

from fastapi import APIRouter

router = APIRouter()
