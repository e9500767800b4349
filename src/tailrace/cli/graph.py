"""`tailrace graph`: load race history into the graph database and keep constraint specs there.

    tailrace graph load --history cup_results.csv      # idempotent: loading twice changes nothing
    tailrace graph save-spec spec.yaml --name chalk    # then: tailrace optimize --spec chalk ...
    tailrace graph specs                               # the stored specs, newest first

The graph is ``--graph URI`` (here or before the command: ``tailrace --graph URI graph ...``)
or ``TAILRACE_GRAPH_URI`` with ``TAILRACE_GRAPH_USER`` / ``TAILRACE_GRAPH_PASSWORD``.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import typer

graph_app = typer.Typer(help="The graph database: race history and stored constraint specs.", no_args_is_help=True)

GRAPH_HELP = "Graph URI (bolt:// or neo4j://); default TAILRACE_GRAPH_URI."


def _runner() -> ModuleType:
    """The graph commands' work, :mod:`tailrace.cli.runners.graph`, imported when one of them runs."""
    # lazy: the graph store (and the history model under it) loads only when a graph command runs, not for --help
    from tailrace.cli.runners import graph

    return graph


@graph_app.command("load")
def load(
    ctx: typer.Context,
    history: Path = typer.Option(..., "--history", help="Race results CSV to import (README: Race history file)."),
    graph: str | None = typer.Option(None, "--graph", help=GRAPH_HELP),
    batch: int = typer.Option(32, "--batch", min=1, max=100_000, help="Rows per UNWIND write (Neo4j: 2000 is fine)."),
) -> None:
    """Import a results file: drivers, teams, makes, tracks, races and every driver's result (MERGE)."""
    _runner().load(ctx, history=history, graph=graph, batch=batch)


@graph_app.command("save-spec")
def save_spec(
    ctx: typer.Context,
    spec: Path = typer.Argument(..., help="ConstraintSpec file (JSON or YAML)."),
    name: str | None = typer.Option(None, "--name", help="Name to find it by (tailrace optimize --spec NAME)."),
    graph: str | None = typer.Option(None, "--graph", help=GRAPH_HELP),
) -> None:
    """Validate a spec file and store it in the graph (listed by the API's GET /constraint-specs too)."""
    _runner().save_spec(ctx, spec=spec, name=name, graph=graph)


@graph_app.command("specs")
def specs(ctx: typer.Context, graph: str | None = typer.Option(None, "--graph", help=GRAPH_HELP)) -> None:
    """List the specs stored in the graph, newest first: id, name, objective, lineups."""
    _runner().specs(ctx, graph=graph)


def register(app: typer.Typer) -> None:
    """Add ``tailrace graph ...`` to the app."""
    app.add_typer(graph_app, name="graph")
