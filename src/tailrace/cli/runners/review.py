"""The work of ``tailrace review``: what runs once its flags are read (:mod:`tailrace.cli.review`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from tailrace.cli.options import cli_run, site_rules
from tailrace.cli.runners.contest import _portfolio_lineups, _scenario_points
from tailrace.cli.runners.inputs import check_one_source, command_executor, history_from_option
from tailrace.contest import read_ownership
from tailrace.contest.standings import read_standings
from tailrace.errors import InputError, Problem
from tailrace.outputs import atomic_write_text, check_output_path, check_output_paths
from tailrace.pipeline import field_ownership, payouts_from_options
from tailrace.review import field_of, review_report, user_lineups, write_plots
from tailrace.sim.left_out import load_for_slate
from tailrace.slate import Slate, read_slate


console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _money(x: float) -> str:
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def _short(name: str) -> str:
    """A driver's surname, cut to five letters, for a lineup cell (``Stenhouse Jr.`` -> ``Stenh``)."""
    words = [w for w in name.split() if w.strip(".").lower() not in ("jr", "sr", "ii", "iii", "iv")] or name.split()
    return words[-1][:5]


def print_review(review, slate, top: int = 10) -> None:  # (ContestReview, Slate)
    """Rich tables: the portfolio's result and best lineups, then the largest ownership misses."""
    t = Table(title=f"review: {len(review.lineups)} lineups in {review.n_entries:,} entries, "
                    f"${review.entry_fee:g} fee, {review.payouts.n_paid:,} paid")
    t.add_column("lineup", justify="left", no_wrap=True, overflow="ellipsis", max_width=40)
    for c in ("points", "rank", "tied", "won"):
        t.add_column(c, justify="right", no_wrap=True)
    best = min((p.rank for p in review.lineups), default=0)
    t.add_row(f"portfolio ({len(review.lineups)})", "", f"best {best:,}", "",
              f"{_money(review.won)} (ROI {100 * review.roi:+.1f}%)")
    order = sorted(range(len(review.lineups)), key=lambda k: (review.lineups[k].rank, k))[:top]
    for k in order:
        p = review.lineups[k]
        names = "/".join(_short(slate.drivers[i].name) for i in p.drivers)
        t.add_row(f"{k + 1}: {names}", f"{p.points:.2f}", f"{p.rank:,}", str(p.tied), f"${p.payout:,.2f}")
    console.print(t)
    cash = "every place paid" if review.cash_line is None else f"cash line {review.cash_line:.2f}"
    console.print(f"fees {_money(review.fees)}, won {_money(review.won)}, profit {_money(review.profit)}; "
                  f"{review.cashed} of {len(review.lineups)} cashed; winning score {review.winning_points:.2f}, {cash}"
                  + (f"; {review.n_removed} entries of '{review.user}' taken out of the field" if review.user else ""),
                  highlight=False)
    if review.ownership:
        o = Table(title=f"ownership: modelled vs real %Drafted, mean absolute error {review.ownership_mae:.2f} pp")
        o.add_column("driver", no_wrap=True)
        for c in ("modelled", "real", "error", "FPTS"):
            o.add_column(c, justify="right", no_wrap=True)
        for d in sorted(review.ownership, key=lambda d: -abs(d.error))[:top]:
            o.add_row(slate.drivers[d.index].name, f"{d.modelled:.1f}%", f"{d.real:.1f}%", f"{d.error:+.1f}",
                      "-" if np.isnan(d.fpts) else f"{d.fpts:.2f}")
        console.print(o)


def _on_whole_slate(own: np.ndarray, part: Slate, whole: Slate) -> np.ndarray:
    """Ownership modelled on ``part`` (``whole`` without a scenario set's left-out drivers) spread
    onto ``whole``'s drivers, 0 % for those left out: the field drafts nobody who does not start,
    and the standings index the whole export."""
    if part is whole:
        return own
    at = {d.id: j for j, d in enumerate(part.drivers)}
    return np.array([own[at[d.id]] if d.id in at else 0.0 for d in whole.drivers], dtype=np.float64)


