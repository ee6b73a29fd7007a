"""Admin pages: institution."""

from fastapi import APIRouter

router = APIRouter()
