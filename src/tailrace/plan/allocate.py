"""How many entries go into each contest of a race day: the allocation that maximises the
bankroll's expected log-growth under a cap on the day's stake (arrays in, a decision out).

Words. ``tables[c]`` holds contest ``c``'s profit per scenario for every entry count:
``tables[c][k, s]`` is the profit of its first ``k`` lineups in scenario ``s`` (row 0 is all
zeros: no entries, no profit). An allocation ``k = (k_1, ..., k_C)`` gives the day's profit
``P_k[s] = sum_c tables[c][k_c, s]`` and the stake ``sum_c k_c * fee_c``.

Growth. With bankroll ``B`` and Kelly fraction ``f`` in (0, 1], the objective is

    G_f(k) = mean_s log(1 + f * P_k[s] / B),

the expected log-growth of a bankroll of ``B / f`` that takes the day's bets: full Kelly when
``f = 1``; with ``f < 1`` it is Kelly for a bankroll ``1/f`` times the real one, which for a
bet that scales linearly is exactly ``f`` times the Kelly stake (the usual fractional Kelly),
and here, where entries are whole and payouts are not linear in them, the same idea said on
the growth. ``log_growth`` (``f = 1``) is what the real bankroll realises and is reported
beside it. With the stake capped at ``max_stake * B`` (``max_stake < 1``) the loss is at most
the stake, so ``1 + f P / B > 0`` always.

Search. :func:`allocate` records the greedy path (from no entries, add the one entry that
raises ``G_f`` most, while one does) as the steps a person can follow, then searches
exhaustively: every allocation within the stake cap, the contest with most entry counts
vectorised, the others enumerated (``n_evaluated`` allocations). When that would pass
``max_work`` (allocations x scenarios, about a second per 10^8 on one core) it falls back to
coordinate ascent from the greedy's end (each contest's best count given the others, until none
moves) and says so (``method``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Allocation", "allocate", "day_profit", "growth", "prefix_profits", "MAX_WORK"]

MAX_WORK = 200_000_000  # allocations x scenarios the exhaustive search may evaluate
_EPS = 1e-9


def prefix_profits(payouts: np.ndarray, entry_fee: float) -> np.ndarray:
    """Profit of each prefix of an ordered portfolio, per scenario.

    Parameters
    ----------
    payouts : ndarray of shape (n_scenarios, m)
        Payout of each of the ``m`` lineups (in portfolio order) in each scenario.
    entry_fee : float
        Fee per entry.

    Returns
    -------
    ndarray of shape (m + 1, n_scenarios), float64
        Row ``k``: the first ``k`` lineups' payouts summed, minus ``k * entry_fee``; row 0 is zeros.
    """
    pay = np.asarray(payouts, dtype=np.float64)
    S, m = pay.shape
    out = np.zeros((m + 1, S))
    np.cumsum(pay.T, axis=0, out=out[1:])
    out[1:] -= entry_fee * np.arange(1, m + 1)[:, None]
    return out


def growth(profit: np.ndarray, bankroll: float, kelly: float = 1.0) -> float | np.ndarray:
    """Mean log-growth ``mean_s log(1 + kelly * profit[..., s] / bankroll)`` (module docstring).

    Parameters
    ----------
    profit : ndarray of shape (n_scenarios,) or (n, n_scenarios)
        The day's profit per scenario (one row per allocation).
    bankroll : float
        The bankroll, > 0.
    kelly : float, default=1.0
        Kelly fraction in (0, 1].

    Returns
    -------
    float, or ndarray of shape (n,) for 2-D input
        ``-inf`` where some scenario loses the whole (scaled) bankroll.
    """
    x = 1.0 + kelly * np.asarray(profit, dtype=np.float64) / bankroll
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(x > 0, np.log(np.maximum(x, 1e-300)), -np.inf).mean(axis=-1)
    return float(g) if np.ndim(g) == 0 else g


def day_profit(tables: Sequence[np.ndarray], entries: Sequence[int]) -> np.ndarray:
    """The day's profit per scenario, shape (n_scenarios,): ``sum_c tables[c][entries[c]]``."""
    out = np.zeros(tables[0].shape[1])
    for t, k in zip(tables, entries):
        out += t[int(k)]
    return out


