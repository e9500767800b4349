"""The FastAPI application: ``create_app(settings)`` wires settings, store, cache, jobs, routes and the page."""

from __future__ import annotations

from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tailrace import __version__
from tailrace.api.deps import reject_lone_surrogates, require_api_key
from tailrace.api.errors import install_handlers
from tailrace.api.jobs import JobRunner
from tailrace.api.context import Context
from tailrace.api.routes import (backtest, contest, health, histories, jobs, optimize, plan, portfolios, review,
                                 simulate, slates, specs)
from tailrace.api.settings import Settings
from tailrace.store import Store


class BodyLimit:
    """Reject request bodies over ``limit`` bytes with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    too_big = int(v) > self.limit
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(scope, receive, send)
                    return
        seen = 0
        rejected = False

        async def guarded_send(message: Message) -> None:
            if not rejected:  # once the 413 is out, the app's own answer is dropped
                await send(message)

        async def counting() -> Message:
            nonlocal seen, rejected
            msg = await receive()
            if msg["type"] == "http.request" and not rejected:
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    await self._reject(scope, receive, send)
                    rejected = True
                    return {"type": "http.disconnect"}
            return msg

        await self.app(scope, counting, guarded_send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = {"error": "too_large", "message": f"the request body is over this server's limit of "
                f"{self.limit:,} bytes", "detail": []}
        await JSONResponse(body, status_code=413)(scope, receive, send)


def _web_dir() -> Path:
    return Path(str(resources.files("tailrace") / "web"))


def create_app(settings: Settings | None = None) -> FastAPI:
    """The tailrace REST API over ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # what the routes' dependencies hand out (deps.py): the store, the work context, the job runner
        store = Store(settings.data_dir)
        app.state.store = store
        app.state.context = Context.create(settings, store)
        app.state.jobs = JobRunner(app.state.context)
        app.state.jobs.start()
        try:
            yield
        finally:
            app.state.jobs.stop()
            if settings.graph_uri:  # the shared graph drivers the spec store opened
                # lazy: the graph store loads only when a graph is configured
                from tailrace.store.graph import close_all

                close_all()

    app = FastAPI(
        title="tailrace",
        version=__version__,
        description="NASCAR DFS portfolios aimed at the tail of the score distribution.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_handlers(app)

    app.include_router(health.router)
    secured = [Depends(require_api_key), Depends(reject_lone_surrogates)]
    for mod in (slates, histories, specs, simulate, optimize, contest, backtest, plan, review, portfolios, jobs):
        app.include_router(mod.router, dependencies=secured)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(_web_dir() / "index.html", media_type="text/html")

    # the page's scripts, styles and the vendored chart library (public, like the page itself)
    app.mount("/static", StaticFiles(directory=_web_dir()), name="static")

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    return app
