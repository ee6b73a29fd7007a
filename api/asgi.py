"""The ASGI entry point for uvicorn and other servers: `api.asgi:app`."""

from api.main import create_app

app = create_app()
