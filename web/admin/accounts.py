"""Admin pages: accounts."""

from fastapi import APIRouter

router = APIRouter()