def run(ctx: typer.Context, standings: Path, site: str, salaries: Path, portfolio: Path | None, user: str | None,
        projections: Path | None, track: str | None, history: Path | None, history_weight: float | None,
        allow_shift: bool, scenarios: Path | None, n_scenarios: int, seed: int, ownership: Path | None,
        payouts: Path | None, entry_fee: float, field_size: int | None, rake: float, json_out: Path | None,
        plots: Path | None, dask: str | None) -> None:
    """The work of ``tailrace review`` (``review``, its flags and help: :func:`tailrace.cli.review.review`)."""
    rules = site_rules(site)
    check_output_paths({"--json": json_out})
    if plots is not None:
        check_output_path(plots / "standings.png", "--plots")
    if portfolio is None and user is None:
        raise InputError(Problem("no lineups to review", field="--portfolio",
                                 fix="give --portfolio FILE, or --user NAME to review that user's entries"))
    slate = read_slate(rules, salaries, projections, track=track)
    table = read_standings(standings, slate)
    warnings = list(table.warnings)
    # the user must have entries: a mistyped name is an error, not a field with nobody taken out
    mine = user_lineups(table, user) if user is not None else []
    if portfolio is not None:
        lineups, _ = _portfolio_lineups(portfolio, slate)  # (the digest of its optimisation set: not used here)
    else:
        lineups = np.asarray(mine, dtype=np.int64)
    field_pts, _removed = field_of(table, user)
    if portfolio is not None and user is not None and len(mine) != lineups.shape[0]:
        warnings.append(f"'{user}' has {len(mine)} entries with a lineup in the standings, the portfolio "
                        f"{lineups.shape[0]} lineups: the review places the portfolio's")
    size = field_size if field_size is not None else field_pts.shape[0] + lineups.shape[0]
    pay = payouts_from_options(str(payouts) if payouts else None, entry_fee=entry_fee, field_size=size, rake=rake)
    if ownership is not None:
        own = read_ownership(ownership, slate, warnings)
    else:
        points, own_slate = None, slate
        need_means = not all(d.ownership is not None for d in slate.drivers) and \
            not all(d.projection is not None for d in slate.drivers)
        if need_means and (scenarios is not None or all(d.start is not None for d in slate.drivers)):
            loaded = None
            if scenarios is not None:
                check_one_source(scenarios, history)
                # the set's recorded non-starters leave the ownership model's slate (0 % modelled); the
                # standings and the portfolio stay on the whole export, as the real contest was
                loaded, own_slate, dropped = load_for_slate(scenarios, slate)
                if dropped:
                    warnings.append(f"slate: {dropped}; modelled ownership gives them 0 %, and standings "
                                    "lineups holding them are placed with their real points")
            points, sim_warnings, _ = _scenario_points(own_slate, scenarios, n_scenarios, seed, track,
                                                       history_from_option(history, slate,
                                                                           graph_uri=cli_run(ctx).graph_uri),
                                                       history_weight, allow_shift,
                                                       command_executor(ctx, dask), loaded=loaded)
            warnings += sim_warnings
        elif need_means:
            warnings.append("ownership modelled from salaries alone: give --projections with projected points "
                            "(or starts, to simulate) or --ownership for a fair comparison")
        if points is None and (history is not None or scenarios is not None):
            warnings.append("--history and --scenarios are used only to model ownership from mean points, which "
                            "the projections (or their ownership column) already give: ignored")
        own = _on_whole_slate(field_ownership(own_slate, points, warnings), own_slate, slate)
    result, report, warnings = review_report(slate, table, lineups, pay, entry_fee, modelled_ownership=own,
                                             user=user, warnings=warnings)
    for w in warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    print_review(result, slate)
    if json_out is not None:
        atomic_write_text(json_out, json.dumps(report, indent=2, allow_nan=False))
        console.print(f"wrote the review to {json_out}")
    if plots is not None:
        files = write_plots(result, table, slate, plots)
        console.print(f"wrote {', '.join(str(f) for f in files)}")
