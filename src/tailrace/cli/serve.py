"""`tailrace serve`: run the REST API (and the web page at /) with uvicorn.
"""

from __future__ import annotations

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="interface to listen on (0.0.0.0 for all)"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    data_dir: str = typer.Option(None, "--data-dir", help="overrides TAILRACE_DATA_DIR (default ./tailrace-data)"),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level"),
) -> None:
    """Serve the REST API (docs at /docs) and the web page (at /)."""
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.serve import run

    run(host=host, port=port, data_dir=data_dir, log_level=log_level)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the CLI."""
    app.command("serve")(serve)