@dataclass(frozen=True)
class Allocation:
    """The decision and how it was reached.

    Attributes
    ----------
    entries : tuple of int
        Entries per contest, in the order given.
    stake : float
        ``sum_c entries[c] * fee[c]``.
    growth : float
        ``G_f`` of ``entries`` on the scenarios given (``kelly`` applied).
    log_growth : float
        The same with ``kelly = 1``: the real bankroll's mean log-growth.
    method : str
        ``"exhaustive"`` or ``"coordinate ascent"`` (module docstring).
    n_evaluated : int
        Allocations whose growth was computed by the search.
    steps : list of dict
        The greedy path: per step the contest given one more entry, its entries after, the
        day's stake and growth after, and the gain.
    greedy_entries : tuple of int
        Where the greedy path ended.
    marginal : list of dict
        Per contest at the decision: growth with one entry fewer and one more (None where not
        allowed), the others held.
    """

    entries: tuple[int, ...]
    stake: float
    growth: float
    log_growth: float
    method: str
    n_evaluated: int
    steps: list[dict] = field(default_factory=list)
    greedy_entries: tuple[int, ...] = ()
    marginal: list[dict] = field(default_factory=list)


def _check(tables: Sequence[np.ndarray], fees: Sequence[float], bankroll: float, max_stake: float,
           kelly: float) -> None:
    if len(tables) == 0 or len(tables) != len(fees):
        raise ValueError("give one profit table and one fee per contest (at least one contest)")
    S = tables[0].shape[1]
    for t in tables:
        if t.ndim != 2 or t.shape[1] != S or t.shape[0] < 1 or np.any(t[0] != 0):
            raise ValueError("each table must have shape (m + 1, n_scenarios) with row 0 all zeros")
    if not (bankroll > 0 and math.isfinite(bankroll)):
        raise ValueError(f"bankroll must be positive, got {bankroll}")
    if not (0 < max_stake < 1):
        raise ValueError(f"max_stake must lie in (0, 1), got {max_stake}")
    if not (0 < kelly <= 1):
        raise ValueError(f"kelly must lie in (0, 1], got {kelly}")
    if any(not (f > 0) for f in fees):
        raise ValueError("entry fees must be positive")


def _kmax(fee: float, room: float, m: int) -> int:
    """Most entries of fee ``fee`` that fit ``room`` dollars (at most ``m``)."""
    return int(min(m, math.floor(room / fee + _EPS))) if room > -_EPS else -1


