"""The REST API: a FastAPI app over the library (``create_app``), started by ``tailrace serve``."""

from tailrace.api.app import create_app
from tailrace.api.settings import Settings

__all__ = ["Settings", "create_app"]
