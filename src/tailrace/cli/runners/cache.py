"""The work of ``tailrace cache``: what runs once its flags are read (:mod:`tailrace.cli.cache`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from tailrace.errors import InputError, Problem
from tailrace.sim import cache_prune as cp
from tailrace.sim.keys import default_cache_dir


def run(clear: bool, prune: bool, directory: Path) -> None:
    """The work of ``tailrace cache`` (``cache``, its flags and help: :func:`tailrace.cli.cache.cache`)."""
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