def allocate(tables: Sequence[np.ndarray], fees: Sequence[float], bankroll: float, max_stake: float,
             kelly: float = 1.0, *, max_work: int = MAX_WORK) -> Allocation:
    """The entries per contest that maximise ``G_f`` with the stake at most ``max_stake * bankroll``.

    Parameters
    ----------
    tables : sequence of ndarray, each of shape (m_c + 1, n_scenarios)
        Profit per entry count and scenario (module docstring; :func:`prefix_profits`).
    fees : sequence of float
        Entry fee of each contest.
    bankroll : float
        Dollars, > 0.
    max_stake : float
        Cap on the day's stake as a share of the bankroll, in (0, 1).
    kelly : float, default=1.0
        Kelly fraction in (0, 1].
    max_work : int, default=MAX_WORK
        Above this many allocation-scenario evaluations (all allocations, stake cap aside, times
        scenarios), coordinate ascent instead of the exhaustive search.

    Returns
    -------
    Allocation
        Ties go to the allocation met first in lexicographic order of entry counts (fewest first).

    Raises
    ------
    ValueError
        On malformed tables or parameters (the faces check their inputs first).
    """
    _check(tables, fees, bankroll, max_stake, kelly)
    budget = max_stake * bankroll
    C = len(tables)
    ms = [t.shape[0] - 1 for t in tables]
    fees = [float(f) for f in fees]

    def g(k: Sequence[int], f: float = kelly) -> float:
        return float(growth(day_profit(tables, k), bankroll, f))

    def stake(k: Sequence[int]) -> float:
        return float(sum(kc * fc for kc, fc in zip(k, fees)))

    # the greedy path: one entry at a time, the best gain first
    k = [0] * C
    cur = 0.0
    steps: list[dict] = []
    base = np.zeros(tables[0].shape[1])
    while True:
        room = budget - stake(k)
        best_c, best_g = -1, cur
        for c in range(C):
            if k[c] < ms[c] and fees[c] <= room + _EPS:
                gc = float(growth(base - tables[c][k[c]] + tables[c][k[c] + 1], bankroll, kelly))
                if gc > best_g + 1e-15:
                    best_c, best_g = c, gc
        if best_c < 0:
            break
        base += tables[best_c][k[best_c] + 1] - tables[best_c][k[best_c]]
        k[best_c] += 1
        steps.append({"step": len(steps) + 1, "contest": best_c, "entries_after": k[best_c],
                      "stake_after": stake(k), "growth_after": best_g, "gain": best_g - cur})
        cur = best_g
    greedy = tuple(k)

    # the exhaustive search: the contest with most counts vectorised, the others enumerated
    L = int(np.argmax(ms))
    others = [c for c in range(C) if c != L]
    n_other = 1
    for c in others:
        n_other *= ms[c] + 1
    best_k: tuple[int, ...] = tuple([0] * C)
    best_v = g(best_k)
    if n_other * (ms[L] + 1) * tables[0].shape[1] <= max_work:
        method = "exhaustive"
        n_eval = 0
        S = tables[0].shape[1]
        for combo in itertools.product(*[range(ms[c] + 1) for c in others]):
            st = sum(kc * fees[c] for kc, c in zip(combo, others))
            kl = _kmax(fees[L], budget - st, ms[L])
            if kl < 0:
                continue
            b = np.zeros(S)
            for kc, c in zip(combo, others):
                b += tables[c][kc]
            vals = growth(tables[L][:kl + 1] + b[None, :], bankroll, kelly)
            n_eval += kl + 1
            j = int(np.argmax(vals))
            if vals[j] > best_v + 1e-15:
                kk = [0] * C
                for kc, c in zip(combo, others):
                    kk[c] = kc
                kk[L] = j
                best_k, best_v = tuple(kk), float(vals[j])
    else:
        method = "coordinate ascent"
        n_eval = 0
        kk = list(greedy)
        best_v = g(kk)
        moved = True
        while moved:
            moved = False
            for c in range(C):
                rest = day_profit(tables, kk) - tables[c][kk[c]]
                kc_max = _kmax(fees[c], budget - (stake(kk) - kk[c] * fees[c]), ms[c])
                vals = growth(tables[c][:kc_max + 1] + rest[None, :], bankroll, kelly)
                n_eval += kc_max + 1
                j = int(np.argmax(vals))
                if vals[j] > best_v + 1e-15 and j != kk[c]:
                    kk[c], best_v, moved = j, float(vals[j]), True
        best_k = tuple(kk)

    marginal = []
    for c in range(C):
        row: dict = {"contest": c, "entries": best_k[c], "growth": best_v, "growth_one_fewer": None,
                     "growth_one_more": None}
        if best_k[c] > 0:
            row["growth_one_fewer"] = g([x - (i == c) for i, x in enumerate(best_k)])
        if best_k[c] < ms[c] and stake(best_k) + fees[c] <= budget + _EPS:
            row["growth_one_more"] = g([x + (i == c) for i, x in enumerate(best_k)])
        marginal.append(row)
    return Allocation(entries=best_k, stake=stake(best_k), growth=best_v, log_growth=g(best_k, 1.0),
                      method=method, n_evaluated=n_eval, steps=steps, greedy_entries=greedy, marginal=marginal)
