"""`tailrace graph`: load race history into the graph database and keep constraint specs there.

    tailrace graph load --history cup_results.csv      # idempotent: loading twice changes nothing
    tailrace graph save-spec spec.yaml --name chalk    # then: tailrace optimize --spec chalk ...
    tailrace graph specs                               # the stored specs, newest first

The graph is ``--graph URI`` (here or before the command: ``tailrace --graph URI graph ...``)
or ``TAILRACE_GRAPH_URI`` with ``TAILRACE_GRAPH_USER`` / ``TAILRACE_GRAPH_PASSWORD``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from tailrace.cli import options

console = Console()
graph_app = typer.Typer(help="The graph database: race history and stored constraint specs.", no_args_is_help=True)

GRAPH_HELP = "Graph URI (bolt:// or neo4j://); default TAILRACE_GRAPH_URI."


def _conn(ctx: typer.Context, graph: str | None, what: str):
    """The graph of the subcommand's ``--graph``, else of ``tailrace --graph``, else TAILRACE_GRAPH_URI."""
    return options.graph_connection(required_by=what, graph_uri=graph or options.cli_run(ctx).graph_uri)


@graph_app.command("load")
def load(
    ctx: typer.Context,
    history: Path = typer.Option(..., "--history", help="Race results CSV to import (README: Race history file)."),
    graph: str | None = typer.Option(None, "--graph", help=GRAPH_HELP),
    batch: int = typer.Option(32, "--batch", min=1, max=100_000, help="Rows per UNWIND write (Neo4j: 2000 is fine)."),
) -> None:
    """Import a results file: drivers, teams, makes, tracks, races and every driver's result (MERGE)."""
    from tailrace.store.graph.history import graph_counts, store_history
    from tailrace.textfile import read_text_file

    conn = _conn(ctx, graph, "tailrace graph load")
    text = read_text_file(history, str(history), param="history")
    rep = store_history(conn, text, str(history), batch=batch)
    counts = graph_counts(conn)
    console.print(f"loaded {rep.races} races ({rep.rows:,} results, {rep.drivers} drivers) from {history} "
                  f"into {conn.cfg.shown()} in {rep.seconds:.2f} s"
                  + (f"; {rep.skipped_races} incomplete race(s) left out" if rep.skipped_races else ""),
                  highlight=False)
    console.print("graph now holds " + ", ".join(f"{v:,} {k}" for k, v in counts.items() if v), highlight=False)


@graph_app.command("save-spec")
def save_spec(
    ctx: typer.Context,
    spec: Path = typer.Argument(..., help="ConstraintSpec file (JSON or YAML)."),
    name: str | None = typer.Option(None, "--name", help="Name to find it by (tailrace optimize --spec NAME)."),
    graph: str | None = typer.Option(None, "--graph", help=GRAPH_HELP),
) -> None:
    """Validate a spec file and store it in the graph (listed by the API's GET /constraint-specs too)."""
    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.store.graph.specs import GraphSpecStore

    s = ConstraintSpec.load(spec)
    conn = _conn(ctx, graph, "tailrace graph save-spec")
    spid = GraphSpecStore(conn).put_spec(s.model_dump(mode="json"), name)
    console.print(f"stored {spec} as {spid}" + (f" (name '{name}')" if name else ""), highlight=False)


@graph_app.command("specs")
def specs(ctx: typer.Context, graph: str | None = typer.Option(None, "--graph", help=GRAPH_HELP)) -> None:
    """List the specs stored in the graph, newest first: id, name, objective, lineups."""
    from tailrace.store.graph.specs import GraphSpecStore

    conn = _conn(ctx, graph, "tailrace graph specs")
    for row in GraphSpecStore(conn).list_specs():
        sp = row["spec"]
        console.print(f"{row['id']}  {row['name'] or '-'}  {sp.get('objective', {}).get('kind')}  "
                      f"{sp.get('n_lineups')} lineup(s)  {sp.get('mode')}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``tailrace graph ...`` to the app."""
    app.add_typer(graph_app, name="graph")
