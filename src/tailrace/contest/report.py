"""Can an ownership file be realised, and how the field tailrace sampled compares with it.

An ownership projection says what share of the field holds each driver. Every lineup fits
the salary cap, so every field's average lineup salary, ``sum(own_i * salary_i) / 100``, is
at most the cap. A file whose *implied average salary* is over the cap describes no field of
legal lineups: any sampler must repair it, and the repair (which drivers lose share, which
punts gain it) is a guess the file does not make. :func:`ownership_report` says so, names the
drivers that make it so, and sets the file beside the field actually sampled: per-driver
ownership, the worst miss, and how many entries sit in duplicated lineups.

Per driver, ``max_pct`` is the most any legal field can hold him at: 0 when no lineup holding
him fits the cap (his salary plus the ``roster - 1`` cheapest others is over it), else 100. A
file above it (a scaled file can put a driver over 100 %) cannot be realised at all.

When the implied average is over the cap, ``fit_share`` says by how much: the share of their
ownership the drivers dearer than the cap's share per slot (``cap / roster``) could keep, the
rest moving to the cheaper drivers in proportion, for the file's average to meet the cap. With
``T = roster x 100``, ``O_H`` and ``S_H = sum(o_i s_i)`` over the dear drivers and ``m_L`` the
cheap drivers' ownership-weighted mean salary, ``fit_share = (100 cap - T m_L) / (S_H - O_H m_L)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tailrace.contest.field import Field

MISS_TOLERANCE = 5.0  # points: a sampled field further than this from the file is reported
OVER_TOLERANCE = 0.05  # points above max_pct before a driver is reported


@dataclass(frozen=True)
class OwnershipRow:
    """One driver: the file's share, the sampled field's (None without a field) and the legal maximum, percent."""

    index: int
    file_pct: float
    field_pct: float | None
    max_pct: float


@dataclass(frozen=True)
class OwnershipReport:
    """What :func:`ownership_report` found.

    Attributes
    ----------
    implied_avg_salary : float
        ``sum(ownership * salaries) / 100``: the average lineup salary the file implies.
    salary_cap : int
        The cap it is compared with.
    realisable : bool
        False when the implied average is over the cap or a driver is above his ``max_pct``.
    problems : list of str
        One sentence per problem (the file's, and the sampled field's miss when over
        ``MISS_TOLERANCE``).
    rows : list of OwnershipRow
        Per driver, in slate order.
    duplicated_entries, max_dup, n_entries, n_unique : int or None
        The sampled field's entries that share their lineup with another entry, the most
        entries on one lineup, entries and distinct lineups (None without a field).
    field_avg_salary : float or None
        The sampled field's average lineup salary.
    worst_miss : tuple (index, file_pct, field_pct) or None
        The driver whose field share is furthest from the file's.
    field_model : str or None
        How the field was drawn (``Field.model``), or its file.
    fit_share : float or None
        Over the cap: the share of their ownership the drivers dearer than ``cap / roster``
        could keep for the file to fit (see the module docstring); None otherwise.
    """

    implied_avg_salary: float
    salary_cap: int
    realisable: bool
    problems: list[str]
    rows: list[OwnershipRow]
    duplicated_entries: int | None = None
    max_dup: int | None = None
    n_entries: int | None = None
    n_unique: int | None = None
    field_avg_salary: float | None = None
    worst_miss: tuple[int, float, float] | None = None
    field_model: str | None = None
    fit_share: float | None = None

    def to_dict(self, names: Sequence[str] | None = None, ids: Sequence[str] | None = None) -> dict[str, Any]:
        """JSON-ready form; drivers named by ``names`` / ``ids`` when given, sorted by file share."""

        def who(i: int) -> dict[str, Any]:
            d: dict[str, Any] = {"index": int(i)}
            if ids is not None:
                d["driver_id"] = str(ids[i])
            if names is not None:
                d["name"] = str(names[i])
            return d

        rows = sorted(self.rows, key=lambda r: (-r.file_pct, r.index))
        return {
            "realisable": self.realisable,
            "implied_avg_salary": round(self.implied_avg_salary, 2),
            "salary_cap": int(self.salary_cap),
            "problems": list(self.problems),
            "fit_share": None if self.fit_share is None else round(self.fit_share, 4),
            "field_model": self.field_model,
            "field_avg_salary": None if self.field_avg_salary is None else round(self.field_avg_salary, 2),
            "n_entries": self.n_entries,
            "n_unique": self.n_unique,
            "duplicated_entries": self.duplicated_entries,
            "max_dup": self.max_dup,
            "worst_miss": None if self.worst_miss is None else {
                **who(self.worst_miss[0]), "file_pct": round(self.worst_miss[1], 3),
                "field_pct": round(self.worst_miss[2], 3)},
            "drivers": [{**who(r.index), "file_pct": round(r.file_pct, 3),
                         "field_pct": None if r.field_pct is None else round(r.field_pct, 3),
                         "max_pct": round(r.max_pct, 3)} for r in rows],
        }


def max_ownership(salaries: np.ndarray, roster_size: int, salary_cap: int) -> np.ndarray:
    """Per driver, the most any legal field can hold him at, percent: 0 when no lineup holding him
    fits the cap, else 100.

    Parameters
    ----------
    salaries : ndarray of shape (n,)
        Salary per driver.

    Returns
    -------
    ndarray of shape (n,)
    """
    sal = np.asarray(salaries, dtype=np.float64)
    n = sal.shape[0]
    order = np.argsort(sal, kind="stable")
    out = np.full(n, 100.0)
    for i in range(n):
        cheapest = order[order != i][: int(roster_size) - 1]
        if sal[i] + sal[cheapest].sum() > salary_cap:
            out[i] = 0.0
    return out


def fit_share(ownership: np.ndarray, salaries: np.ndarray, roster_size: int, salary_cap: int) -> float | None:
    """The share of their ownership drivers dearer than ``cap / roster`` could keep for the file to fit the cap.

    Parameters
    ----------
    ownership : ndarray of shape (n,)
        Percent, summing to ``roster_size * 100``.
    salaries : ndarray of shape (n,)
        Salary per driver.

    Returns
    -------
    float or None
        In [0, 1) when the implied average is over the cap and a cheaper driver can take the
        share; None when it is not over the cap or no driver is cheaper than ``cap / roster``.
    """
    own = np.asarray(ownership, dtype=np.float64)
    sal = np.asarray(salaries, dtype=np.float64)
    if own @ sal / 100.0 <= salary_cap:
        return None
    dear = sal > salary_cap / roster_size
    o_l = own[~dear].sum()
    if o_l <= 0:
        return None
    m_l = own[~dear] @ sal[~dear] / o_l
    s_h, o_h = own[dear] @ sal[dear], own[dear].sum()
    den = s_h - o_h * m_l
    if den <= 0:
        return None
    return float(max(0.0, (100.0 * salary_cap - own.sum() * m_l) / den))


def ownership_report(
    ownership: np.ndarray,
    salaries: np.ndarray,
    roster_size: int,
    salary_cap: int,
    field: Field | None = None,
    *,
    names: Sequence[str] | None = None,
) -> OwnershipReport:
    """Is ``ownership`` realisable under the cap, and how far is ``field`` from it?

    Parameters
    ----------
    ownership : ndarray of shape (n,)
        The file's ownership, percent (as the contest uses it: summing to roster x 100).
    salaries : ndarray of shape (n,)
        Salary per driver.
    roster_size, salary_cap : int
        The site's roster and cap.
    field : Field, optional
        The field sampled (or read) for the contest.
    names : sequence of str, optional
        Driver names for the problems' sentences (else ``driver <index>``).

    Returns
    -------
    OwnershipReport
    """
    own = np.asarray(ownership, dtype=np.float64)
    sal = np.asarray(salaries, dtype=np.float64)
    n = own.shape[0]

    def nm(i: int) -> str:
        return str(names[i]) if names is not None else f"driver {i}"

    implied = float(own @ sal / 100.0)
    mx = max_ownership(sal, roster_size, salary_cap)
    problems: list[str] = []
    over_cap = implied > salary_cap
    fit = fit_share(own, sal, roster_size, salary_cap)
    if over_cap:
        how = "" if fit is None else (
            f"; it would fit if the drivers above ${salary_cap / roster_size:,.0f} (the cap's share per slot) kept "
            f"{100 * fit:.0f} % of their ownership, the rest moving to the cheaper ones")
        problems.append(f"the ownership implies an average lineup salary of ${implied:,.0f}, over the "
                        f"${salary_cap:,} cap: no field of legal lineups has these shares, so any sampled field is "
                        f"a repair of the file, not the file{how}")
    above = [i for i in np.argsort(-(own - mx), kind="stable") if own[i] > mx[i] + OVER_TOLERANCE]
    for i in above[:5]:
        why = "no lineup holding him fits the cap" if mx[i] == 0.0 else "no field holds a driver in more than every lineup"
        problems.append(f"{nm(i)}: {own[i]:.1f} % in the file; {why}")
    if len(above) > 5:
        problems.append(f"... and {len(above) - 5} more drivers above what a legal field allows")
    fpct = None
    extra: dict[str, Any] = {}
    if field is not None and field.n_entries > 0:
        fpct = field.ownership(n)
        _, cnt = field.unique()
        miss = np.abs(fpct - own)
        w = int(np.argmax(miss))
        extra = {
            "duplicated_entries": int(cnt[cnt > 1].sum()), "max_dup": int(cnt.max()), "n_entries": field.n_entries,
            "n_unique": int(cnt.shape[0]), "field_avg_salary": float(sal[field.lineups].sum(axis=1).mean()),
            "worst_miss": (w, float(own[w]), float(fpct[w])),
            "field_model": field.model if field.source == "sampled" else field.source,
        }
        if miss[w] > MISS_TOLERANCE:
            problems.append(f"the sampled field misses the file by up to {miss[w]:.1f} points ({nm(w)}: "
                            f"{own[w]:.1f} % in the file, {fpct[w]:.1f} % in the field)")
    rows = [OwnershipRow(i, float(own[i]), None if fpct is None else float(fpct[i]), float(mx[i])) for i in range(n)]
    return OwnershipReport(implied_avg_salary=implied, salary_cap=int(salary_cap),
                           realisable=not over_cap and not above, problems=problems, rows=rows, fit_share=fit,
                           **extra)
