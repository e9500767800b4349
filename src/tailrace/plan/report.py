"""The day's figures on the report scenarios (scenario set 3, each contest's field drawn a third
time): per contest and for the day, expected profit, ROI with SE, P(loss), lower CVaR of profit,
the chance of a top-1 % finish and log-growth; for the day also its profit quantiles and
histogram, and every driver's exposure. Nothing was chosen on this set, so a tail over-fit
cannot show up here as growth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tailrace import tail
from tailrace.contest import scenario_payouts
from tailrace.contest.simulate import top1_places
from tailrace.pipeline import contest_facts
from tailrace.plan.allocate import growth
from tailrace.plan.build import Builds, Entered
from tailrace.plan.contests import DayContest
from tailrace.plan.exposure import driver_counts
from tailrace.plan.fields import REPORT, DayFields
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import Slate

__all__ = ["CVAR_ALPHA", "QUANTILES", "DayReport", "figures", "report_day", "exposure_rows"]

CVAR_ALPHA = 0.05  # the lower CVaR level of profit, as `tailrace contest` reports it
QUANTILES = (0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99)
LOSS_TOL = 1e-9  # a profit below -LOSS_TOL dollars is a loss (not a float's breakeven)


@dataclass(frozen=True)
class DayReport:
    """The report's rows (the result's ``contests``), the day's figures (``day``) and its stake."""

    rows: list[dict[str, Any]]
    day: dict[str, Any]
    stake: float


def _se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / math.sqrt(x.shape[0])) if x.shape[0] > 1 else float("inf")


def figures(profit: np.ndarray, stake: float, top1: np.ndarray, bankroll: float, kelly: float) -> dict[str, Any]:
    """Profit figures over scenarios: ``profit`` (S,), ``top1`` (S,) bool (an entry in the top 1 %)."""
    ep = float(profit.mean())
    se = _se(profit)
    lg = np.log1p(profit / bankroll)
    return {
        "stake": stake,
        "expected_profit": ep,
        "expected_profit_se": se,
        "roi": ep / stake if stake else None,
        "roi_se": se / stake if stake else None,
        "p_loss": float((profit < -LOSS_TOL).mean()),
        "profit_cvar": float(tail.cvar_lower(profit, CVAR_ALPHA)),
        "cvar_alpha": CVAR_ALPHA,
        "p_top1": float(top1.mean()),
        "log_growth": float(lg.mean()),
        "log_growth_se": _se(lg),
        "growth_objective": float(growth(profit, bankroll, kelly)),
    }


def report_day(slate: Slate, contests: Sequence[DayContest], fields: DayFields, report_on: Scenarios,
               build_fields: Sequence[Any], caps: Sequence[tuple[int, str]], builds: Builds, entered: Entered,
               bankroll: float, kelly: float) -> DayReport:
    """Every figure shown for the day and per contest, on ``report_on`` with fresh fields.

    Parameters
    ----------
    slate : Slate
    contests : sequence of DayContest
    fields : DayFields
        Draws each contest's field for ``fields.REPORT``.
    report_on : Scenarios
        The report set.
    build_fields : sequence of Contest
        Per contest, its build's field (the row's ``field`` facts describe it).
    caps : sequence of (int, str)
        Per contest, its limit and what set it (``build.entry_caps``).
    builds : Builds
    entered : Entered
    bankroll, kelly
        As ``plan.allocate.growth`` takes them.

    Returns
    -------
    DayReport
    """
    points = report_on.points
    S = points.shape[0]
    day_profit = np.zeros(S)
    day_top = np.zeros(S, dtype=bool)
    rows = []
    for i, dc in enumerate(contests):
        contest = fields.contest(i, dc, points, REPORT)[0]
        lus = entered.lineups[i]
        row: dict[str, Any] = {"name": dc.name, "kind": dc.kind, "contest_id": dc.contest_id,
                               "entry_fee": dc.entry_fee, "field_size": dc.field_size,
                               "max_entries": dc.max_entries, "entries": int(lus.shape[0]),
                               "stake": float(lus.shape[0] * dc.entry_fee), "limit": caps[i][0],
                               "limited_by": caps[i][1], "lineups_source": entered.sources[i],
                               "build": builds.info[i], "field": contest_facts(build_fields[i], slate)["field_model"]}
        row["figures"] = None
        if lus.shape[0]:
            pay, above, n_entries = scenario_payouts(contest, points, lus)
            profit = pay.sum(axis=1) - dc.entry_fee * lus.shape[0]
            top = (above < top1_places(n_entries)).any(axis=1)
            day_profit += profit
            day_top |= top
            row["figures"] = figures(profit, row["stake"], top, bankroll, kelly)
            row["figures"]["p_cash"] = float((pay > 0).any(axis=1).mean())
        row["lineups"] = [{"driver_ids": [slate.ids[j] for j in lu], "names": [slate.names[j] for j in lu],
                           "salary": int(slate.salaries()[list(lu)].sum()),
                           "expected_duplicates": builds.duplicates.get(i, lu)} for lu in lus]
        rows.append(row)
    stake = float(sum(r["stake"] for r in rows))
    return DayReport(rows, _day_figures(day_profit, day_top, stake, bankroll, kelly), stake)


def _day_figures(profit: np.ndarray, top: np.ndarray, stake: float, bankroll: float, kelly: float) -> dict[str, Any]:
    """The day's figures, its profit quantiles and a 40-bin histogram (a day with no stake: zeros)."""
    S = profit.shape[0]
    day = figures(profit, stake, top, bankroll, kelly) if stake else \
        figures(np.zeros(S), 0.0, np.zeros(S, dtype=bool), bankroll, kelly)
    day["profit_quantiles"] = {f"{q:g}": float(np.quantile(profit, q)) for q in QUANTILES}
    edges = np.histogram_bin_edges(profit, bins=40) if stake else np.array([0.0, 1.0])
    counts, edges = np.histogram(profit, bins=edges)
    day["profit_histogram"] = {"edges": [float(x) for x in edges], "counts": [int(x) for x in counts]}
    return day


def exposure_rows(slate: Slate, lineups: Sequence[np.ndarray], n_total: int) -> list[dict[str, Any]]:
    """Every driver in some entered lineup: their count and share of the day's ``n_total`` lineups, most first."""
    counts = driver_counts(lineups, slate.n)
    return [{"driver_id": slate.ids[j], "name": slate.names[j], "count": int(counts[j]),
             "exposure": float(counts[j] / max(n_total, 1))}
            for j in np.argsort(-counts, kind="stable") if counts[j] > 0]
