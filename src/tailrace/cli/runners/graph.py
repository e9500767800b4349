"""The work of ``tailrace graph load | save-spec | specs`` (:mod:`tailrace.cli.graph` declares their
flags). Every import is at the top: this module loads only when a graph command runs.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from tailrace.cli.options import cli_run
from tailrace.cli.runners.inputs import graph_connection
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.store.graph.history import graph_counts, store_history
from tailrace.store.graph.specs import GraphSpecStore
from tailrace.textfile import read_text_file

console = Console()


def _conn(ctx: typer.Context, graph: str | None, what: str):
    """The graph of the subcommand's ``--graph``, else of ``tailrace --graph``, else TAILRACE_GRAPH_URI."""
    return graph_connection(required_by=what, graph_uri=graph or cli_run(ctx).graph_uri)


def load(ctx: typer.Context, history: Path, graph: str | None, batch: int) -> None:
    """The work of ``tailrace graph load`` (its flags: :func:`tailrace.cli.graph.load`)."""
    conn = _conn(ctx, graph, "tailrace graph load")
    text = read_text_file(history, str(history), param="history")
    rep = store_history(conn, text, str(history), batch=batch)
    counts = graph_counts(conn)
    console.print(f"loaded {rep.races} races ({rep.rows:,} results, {rep.drivers} drivers) from {history} "
                  f"into {conn.cfg.shown()} in {rep.seconds:.2f} s"
                  + (f"; {rep.skipped_races} incomplete race(s) left out" if rep.skipped_races else ""),
                  highlight=False)
    console.print("graph now holds " + ", ".join(f"{v:,} {k}" for k, v in counts.items() if v), highlight=False)


def save_spec(ctx: typer.Context, spec: Path, name: str | None, graph: str | None) -> None:
    """The work of ``tailrace graph save-spec`` (its flags: :func:`tailrace.cli.graph.save_spec`)."""
    s = ConstraintSpec.load(spec)
    conn = _conn(ctx, graph, "tailrace graph save-spec")
    spid = GraphSpecStore(conn).put_spec(s.model_dump(mode="json"), name)
    console.print(f"stored {spec} as {spid}" + (f" (name '{name}')" if name else ""), highlight=False)


def specs(ctx: typer.Context, graph: str | None) -> None:
    """The work of ``tailrace graph specs`` (its flags: :func:`tailrace.cli.graph.specs`)."""
    conn = _conn(ctx, graph, "tailrace graph specs")
    for row in GraphSpecStore(conn).list_specs():
        sp = row["spec"]
        console.print(f"{row['id']}  {row['name'] or '-'}  {sp.get('objective', {}).get('kind')}  "
                      f"{sp.get('n_lineups')} lineup(s)  {sp.get('mode')}", highlight=False)
