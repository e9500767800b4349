"""`tailrace cache`: where the on-disk cache is, what it holds and its bound; ``--clear`` empties it.
"""

from __future__ import annotations

from pathlib import Path

import typer


def cache(
    clear: bool = typer.Option(False, "--clear", help="Delete every tailrace entry in the cache directory (asks "
                               "nothing; anything else there is left)."),
    prune: bool = typer.Option(False, "--prune", help="Delete least recently used entries now until the directory "
                               "is within TAILRACE_CACHE_MAX_BYTES (done after every scenario write anyway)."),
    directory: Path = typer.Option(None, "--dir", help="The cache directory; default TAILRACE_CACHE_DIR or "
                                   "~/.cache/tailrace/scenarios (the API's is <data dir>/scenario-cache)."),
) -> None:
    """Show the on-disk cache (directory, entries by kind, total, bound), or clear it.

    The bound is TAILRACE_CACHE_MAX_BYTES (default 2 GB; 0 or none never prunes).
    """
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.cache import run

    run(clear=clear, prune=prune, directory=directory)


def register(app: typer.Typer) -> None:
    """Add the ``cache`` command to the CLI."""
    app.command("cache")(cache)
