"""Contest simulation: per scenario, score our lineups and the field, rank, pay out (ties split).

Method. The field is collapsed to distinct lineups with counts. In each scenario a numba
kernel scores every distinct field lineup once and counts, for each of our lineups, the
field entries strictly above it and tied with it; our own lineups are counted the same way
among themselves (entries = field + ours). The prize then has a closed form from the
cumulative prize array (``payouts.split_payout``). Memory is set by the per-chunk outputs
only: see ``chunk_size``.

Scores are compared after rounding to 1e-4 points, so equal totals built from float32
points in a different order tie exactly, as they do on the site.

Two kernels behind ``standings_kernel``, identical results where both apply:

* **grid** (``standings_grid``): site points are multiples of 0.05 (DraftKings and FanDuel
  NASCAR scoring), so when the matrix is on that grid (``grid_points``, checked once per
  call) totals are int32 grid units, a 6-driver total is 3 lookups in a per-scenario table
  of pair sums, and a histogram by total over our lineups' range plus a suffix sum gives
  every count in O(1). Cost per scenario O(u h + m + range), h = ceil(roster / 2).
* **exact** (``standings_exact``): any other matrix; 1e-4 keys and binary search among our
  sorted keys, O(u (roster + log m) + m log m) per scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from tailrace.contest.field import Field
from tailrace.contest.payouts import PayoutTable, split_payout
from tailrace.contest.standings_kernels import (  # re-exported: callers import them from here
    BLOCK,
    GRID,
    KEY_BOUND,
    KEY_PER_GRID,
    MAX_BINS,
    SCORE_SCALE,
    _fill_pairs,
    _score,
    _to_grid,
    bisect_left,
    bisect_right,
    grid_points,
    pair_slots,
    score_key,
    standings_exact,
    standings_grid,
    standings_kernel,
)
from tailrace.distributed import Executor, LocalExecutor
from tailrace.tail import cvar_lower

DEFAULT_MEMORY = 256 * 2**20  # bytes for one chunk's outputs
BYTES_PER_CELL = 48  # per (scenario, our lineup) cell in a chunk: keys, counts, payouts, flags
# Per-lineup payout sums are summed over pieces of REDUCE_BLOCK scenarios (a chunk is cut at its
# multiples) and the pieces folded in scenario order: the figures are the same bytes for every
# chunk size that is a multiple of it, on any executor and worker count.
REDUCE_BLOCK = 1024


def chunk_size(n_lineups: int, memory_bytes: int = DEFAULT_MEMORY) -> int:
    """Scenarios per chunk so that one chunk's per-(scenario, lineup) outputs fit in memory.

    Parameters
    ----------
    n_lineups : int
        Our lineups (columns of the chunk outputs).
    memory_bytes : int, default=DEFAULT_MEMORY
        Bytes for one chunk's outputs (``BYTES_PER_CELL`` per scenario and lineup).

    Returns
    -------
    int
        ``memory_bytes // (max(1, n_lineups) * BYTES_PER_CELL)`` clipped to [16, 65536],
        rounded down to a multiple of ``REDUCE_BLOCK`` once it is at least
        ``REDUCE_BLOCK``, so the figures do not depend on it.
    """
    per = max(1, n_lineups) * BYTES_PER_CELL
    c = int(max(16, min(65_536, memory_bytes // per)))
    return c if c < REDUCE_BLOCK else (c // REDUCE_BLOCK) * REDUCE_BLOCK


def task_chunk(n_scenarios: int, chunk: int, workers: int, tasks_per_worker: int = 4) -> int:
    """Scenarios per task on a cluster, so that each worker gets about ``tasks_per_worker`` tasks.

    Parameters
    ----------
    n_scenarios : int
        Scenarios to simulate.
    chunk : int
        The memory bound (:func:`chunk_size`).
    workers : int
        Workers of the executor.
    tasks_per_worker : int, default=4
        Tasks wanted per worker (spreads the load).

    Returns
    -------
    int
        ``max(REDUCE_BLOCK, min(chunk, want))`` with ``want =
        ceil(n_scenarios / (workers * tasks_per_worker))`` rounded up to a multiple of
        ``REDUCE_BLOCK``. A multiple of ``REDUCE_BLOCK`` (same bytes) whenever ``chunk`` is
        one, and never below ``REDUCE_BLOCK``, even when ``chunk`` is.
    """
    want = -(-n_scenarios // max(1, workers * tasks_per_worker))
    want = -(-want // REDUCE_BLOCK) * REDUCE_BLOCK
    return int(max(REDUCE_BLOCK, min(chunk, want)))


def memory_estimate(n_scenarios: int, n_drivers: int, n_lineups: int, n_unique_field: int,
                    roster: int, chunk: int) -> int:
    """Estimate the peak bytes a contest simulation holds besides the caller's points.

    Parameters
    ----------
    n_scenarios : int
        Scenarios ``S``.
    n_drivers : int
        Drivers (columns of the points matrix); not used by the estimate.
    n_lineups : int
        Our lineups ``m``.
    n_unique_field : int
        Distinct field lineups ``u``.
    roster : int
        Drivers per lineup.
    chunk : int
        Scenarios per chunk.

    Returns
    -------
    int
        ``chunk * m * BYTES_PER_CELL`` (chunk outputs) + ``u * (4 roster + 8)`` (collapsed
        field) + ``32 S`` (per-scenario portfolio profit and flags) + ``64 m`` (per-lineup
        accumulators).
    """
    return int(
        chunk * n_lineups * BYTES_PER_CELL  # chunk outputs
        + n_unique_field * (roster * 4 + 8)  # collapsed field
        + n_scenarios * 8 * 4  # per-scenario portfolio profit and flags
        + n_lineups * 8 * 8  # per-lineup accumulators
    )


@dataclass(frozen=True)
class Figures:
    """Contest figures for one lineup or a portfolio, each with its Monte Carlo standard error.

    Rates are shares in [0, 1]; ROI is expected profit / fees paid. See
    :func:`simulate_contest` for how each figure and its ``*_se`` are computed.

    Attributes
    ----------
    entries : int
        Entries: 1 for a lineup, our lineup count for the portfolio.
    cost : float
        Fees paid, ``entry_fee * entries``.
    expected_profit, expected_profit_se : float
        Mean over scenarios of payout minus ``cost``.
    roi, roi_se : float
        ``expected_profit / cost``.
    cash_rate, cash_rate_se : float
        Lineup: share of scenarios it cashes. Portfolio: mean share of our entries that cash.
    top1_rate, top1_rate_se : float
        The same for finishing in the top 1 % (:func:`top1_places`).
    win_rate, win_rate_se : float
        Lineup: share of scenarios it takes 1st (alone or tied). Portfolio: share of
        scenarios one of our entries does.
    """

    entries: int
    cost: float
    expected_profit: float
    expected_profit_se: float
    roi: float
    roi_se: float
    cash_rate: float
    cash_rate_se: float
    top1_rate: float
    top1_rate_se: float
    win_rate: float
    win_rate_se: float

    def to_dict(self) -> dict:
        """The attributes as a JSON-ready dict (numpy floats made Python floats)."""
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class ContestResult:
    """Outcome of a simulated contest for one portfolio (from :func:`simulate_contest`).

    Attributes
    ----------
    portfolio : Figures
        All our entries together: cash_rate and top1_rate are the shares of our entries that
        cash / finish in the top 1 %; win_rate is the share of scenarios where one of our
        entries takes 1st (alone or tied).
    lineups : tuple of Figures
        One per lineup, in the order given (``n_lineups`` items).
    profit : ndarray of shape (n_scenarios,), float64
        The portfolio's profit per scenario (payouts minus fees).
    profit_cvar : float
        Lower CVaR of ``profit`` at ``cvar_alpha`` (a bankroll figure).
    cvar_alpha : float
        Level of ``profit_cvar``.
    n_scenarios : int
        Scenarios simulated.
    n_entries : int
        Contest entries: the field's plus ours.
    entry_fee : float
        Fee per entry.
    prize_pool : float
        Sum of the payout table's prizes.
    """

    portfolio: Figures
    lineups: tuple[Figures, ...]
    profit: np.ndarray = field(repr=False)
    profit_cvar: float
    cvar_alpha: float
    n_scenarios: int
    n_entries: int
    entry_fee: float
    prize_pool: float

    def to_dict(self) -> dict:
        """A JSON-ready dict; ``profit`` is left out, ``profit_cvar`` and ``cvar_alpha`` go
        into the ``portfolio`` entry."""
        p = self.portfolio.to_dict()
        p["profit_cvar"] = self.profit_cvar
        p["cvar_alpha"] = self.cvar_alpha
        return {
            "n_scenarios": self.n_scenarios,
            "n_entries": self.n_entries,
            "entry_fee": self.entry_fee,
            "prize_pool": self.prize_pool,
            "portfolio": p,
            "lineups": [f.to_dict() for f in self.lineups],
        }


def _rate(p: np.ndarray, s: int) -> np.ndarray:
    return np.sqrt(np.maximum(p * (1.0 - p), 0.0) / s)


def top1_places(n_entries: int) -> int:
    """Places counted as 'top 1 %' in a contest.

    Parameters
    ----------
    n_entries : int
        Contest entries, ours included.

    Returns
    -------
    int
        ``floor(0.01 * n_entries)``, at least 1.
    """
    return max(1, int(math.floor(0.01 * n_entries)))


def contest_chunk(
    bounds: tuple[int, int],
    *,
    points: np.ndarray,
    ours: np.ndarray,
    field_u: np.ndarray,
    field_c: np.ndarray,
    cum: np.ndarray,
    n_paid: int,
    n_top: int,
    entry_fee: float,
) -> tuple[np.ndarray, ...]:
    """Simulate scenarios ``bounds[0] .. bounds[1] - 1`` of a contest (one executor task; pure).

    Parameters
    ----------
    bounds : tuple of (int, int)
        First scenario and one past the last.
    points : ndarray of shape (n_scenarios, n_drivers), float32
        The whole scenario matrix; only the rows of ``bounds`` are read.
    ours : ndarray of shape (m, roster), int32
        Our lineups, rows sorted.
    field_u : ndarray of shape (u, roster), int32
        Distinct field lineups.
    field_c : ndarray of shape (u,), int64
        Entries holding each distinct field lineup.
    cum : ndarray of shape (n_paid + 1,)
        The payout table's cumulative prizes (``PayoutTable.cumulative``).
    n_paid : int
        Paid places: an entry cashes with fewer than ``n_paid`` entries strictly above.
    n_top : int
        Top-1 % places (:func:`top1_places`).
    entry_fee : float
        Fee per entry.

    Returns
    -------
    pay_sum, pay_sq : ndarray of shape (k, m), float64
        per lineup, payout and squared-payout sums over each piece of the chunk cut at the
        multiples of ``REDUCE_BLOCK`` (k pieces); the caller folds them in scenario order.
    cash, top, win : ndarray of shape (m,), int64
        per lineup over the chunk: cash, top-1 % and win counts.
    profit, p_cash, p_top : ndarray of shape (s,), float64, and p_win (s,) bool
        per scenario of the chunk: portfolio profit, share of our entries cashing / in the top 1 %,
        one of ours first.
    """
    start, stop = bounds
    a, t, _ = standings_kernel(points[start:stop], ours, field_u, field_c, True)
    pay = split_payout(cum, a, t)
    m = ours.shape[0]
    is_cash = a < n_paid
    is_top = a < n_top
    is_win = a == 0
    cuts = [start] + list(range((start // REDUCE_BLOCK + 1) * REDUCE_BLOCK, stop, REDUCE_BLOCK)) + [stop]
    pieces = [(lo - start, hi - start) for lo, hi in zip(cuts[:-1], cuts[1:])]
    pay_sum = np.stack([pay[lo:hi].sum(axis=0) for lo, hi in pieces])
    pay_sq = np.stack([(pay[lo:hi] * pay[lo:hi]).sum(axis=0) for lo, hi in pieces])
    return (pay_sum, pay_sq, is_cash.sum(axis=0), is_top.sum(axis=0),
            is_win.sum(axis=0), pay.sum(axis=1) - entry_fee * m, is_cash.mean(axis=1), is_top.mean(axis=1),
            is_win.any(axis=1))


def simulate_contest(
    points: np.ndarray,
    our_lineups: np.ndarray,
    field: Field,
    payouts: PayoutTable,
    entry_fee: float,
    *,
    cvar_alpha: float = 0.05,
    chunk: int | None = None,
    memory_bytes: int = DEFAULT_MEMORY,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> ContestResult:
    """Simulate a contest: expected profit, ROI and cash / top-1 % / win rates of our lineups.

    Each scenario is one race: every entry (ours and the field's) scores the sum of its
    drivers' points, entries are ranked, and each of ours is paid its place, tied entries
    splitting the prizes of the places they share. Averages over the scenarios give the
    figures, each with its Monte Carlo standard error.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers)
        Driver points in each equally likely scenario. Converted to float32 (a float64
        matrix is rounded first).
    our_lineups : ndarray of shape (n_lineups, roster)
        Our entries as driver indices (columns of ``points``); order within a row does not
        matter.
    field : Field
        The opponents, used whole: entries = ``field.n_entries + n_lineups``
        (``tailrace.contest.run_contest`` trims a sampled field to the contest's size first).
    payouts : PayoutTable
        Prize per place; places past the table pay 0.
    entry_fee : float
        Fee per entry; profit and ROI are net of it.
    cvar_alpha : float, default=0.05
        Level of ``ContestResult.profit_cvar``, the lower CVaR of portfolio profit, in (0, 1].
    chunk : int, optional
        Scenarios per chunk (one executor task each). Default: ``chunk_size(n_lineups,
        memory_bytes)``, cut further by :func:`task_chunk` on a distributed executor.
    memory_bytes : int, default=DEFAULT_MEMORY
        Memory for one chunk's per-(scenario, lineup) outputs when ``chunk`` is not given.
    progress : callable, optional
        ``progress(done, total)``, called after each chunk with the scenarios done so far and
        ``n_scenarios``.
    executor : Executor, optional
        Runs the chunks (:func:`contest_chunk`); default ``LocalExecutor()``, in this process.
        The points, our lineups, the collapsed field and the cumulative prizes are shared
        once.

    Returns
    -------
    ContestResult
        ``portfolio``: figures for all our entries together; ``lineups``: figures for each of
        ours in the order of ``our_lineups``; ``profit``: the portfolio's profit per
        scenario, shape (n_scenarios,), and its lower CVaR.

    Raises
    ------
    ValueError
        If ``our_lineups`` is not 2D with at least one row; if ``points`` is not 2D with at
        least one row, or contains NaN; if a driver index of ours is negative or
        ``>= n_drivers``, or one of the field's is ``>= n_drivers``; if ``cvar_alpha`` is not
        in (0, 1] (checked before the simulation runs).

    Notes
    -----
    Ranking: totals are compared after rounding to 1e-4 points (``SCORE_SCALE``), so equal
    totals summed in a different order tie exactly. With ``a`` entries strictly above and
    ``t`` on its score (itself included), an entry is paid the mean prize of places
    ``a + 1 .. a + t`` (``payouts.split_payout``). Our lineups compete with one another as
    well as with the field, so a lineup's figures are its figures within this portfolio.

    Counting: an entry cashes when ``a < payouts.n_paid``, is in the top 1 % when
    ``a < top1_places(n_entries)``, and wins when ``a == 0`` (a tie for 1st is a win).

    Figures: per lineup, expected profit = mean payout - ``entry_fee`` and ROI = expected
    profit / ``entry_fee``, with the payout's sample standard deviation (``ddof=1``) over
    ``sqrt(S)`` as standard error, and the binomial ``sqrt(p (1 - p) / S)`` for the rates.
    For the portfolio, profit per scenario is our payouts minus ``n_lineups * entry_fee``;
    profit and the cash and top-1 % shares of our entries get ``sd / sqrt(S)`` (``ddof=1``;
    ``inf`` for one scenario), the win rate the binomial one.

    Deterministic (no randomness). Per-lineup sums are added in pieces of ``REDUCE_BLOCK``
    scenarios folded in scenario order, so the figures are the same bytes on any executor
    and worker count, and for every ``chunk`` that is a multiple of ``REDUCE_BLOCK``.
    Memory: see :func:`memory_estimate`.
    """
    pts = np.ascontiguousarray(points, dtype=np.float32)
    ours = np.sort(np.asarray(our_lineups, dtype=np.int32), axis=1)
    ours = np.ascontiguousarray(ours)
    if ours.ndim != 2 or ours.shape[0] == 0:
        raise ValueError("our_lineups must have shape (m, roster) with m >= 1")
    if not (0.0 < float(cvar_alpha) <= 1.0):  # checked before the work, not after it
        raise ValueError(f"cvar_alpha must lie in (0, 1], got {cvar_alpha}")
    if pts.ndim != 2 or pts.shape[0] == 0:
        raise ValueError("points must have shape (n_scenarios, n_drivers)")
    if np.isnan(pts).any():
        raise ValueError("points contain NaN")
    S, n = pts.shape
    m = ours.shape[0]
    fu, fc = field.unique()
    fu = np.ascontiguousarray(fu, dtype=np.int32)
    if (ours.size and (ours.min() < 0 or ours.max() >= n)) or (fu.size and fu.max() >= n):
        raise ValueError("lineup driver index out of range of the scenario matrix")
    n_entries = field.n_entries + m
    cum = payouts.cumulative()
    n_paid = payouts.n_paid
    n_top = top1_places(n_entries)
    c = chunk or chunk_size(m, memory_bytes)
    if executor is not None and executor.distributed and chunk is None:
        c = task_chunk(S, c, executor.workers)
    pay_sum = np.zeros(m)
    pay_sq = np.zeros(m)
    cash = np.zeros(m)
    top = np.zeros(m)
    win = np.zeros(m)
    profit = np.empty(S)
    p_cash = np.empty(S)
    p_top = np.empty(S)
    p_win = np.empty(S, dtype=bool)
    bounds = [(start, min(S, start + c)) for start in range(0, S, c)]
    task = partial(contest_chunk, n_paid=int(n_paid), n_top=int(n_top), entry_fee=float(entry_fee))
    shared = {"points": pts, "ours": ours, "field_u": fu, "field_c": fc, "cum": cum}
    parts: list[tuple[np.ndarray, ...] | None] = [None] * len(bounds)
    ran = 0
    for i, r in (executor or LocalExecutor()).imap(task, bounds, shared=shared):
        start, stop = bounds[i]
        parts[i] = r[:5]
        profit[start:stop], p_cash[start:stop], p_top[start:stop], p_win[start:stop] = r[5:]
        ran += stop - start
        if progress is not None:
            progress(ran, S)
    for part in parts:  # per-lineup sums folded in scenario order, piece by piece (see REDUCE_BLOCK)
        for row in part[0]:
            pay_sum += row
        for row in part[1]:
            pay_sq += row
        cash += part[2]
        top += part[3]
        win += part[4]
    mean_pay = pay_sum / S
    var_pay = np.maximum(pay_sq / S - mean_pay**2, 0.0) * (S / max(S - 1, 1))
    se_pay = np.sqrt(var_pay / S)
    rates = [cash / S, top / S, win / S]
    lineups = tuple(
        Figures(
            entries=1,
            cost=float(entry_fee),
            expected_profit=float(mean_pay[j] - entry_fee),
            expected_profit_se=float(se_pay[j]),
            roi=float((mean_pay[j] - entry_fee) / entry_fee),
            roi_se=float(se_pay[j] / entry_fee),
            cash_rate=float(rates[0][j]),
            cash_rate_se=float(_rate(rates[0][j], S)),
            top1_rate=float(rates[1][j]),
            top1_rate_se=float(_rate(rates[1][j], S)),
            win_rate=float(rates[2][j]),
            win_rate_se=float(_rate(rates[2][j], S)),
        )
        for j in range(m)
    )

    def se(x: np.ndarray) -> float:
        return float(x.std(ddof=1) / math.sqrt(S)) if S > 1 else float("inf")

    cost = entry_fee * m
    ep = float(profit.mean())
    win_p = float(p_win.mean())
    port = Figures(
        entries=m,
        cost=float(cost),
        expected_profit=ep,
        expected_profit_se=se(profit),
        roi=ep / cost,
        roi_se=se(profit) / cost,
        cash_rate=float(p_cash.mean()),
        cash_rate_se=se(p_cash),
        top1_rate=float(p_top.mean()),
        top1_rate_se=se(p_top),
        win_rate=win_p,
        win_rate_se=float(_rate(np.array(win_p), S)),
    )
    return ContestResult(
        portfolio=port,
        lineups=lineups,
        profit=profit,
        profit_cvar=float(cvar_lower(profit, cvar_alpha)),
        cvar_alpha=float(cvar_alpha),
        n_scenarios=S,
        n_entries=n_entries,
        entry_fee=float(entry_fee),
        prize_pool=payouts.total,
    )
