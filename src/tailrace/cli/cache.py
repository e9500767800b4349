"""`tailrace cache`: where the on-disk cache is, what it holds and its bound; ``--clear`` empties it."""

from __future__ import annotations

import os
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
    from tailrace.errors import InputError, Problem
    from tailrace.sim import cache_prune as cp
    from tailrace.sim.keys import default_cache_dir

    if clear and prune:
        raise InputError(Problem("--clear and --prune together", field="--clear", fix="give one of them"))
    d = Path(directory).expanduser() if directory is not None else default_cache_dir()
    if d.exists() and not d.is_dir():
        raise InputError(Problem(f"{d} is not a directory", field="--dir",
                                 fix="give the cache directory (or unset TAILRACE_CACHE_DIR)"))
    if clear:
        gone = cp.clear(d)
        typer.echo(f"cleared {d}: {len(gone)} entries, {cp.format_bytes(sum(e.size for e in gone))}")
        return
    bound = cp.max_bytes_from_env()
    if prune:
        gone = cp.prune(d, bound)
        typer.echo(f"pruned {d}: {len(gone)} entries, {cp.format_bytes(sum(e.size for e in gone))}")
    entries = cp.list_entries(d)
    typer.echo(f"directory: {d}" + ("" if d.is_dir() else " (not created yet)"))
    for kind, (n, b) in cp.summarize(entries).items():
        typer.echo(f"  {kind:<10} {n:>6} entries  {cp.format_bytes(b):>10}")
    total = sum(e.size for e in entries)
    typer.echo(f"  {'total':<10} {len(entries):>6} entries  {cp.format_bytes(total):>10}")
    src = cp.ENV_VAR if os.environ.get(cp.ENV_VAR, "").strip() else f"default; set {cp.ENV_VAR} to change, 0 or none for no bound"
    rule = "least recently used entries are deleted after each scenario write" if bound is not None \
        else "nothing is ever deleted"
    typer.echo(f"bound: {cp.format_bytes(bound)} ({src}); {rule}")


def register(app: typer.Typer) -> None:
    """Add the ``cache`` command to the CLI."""
    app.command("cache")(cache)
