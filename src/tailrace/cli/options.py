"""Option parsing shared by the commands: the flags every command takes, declared once as
``Annotated`` aliases (``Site``, ``Salaries``, ``History``, ...); one place turns `--site` into
site rules; one mapping says the library's parameters as the command line's flags; and
:class:`CliRun`, what the app's callback learns for the command being run (``--graph``, the
command's name), carried in the click context (``ctx.obj``), not in module globals."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from tailrace.distributed import ENV_VAR as DASK_ENV_VAR
from tailrace.errors import InputError, Problem
from tailrace.seeds import MAX_SEED  # noqa: F401  (the flag declarations take the bound from here)
from tailrace.sites import SiteRules, get_site

# The flag of each library parameter an error may name (tailrace.errors.PARAMS), so a library
# error printed here says `--entry-fee 5` where the library says entry_fee=5.
FLAGS = {
    "allow_projection_shift": "--allow-projection-shift", "contest_cap": "--contest-cap", "dask": "--dask",
    "entries": "--entries", "entry_fee": "--entry-fee", "field_file": "--field", "field_sharpness": "--field-sharpness",
    "field_size": "--field-size", "graph_uri": "--graph", "grid_complete": "--grid-complete", "history": "--history",
    "history_weight": "--history-weight", "max_duplicates": "--max-duplicates", "n_lineups": "--lineups",
    "n_scenarios": "--n-scenarios", "ownership": "--ownership", "payouts": "--payouts", "portfolio": "--portfolio",
    "rake": "--rake", "scenarios": "--scenarios", "season": "--season", "site": "--site", "spec": "--spec", "track": "--track",
    "bankroll": "--bankroll", "max_stake": "--max-stake", "kelly": "--kelly", "max_exposure": "--max-exposure",
    "max_overlap_day": "--max-overlap-day", "ownership_error": "--ownership-error",
}
# Commands whose flag for a parameter differs: `simulate --scenarios 10000` is a count, not a file.
COMMAND_FLAGS = {"simulate": {"n_scenarios": "--scenarios"}, "calibrate": {"n_scenarios": "--scenarios"},
                 "backtest": {"n_scenarios": "--scenarios"}}

# `tailrace plan --entries`: the filled DKEntries file's name inside --out (its help says it; its runner writes it)
FILLED_ENTRIES = "DKEntries_filled.csv"


@dataclass
class CliRun:
    """One run of the command line: what the app's callback learns before the command runs.

    ``tailrace.cli.main`` makes one per run and hands it to click as the context object
    (``ctx.obj``); the callback fills it. It outlives the click context, so an error caught after
    the command ended is still worded with the command's flags (``say_as_flag``'s ``command``).

    Attributes
    ----------
    command : str, optional
        The command being run (``optimize``, ...), for ``COMMAND_FLAGS``.
    graph_uri : str, optional
        ``tailrace --graph URI``; None: ``TAILRACE_GRAPH_URI``, if set.
    """

    command: str | None = None
    graph_uri: str | None = None


def cli_run(ctx: Any) -> CliRun:
    """The :class:`CliRun` of the click context ``ctx`` (a command's ``typer.Context``): the root
    context's object, or an empty one when the app was invoked without its callback."""
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, CliRun) else CliRun()


def table_console(console):  # -> rich.console.Console
    """Where to print a wide table: ``console`` on a terminal, else a console at least 132 columns
    wide (rich cuts a table to 80 columns when stdout is a pipe or a file: "ent…", "+90.4% ± 1…")."""
    from rich.console import Console

    if console.is_terminal:
        return console
    return Console(width=max(console.width, 132), file=console.file, soft_wrap=console.soft_wrap)


def say_as_flag(param: str, value: str | None, command: str | None = None) -> str:
    """A library parameter as the command line says it: ``--entry-fee``, ``--entry-fee 5`` (a
    ``tailrace.errors.Say``; bind ``command``, the command being run, for ``COMMAND_FLAGS``)."""
    flag = COMMAND_FLAGS.get(command or "", {}).get(param) or FLAGS.get(param) or "--" + param.replace("_", "-")
    if value == "true":  # a switch: the flag itself turns it on
        return flag
    return flag if value is None else f"{flag} {shlex.quote(value)}"


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
                "blended with the projections' numbers when the slate has any. 'graph': the history "
                "loaded into the graph (TAILRACE_GRAPH_URI or tailrace --graph URI).")
HISTORY_FROM_GRAPH = "graph"  # --history graph: read the race history from the configured graph


def is_graph_ref(path) -> bool:
    """True for ``--history graph`` (a word, not a file that happens to be called so)."""
    return path is not None and str(path) == HISTORY_FROM_GRAPH and not Path(str(path)).is_file()


ALLOW_SHIFT_HELP = ("Fit projections even when they sum to more than 5 points a driver away from what the "
                    "race pays (each is shifted by the same amount; default: an error).")
HISTORY_WEIGHT_HELP = "History's share in that blend, 0-1 (default 0.5)."
SEASON_HELP = ("Season of the race, when the salary file does not say it (no date in Game Info, no "
               "dk_<season>_r<NN>_<track>.csv name): settles a race name two tracks used, and which race of "
               "--history is this one.")
GRID_COMPLETE_HELP = ("The projections list the whole starting grid: salary drivers missing from them do not start "
                      "(non-qualifiers, injured) and are left out, each named in a note. Without it such a driver "
                      "is an error.")


def history_line(meta: dict) -> str | None:
    """One line telling how the history entered the strengths (None without a history)."""
    h = meta.get("history")
    if not h:
        return None
    return f"history {h['file']} ({h['races']} races): weight {h['weight']:.2f}, {h['weight_how']}"


