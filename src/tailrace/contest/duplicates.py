"""Duplicates: how many field entries hold exactly a lineup's drivers, and what sharing a prize costs it.

**Expected duplicates.** In a field of ``N`` opponents drawn independently from a field model,
the number holding lineup ``L`` has mean ``N * P(entry = L)``. tailrace's samplers have no
closed-form ``P`` (calibrated weights, a salary window that redraws, optimiser-built entries), so
``P`` is estimated by counting exact copies in a large sample of the model (``sample``: many
fields' entries pooled): ``E = N * c / M`` with ``c`` copies among ``M`` sampled entries, and
standard error ``N * sqrt(c (1 - c / M)) / M`` (binomial). Where entries are not independent
draws (a sharp field: its optimiser entries share one draw of the optimisers' projections per
field) the sample is made of whole independent fields and ``E`` is their mean copies scaled to
``N``, with the fields' standard error. A field given as a file is not a model but the data:
there ``E`` is the count of copies in it, with no error.

**What sharing costs.** Tied entries split the prizes of the places they share
(``payouts.split_payout``). For each scenario the lineup's standing against the rest of the
field (``above`` entries strictly ahead, ``tied`` on its score, copies of itself left out) gives
its prize alone, ``split(above, tied)``, and with ``d`` copies, ``split(above, tied + d)``. The
copies are counted as Poisson with mean ``E`` (a count of independent rare draws), so the
expected prize with copies is ``sum_d Poisson(d; E) * split(above, tied + d)``; the **sharing
cost** is the mean over scenarios of prize alone minus prize with copies, in money per entry
(0 when ``E`` is 0; never negative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailrace.contest.field import Field
from tailrace.contest.payouts import PayoutTable, split_payout
from tailrace.contest.simulate import standings_kernel


def lineup_keys(lineups: np.ndarray, n_drivers: int) -> np.ndarray:
    """One int64 key per lineup (its sorted drivers as digits base ``n_drivers``), shape (k,).

    Equal keys mean the same set of drivers. Needs ``n_drivers ** roster < 2**63``.
    """
    a = np.asarray(lineups, dtype=np.int64)
    if a.size == 0:
        return np.zeros(a.shape[0] if a.ndim else 0, dtype=np.int64)
    lu = np.sort(a.reshape(len(a), -1), axis=1)
    if float(n_drivers) ** lu.shape[1] >= 2.0**63:
        raise ValueError(f"{n_drivers} drivers x roster {lu.shape[1]} do not fit an int64 key")
    w = np.int64(n_drivers) ** np.arange(lu.shape[1] - 1, -1, -1, dtype=np.int64)
    return lu @ w


def count_copies(sample: np.ndarray, lineups: np.ndarray, n_drivers: int) -> np.ndarray:
    """How many rows of ``sample`` (M, roster) hold exactly the drivers of each lineup (k, roster): shape (k,)."""
    if len(lineups) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(sample) == 0:
        return np.zeros(len(lineups), dtype=np.int64)
    sk = np.sort(lineup_keys(sample, n_drivers))
    q = lineup_keys(lineups, n_drivers)
    return (np.searchsorted(sk, q, side="right") - np.searchsorted(sk, q, side="left")).astype(np.int64)


@dataclass(frozen=True)
class DuplicateSample:
    """Entries drawn from a contest's field model, to count copies in (see module docstring).

    Attributes
    ----------
    lineups : ndarray of shape (M, roster)
        The pooled entries.
    n_entries : int
        ``N``: the opponents a lineup of ours meets (the contest's field less our entries).
    n_drivers : int
        Drivers on the slate.
    exact : bool
        True when ``lineups`` is the field itself (a field given as a file): the count is the
        number of duplicates, not an estimate.
    method : str
        How the sample was drawn, in words.
    fields : tuple of int, optional
        Sizes of the independent fields ``lineups`` is made of, in order, when its entries are
        not independent draws (a sharp field's optimiser entries share one draw of the
        optimisers' projections per field): then ``E`` is the mean over the fields of
        ``N * copies / size`` and its standard error the fields' standard deviation over
        ``sqrt(n_fields)``. None: the entries are independent draws (binomial, module docstring).
    """

    lineups: np.ndarray
    n_entries: int
    n_drivers: int
    exact: bool = False
    method: str = ""
    fields: tuple[int, ...] | None = None

    @property
    def n_sampled(self) -> int:
        return int(self.lineups.shape[0])

    def expected(self, lineups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Expected duplicates of each lineup and its standard error, shapes (k,) and (k,)."""
        if self.fields is not None and not self.exact:
            return self._by_field(lineups)
        c = count_copies(self.lineups, lineups, self.n_drivers).astype(np.float64)
        if self.exact:
            return c, np.zeros_like(c)
        M = max(self.n_sampled, 1)
        e = self.n_entries * c / M
        se = self.n_entries * np.sqrt(c * np.maximum(1.0 - c / M, 0.0)) / M
        return e, se

    def over(self, limit: float) -> np.ndarray:
        """The distinct lineups whose expected duplicates exceed ``limit``, shape (k, roster), rows sorted.

        Every lineup not in the sample has expected duplicates 0, so for ``limit >= 0`` these are
        all the lineups above it: a pool that leaves them out keeps every lineup at or under it.
        """
        if self.n_sampled == 0:
            return np.zeros((0, self.lineups.shape[1] if self.lineups.ndim == 2 else 0), dtype=np.int64)
        u, c = np.unique(np.sort(np.asarray(self.lineups, dtype=np.int64), axis=1), axis=0, return_counts=True)
        if self.fields is not None and not self.exact:
            e = self._by_field(u)[0]
        else:
            e = c.astype(np.float64) if self.exact else self.n_entries * c.astype(np.float64) / self.n_sampled
        return u[e > limit]

    def _by_field(self, lineups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean over the independent fields of their copies scaled to ``n_entries``, and its SE: (k,), (k,)."""
        cuts = np.concatenate([[0], np.cumsum(self.fields)])
        per = np.array([count_copies(self.lineups[a:b], lineups, self.n_drivers) * (self.n_entries / max(b - a, 1))
                        for a, b in zip(cuts[:-1], cuts[1:])], dtype=np.float64)  # (n_fields, k), over fields
        K = per.shape[0]
        se = per.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 else np.full(per.shape[1], np.nan)
        return per.mean(axis=0), se

    def to_dict(self) -> dict:
        return {"method": self.method, "n_entries": int(self.n_entries), "n_sampled": self.n_sampled,
                "exact": bool(self.exact), "n_fields": None if self.fields is None else len(self.fields)}


def field_sample(field: Field, n_entries: int, n_drivers: int) -> DuplicateSample:
    """A field given as data (a file): copies are counted in it, exactly."""
    return DuplicateSample(np.asarray(field.lineups), int(n_entries), int(n_drivers), exact=True,
                           method=f"counted in the given field ({field.n_entries:,} entries)")


def sharing_cost(points: np.ndarray, lineups: np.ndarray, opponents: Field, payouts: PayoutTable,
                 expected: np.ndarray, *, tail: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Mean prize per entry alone and lost to ``expected`` Poisson copies (module docstring).

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers)
        Scenario matrix.
    lineups : ndarray of shape (k, roster)
        Our lineups, each rated alone against ``opponents`` (our other lineups are not entries).
    opponents : Field
        The field; its copies of each lineup are left out of that lineup's standing.
    payouts : PayoutTable
        Prize per place.
    expected : ndarray of shape (k,)
        Expected duplicates per lineup.
    tail : float, default=1e-9
        Poisson mass left out above the largest ``d`` summed.

    Returns
    -------
    alone, cost : ndarray of shape (k,)
        Mean prize with no copies, and the mean prize lost to the copies (``alone`` minus the
        mean prize with them).
    """
    from scipy.stats import poisson


    lu_all = np.sort(np.asarray(lineups, dtype=np.int32), axis=1)
    k = lu_all.shape[0]
    e_all = np.asarray(expected, dtype=np.float64)
    if k == 0:
        return np.zeros(0), np.zeros(0)
    n = np.asarray(points).shape[1]
    u, c = opponents.unique()
    alone_all, cost_all = np.zeros(k), np.zeros(k)
    # every lineup is ranked once (its prize alone); the copy sums only where copies are expected
    kk = lineup_keys(u, n) if u.shape[0] else np.zeros(0, np.int64)
    drop = np.isin(kk, lineup_keys(lu_all, n)) if u.shape[0] else np.zeros(0, bool)
    fu = np.ascontiguousarray(u[~drop], dtype=np.int32)
    fc = np.ascontiguousarray(c[~drop], dtype=np.int64)
    above, tied, _ = standings_kernel(np.ascontiguousarray(points, dtype=np.float32), np.ascontiguousarray(lu_all),
                                      fu, fc, False)
    cum = payouts.cumulative()
    alone_all[:] = split_payout(cum, above, tied).mean(axis=0)
    live = np.nonzero(e_all > 0)[0]
    if live.size == 0:
        return alone_all, cost_all
    above, tied, e = above[:, live], tied[:, live], e_all[live]
    dmin = int(poisson.ppf(tail, e.min()))
    dmax = int(poisson.isf(tail, e.max())) + 1
    shared = np.zeros(live.size)
    mass = np.zeros(live.size)
    for d in range(max(dmin - 1, 0), dmax + 1):  # over copy counts, not scenarios
        w = poisson.pmf(d, e)
        shared += w * split_payout(cum, above, tied + d).mean(axis=0)
        mass += w
    cost_all[live] = np.maximum(alone_all[live] - shared / np.maximum(mass, 1e-300), 0.0)
    return alone_all, cost_all


__all__ = ["DuplicateSample", "count_copies", "field_sample", "lineup_keys", "sharing_cost"]
