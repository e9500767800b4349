"""What a command reads before it works, shared by the runners: the graph of ``--graph``, a
``--spec`` (file or stored spec), the fitted ``--history``, the slate (from projections or the
history's grid), the ``--dask`` executor, and teams and makes filled from the graph. Every import
at the top (this module loads only when a command runs)."""

from __future__ import annotations

from pathlib import Path

from tailrace.cli.options import is_graph_ref
from tailrace.distributed import open_executor
from tailrace.errors import InputError, Problem
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.affiliations import fill_team_and_make as fill
from tailrace.slate import read_slate
from tailrace.store import NotFound
from tailrace.store.graph import open_graph
from tailrace.store.graph.history import history_model_from_graph
from tailrace.store.graph.specs import GraphSpecStore
from tailrace.textfile import read_text_file


def graph_connection(required_by: str | None = None, *, graph_uri: str | None = None):  # -> GraphConnection | None
    """The configured graph (``graph_uri``: ``tailrace --graph URI``, ``CliRun.graph_uri``; else
    TAILRACE_GRAPH_URI), or None; with ``required_by`` (the flag that needs it) a missing
    configuration is an InputError instead."""
    conn = open_graph(graph_uri)
    if conn is None and required_by is not None:
        raise InputError(Problem(f"{required_by} needs a graph database, and none is configured",
                                 field=required_by.split()[0],
                                 fix="set TAILRACE_GRAPH_URI (and TAILRACE_GRAPH_USER / TAILRACE_GRAPH_PASSWORD), "
                                     "or run tailrace --graph bolt://host:7687 ..."))
    return conn


def load_spec(path, *, graph_uri: str | None = None):  # -> ConstraintSpec
    """``--spec``: a JSON/YAML file, or, with a graph configured (``graph_uri`` as
    :func:`graph_connection` takes it), the id or name of a spec stored there."""
    p = Path(str(path))
    if p.is_file():
        return ConstraintSpec.load(p)
    conn = graph_connection(graph_uri=graph_uri)
    if conn is None:
        raise InputError(Problem("constraint spec file not found", file=str(p), field="--spec",
                                 fix="check the path (a stored spec's name works when a graph is configured)"))

    try:
        row = GraphSpecStore(conn).find_spec(str(path))
    except NotFound:
        raise InputError(Problem(f"no file '{p}' and no spec of that name or id in the graph", field="--spec",
                                 fix="check the name (tailrace graph specs lists them) or the path")) from None
    return ConstraintSpec.from_data(row["spec"], source=f"graph spec '{row['name'] or row['id']}'")


def history_from_option(path, slate=None, *, graph_uri: str | None = None):  # -> HistoryModel | None
    """The fitted ``HistoryModel`` of ``--history`` (None when not given); InputError for a bad file.
    ``--history graph`` reads the graph of ``graph_uri`` (as :func:`graph_connection` takes it).

    With the ``slate``: when the history file holds the slate's race, the ratings are fitted on the
    races before it only (never on its result or a later one), with a note saying so."""
    if path is None:
        return None
    if is_graph_ref(path):
        return history_model_from_graph(graph_connection(required_by="--history graph", graph_uri=graph_uri))
    # lazy: the rating fit (scipy.sparse) loads only with a history file, not in every simulate
    from tailrace.sim.strength.from_history import history_model_for_race, load_history_model

    race = getattr(slate, "race", None)
    if race is not None and getattr(race, "season", None) is not None:
        return history_model_for_race(path, race)[0]
    return load_history_model(path)


def slate_and_history(rules, salaries, projections, history, *, track, season, grid_complete, console,
                      graph_uri: str | None = None):
    """The slate and its fitted history for a command that simulates (``optimize``, ``plan``):
    from ``--projections`` (and ``--history`` fitted on the races before this one), or, without
    projections, the race's starting grid from ``--history`` (``slate_from_history_grid``: the grid
    only, ratings from the earlier races), its line printed on ``console``. Returns
    ``(Slate, HistoryModel | None)``."""
    if projections is None:
        # lazy: the rating fit (scipy.sparse) loads only when the grid comes from a history
        from tailrace.sim.strength.from_history import slate_from_history_grid

        slate, hg, grid_line = slate_from_history_grid(
            rules, salaries, read_text_file(history, str(history), param="history"), str(history),
            track=track, season=season)
        console.print(grid_line, highlight=False)
        return slate, hg.model
    slate = read_slate(rules, salaries, projections, track=track, grid_complete=grid_complete, season=season)
    return slate, history_from_option(history, slate, graph_uri=graph_uri)


def command_executor(ctx, address: str | None):  # -> tailrace.distributed.Executor
    """The executor for ``--dask`` (local without it), closed when the command ends: the click
    context ``ctx`` (a ``typer.Context`` parameter of the command) holds it as a resource."""
    return ctx.with_resource(open_executor(address))


def fill_team_and_make(slate, spec, hist=None, *, graph_uri: str | None = None):  # -> Slate
    """``pipeline.fill_team_and_make`` with the CLI's graph (``graph_uri`` / TAILRACE_GRAPH_URI),
    opened only when the slate and ``hist`` leave a team or make unknown."""
    return fill(slate, spec, hist, graph=lambda: graph_connection(graph_uri=graph_uri))


def check_one_source(scenarios: Path | None, history: object) -> None:
    """InputError when both ``--scenarios`` and ``--history`` are given: the history only simulates
    (optimize, contest and review take one or the other)."""
    if scenarios is not None and history is not None:
        raise InputError(Problem("--history is used to simulate, but --scenarios gives the scenarios",
                                 field="--history", fix="drop --history, or drop --scenarios to simulate"))
