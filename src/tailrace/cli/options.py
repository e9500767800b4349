"""Option parsing shared by the commands: one place turns `--site` into site rules."""

from __future__ import annotations

from tailrace.errors import InputError, Problem
from tailrace.sites import SiteRules, get_site


# Scenarios one process simulates and holds: 2,000,000 x 43 drivers is about 2.3 GB of points and
# outcomes. Asking for more (a typo such as 1000000000 asked for 70.8 GiB) is a usage error; the
# Dask path (issue 15) is where more belongs.
MAX_SCENARIOS = 2_000_000


def site_rules(key: str) -> SiteRules:
    """The rules for ``--site``; an unknown site is an InputError naming the flag and the choices."""
    try:
        return get_site(key)
    except ValueError as exc:
        raise InputError(Problem(str(exc), field="--site", fix="use --site dk or --site fd")) from None


HISTORY_HELP = ("Race results CSV (README: Race history file): strengths from ratings fitted on it, "
                "blended with the projections' numbers when the slate has any.")
ALLOW_SHIFT_HELP = ("Fit projections even when they sum to more than 5 points a driver away from what the "
                    "race pays (each is shifted by the same amount; default: an error).")
HISTORY_WEIGHT_HELP = "History's share in that blend, 0-1 (default 0.5)."


def load_history(path):  # -> HistoryModel | None
    """The fitted ``HistoryModel`` of ``--history`` (None when not given); InputError for a bad file."""
    if path is None:
        return None
    from tailrace.sim.history_strength import load_history_model

    return load_history_model(path)


def history_line(meta: dict) -> str | None:
    """One line telling how the history entered the strengths (None without a history)."""
    h = meta.get("history")
    if not h:
        return None
    return f"history {h['file']} ({h['races']} races): weight {h['weight']:.2f}, {h['weight_how']}"


DASK_HELP = ("Run the heavy stages on Dask: a scheduler address (tcp://HOST:8786) or local[:N] for N worker "
             "processes on this machine. Same numbers, byte for byte, as without it. Needs tailrace[dask].")


def dask_option():  # -> typer.Option for ``--dask`` (env TAILRACE_DASK_SCHEDULER)
    """The ``--dask ADDRESS`` option every distributable command takes (see tailrace.distributed)."""
    import typer

    from tailrace.distributed import ENV_VAR

    return typer.Option(None, "--dask", envvar=ENV_VAR, help=DASK_HELP)


def command_executor(ctx, address: str | None):  # -> tailrace.distributed.Executor
    """The executor for ``--dask`` (local without it), closed when the command ends: the click
    context ``ctx`` (a ``typer.Context`` parameter of the command) holds it as a resource."""
    from tailrace.distributed import open_executor

    return ctx.with_resource(open_executor(address))


def progress_label(text: str, executor) -> str:
    """A progress bar's label, naming the cluster when the work runs on Dask."""
    where = executor.describe()
    return text if where == "local" else f"{text} on {where}"