DASK_HELP = ("Run the heavy stages on Dask: a scheduler address (tcp://HOST:8786) or local[:N] for N worker "
             "processes on this machine. Same numbers, byte for byte, as without it. Needs tailrace[dask].")


def progress_label(text: str, executor) -> str:
    """A progress bar's label, naming the cluster when the work runs on Dask."""
    where = executor.describe()
    return text if where == "local" else f"{text} on {where}"


OWNERSHIP_ERROR_HELP = ("The log-sd of your ownership projection's error: each driver's real ownership is taken as "
                        "yours x exp(N(0, s^2)); the hedging fields and the ROI estimate's fields draw with it. "
                        "0.3 (default): about 30 % off per driver; 0.15 for a sharp projection; 0 if it is the "
                        "real field's (the estimate is then narrower, and too rosy if it is not).")
FIELD_SHARPNESS_HELP = ("The field's share of optimiser-built entries (a few popular near-optimal lineups, each "
                        "entered many times), 0-0.6; 'auto' (default): the plain field sampled from ownership, plus "
                        "an ensemble of field models (ownership x exp(N(0, 0.3^2)), another sampler, sharpness "
                        "0.2 and 0.35) for the selection to hedge across.")


def print_field_facts(facts: dict | None, console, top: int = 10) -> None:
    """Print what a contest's field is beside its figures: one line always (the ownership's
    implied average salary against the cap, the field's model, duplicates), and, when the
    ownership report found problems, the file against the sampled field for the ``top`` most
    owned drivers and every driver the field misses by more than 5 points."""
    if not facts:
        return
    rep = facts.get("ownership_report")
    model = facts.get("field_model")
    if not rep:
        if model:
            console.print(f"field: {model}", highlight=False)
        return
    line = (f"ownership: implied average lineup ${rep['implied_avg_salary']:,.0f} against the "
            f"${rep['salary_cap']:,} cap ({'realisable' if rep['realisable'] else 'NOT realisable'})")
    if rep.get("n_entries"):
        line += (f"; field ({rep.get('field_model') or model}): average ${rep['field_avg_salary']:,.0f}, "
                 f"{rep['duplicated_entries']:,} of {rep['n_entries']:,} entries in duplicated lineups, "
                 f"at most {rep['max_dup']:,} on one")
    console.print(line, highlight=False)
    if not rep["problems"] or not rep.get("n_entries"):
        return
    from rich.table import Table

    rows = rep["drivers"]
    keep = rows[:top] + [r for r in rows[top:] if r["field_pct"] is not None
                         and abs(r["field_pct"] - r["file_pct"]) > 5.0]
    t = Table(title="ownership: your file against the field tailrace sampled")
    for col in ("driver", "file %", "field %", "field - file"):
        t.add_column(col, justify="left" if col == "driver" else "right")
    for r in keep:
        d = r["field_pct"] - r["file_pct"]
        t.add_row(r.get("name", str(r["index"])), f"{r['file_pct']:.1f}", f"{r['field_pct']:.1f}",
                  f"[red]{d:+.1f}[/]" if abs(d) > 5.0 else f"{d:+.1f}")
    console.print(t)


def print_estimate(info: dict | None, console) -> None:
    """Contest mode's own ROI estimate for its portfolio, its interval and what it assumes, when
    the selection reported one."""
    if not info or info.get("roi_estimate") is None:
        return
    iv = info.get("roi_interval")
    text = f"estimated ROI {100 * info['roi_estimate']:+.1f} %"
    if iv:
        text += f" (interval {100 * iv[0]:+.1f} % to {100 * iv[1]:+.1f} %)"
    if info.get("estimate_note"):
        text += f": {info['estimate_note']}"
    console.print(text, highlight=False)


# ---------------------------------------------------------------------------- shared flags
# Each flag several commands take, declared once (its name, type, bounds and help); a command
# writes ``site: Site`` or ``history: History = None``. A flag whose help differs by command
# (``--seed``, ``--json``, ``--projections``) stays with its command.

Site = Annotated[str, typer.Option("--site", help="dk (DraftKings) or fd (FanDuel).")]
Salaries = Annotated[Path, typer.Option("--salaries", help="The site's salary export (CSV).")]
Track = Annotated[str | None, typer.Option("--track", help="Track name or type, when simulating.")]
AllowShift = Annotated[bool, typer.Option("--allow-projection-shift", help=ALLOW_SHIFT_HELP)]
GridComplete = Annotated[bool, typer.Option("--grid-complete", help=GRID_COMPLETE_HELP)]
Season = Annotated[int | None, typer.Option("--season", min=1948, max=2100, help=SEASON_HELP)]
History = Annotated[Path | None, typer.Option("--history", help=HISTORY_HELP)]
HistoryWeight = Annotated[float | None, typer.Option("--history-weight", min=0.0, max=1.0, help=HISTORY_WEIGHT_HELP)]
NScenarios = Annotated[int, typer.Option("--n-scenarios", min=100, max=MAX_SCENARIOS, help="Scenarios to simulate.")]
Dask = Annotated[str | None, typer.Option("--dask", envvar=DASK_ENV_VAR, help=DASK_HELP)]
# a contest's terms (``tailrace contest``, ``tailrace review``); defaults: contest_options.CONTEST_DEFAULTS
EntryFee = Annotated[float, typer.Option("--entry-fee", help="Entry fee in dollars.")]
Rake = Annotated[float, typer.Option("--rake", help="Share of fees the site keeps.")]
