"""`tailrace serve`: run the REST API (and the web page at /) with uvicorn."""

from __future__ import annotations

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on (0.0.0.0 for all)"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    data_dir: str = typer.Option(None, "--data-dir", help="overrides TAILRACE_DATA_DIR (default ./tailrace-data)"),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level"),
) -> None:
    """Serve the REST API (docs at /docs) and the web page (at /)."""
    import uvicorn

    from tailrace.api import Settings, create_app

    from pydantic import ValidationError

    from tailrace.errors import InputError, Problem

    try:
        settings = Settings.from_env()
    except ValidationError as exc:
        raise InputError([Problem(e["msg"], field="TAILRACE_" + str(e["loc"][0]).upper(),
                                  fix="fix or unset this environment variable") for e in exc.errors()]) from None
    except ValueError as exc:
        raise InputError(Problem(str(exc), fix="fix the TAILRACE_* environment variable")) from None
    if data_dir:
        settings = Settings.model_validate({**settings.model_dump(), "data_dir": data_dir})
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, timeout_graceful_shutdown=5)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the CLI."""
    app.command("serve")(serve)
