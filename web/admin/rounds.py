"""Admin pages: rounds."""

from fastapi import APIRouter

router = APIRouter()
