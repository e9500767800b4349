"""Post-contest review: a portfolio placed in a contest's real standings, and the real field's
ownership against the ownership tailrace modelled.

Above the pipeline, below the faces. The standings (``tailrace.contest.standings``) give every
real entry's points and each driver's real fantasy points and share drafted. Each of our lineups
scores the sum of its drivers' real points and is ranked among the real entries and our other
lineups, ties as DraftKings settles them: tied entries share the prizes of the places they cover
(``tailrace.contest.payouts.split_payout``). A user's own entries (``user``) are taken out of the
real field first, so a portfolio that was entered is not counted twice.

Points are compared in cents (DraftKings prints two decimals), so sums of float points that
differ in the 12th decimal still tie.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tailrace.contest.payouts import PayoutTable, split_payout
from tailrace.contest.standings import Standings
from tailrace.errors import InputError, Problem, as_text
from tailrace.outputs import atomic_write_with, jsonable
from tailrace.slate import Slate

__all__ = ["ContestReview", "DriverOwnership", "LineupPlace", "field_of", "lineup_points", "place_lineups",
           "review_contest", "user_lineups", "write_plots"]


@dataclass(frozen=True)
class LineupPlace:
    """One of our lineups in the real contest.

    Attributes
    ----------
    drivers : tuple of int
        Sorted slate driver indices.
    points : float
        Sum of the drivers' real fantasy points (rounded to the cent).
    rank : int
        1 + the entries with more points (tied entries share a rank).
    tied : int
        Entries on the same points, this one included.
    payout : float
        Prize won: the tied entries' places' prizes split evenly.
    """

    drivers: tuple[int, ...]
    points: float
    rank: int
    tied: int
    payout: float


@dataclass(frozen=True)
class DriverOwnership:
    """A driver's modelled ownership against the real field's (percent), and his real points (NaN: unlisted)."""

    index: int
    modelled: float
    real: float
    fpts: float

    @property
    def error(self) -> float:
        """Modelled minus real, percentage points."""
        return self.modelled - self.real


@dataclass(frozen=True)
class ContestReview:
    """The review of one portfolio in one contest.

    Attributes
    ----------
    lineups : tuple of LineupPlace
        Our lineups in portfolio order.
    entry_fee : float
    n_entries : int
        Entries the lineups were ranked among: the real field (less the user's own) plus ours.
    n_field : int
        Real entries kept in the field.
    n_removed : int
        The user's own entries taken out of the field.
    user : str or None
    payouts : PayoutTable
    ownership : tuple of DriverOwnership or None
        One per slate driver, in slate order (None without a modelled ownership).
    winning_points : float
        The best score in the contest (ours included).
    cash_line : float or None
        Points of the last paid place (ours included), None when every place is paid.
    warnings : tuple of str
    """

    lineups: tuple[LineupPlace, ...]
    entry_fee: float
    n_entries: int
    n_field: int
    n_removed: int
    user: str | None
    payouts: PayoutTable
    ownership: tuple[DriverOwnership, ...] | None
    winning_points: float
    cash_line: float | None
    warnings: tuple[str, ...] = ()

    @property
    def fees(self) -> float:
        return self.entry_fee * len(self.lineups)

    @property
    def won(self) -> float:
        return float(round(sum(p.payout for p in self.lineups), 2))

    @property
    def profit(self) -> float:
        return self.won - self.fees

    @property
    def roi(self) -> float:
        """Profit over fees."""
        return self.profit / self.fees if self.fees else float("nan")

    @property
    def cashed(self) -> int:
        return sum(1 for p in self.lineups if p.payout > 0)

    @property
    def ownership_mae(self) -> float | None:
        """Mean absolute error of modelled against real ownership over the slate's drivers, percentage points."""
        if not self.ownership:
            return None
        return float(np.mean([abs(o.error) for o in self.ownership]))

    def to_dict(self, slate: Slate) -> dict[str, Any]:
        """The machine-readable review (``--json``): totals, each lineup, each driver's ownership."""
        out = {
            "entry_fee": self.entry_fee,
            "entries": len(self.lineups),
            "fees": round(self.fees, 2),
            "won": self.won,
            "profit": round(self.profit, 2),
            "roi": self.roi,
            "cashed": self.cashed,
            "best_rank": min((p.rank for p in self.lineups), default=None),
            "contest": {"n_entries": self.n_entries, "n_field": self.n_field, "n_removed": self.n_removed,
                        "user": self.user, "winning_points": self.winning_points, "cash_line": self.cash_line,
                        "payouts": self.payouts.to_dict()},
            "lineups": [{"driver_ids": [slate.drivers[i].id for i in p.drivers],
                         "names": [slate.drivers[i].name for i in p.drivers],
                         "points": p.points, "rank": p.rank, "tied": p.tied, "payout": p.payout,
                         "profit": round(p.payout - self.entry_fee, 2)} for p in self.lineups],
            "ownership": None if self.ownership is None else {
                "mae": self.ownership_mae,
                "drivers": [{"id": slate.drivers[o.index].id, "name": slate.drivers[o.index].name,
                             "modelled": o.modelled, "real": o.real, "error": o.error, "fpts": o.fpts}
                            for o in self.ownership]},
            "warnings": list(self.warnings),
        }
        return jsonable(out)


def _cents(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, dtype=np.float64) * 100.0).astype(np.int64)


def lineup_points(standings: Standings, lineups: np.ndarray, slate: Slate) -> np.ndarray:
    """Each lineup's real points from the standings' player table.

    Parameters
    ----------
    standings : Standings
    lineups : ndarray of shape (n_lineups, roster)
        Slate driver indices.
    slate : Slate
        For the names in an error.

    Returns
    -------
    ndarray of shape (n_lineups,)
        Sums of the drivers' FPTS, rounded to the cent.

    Raises
    ------
    InputError
        When a lineup holds a driver the player table does not list (nobody drafted him, so the
        file has no points for him), naming the lineup and the driver.
    """
    lu = np.asarray(lineups, dtype=np.int64)
    missing = ~standings.listed[lu]
    if missing.any():
        problems = [Problem(f"lineup {k + 1} holds {as_text(slate.drivers[int(lu[k, j])].name)}, whom the standings' "
                            "player table does not list, so his points are unknown", file=standings.source,
                            field="Player",
                            fix="add a row for him to the player table (Player, Roster Position, %Drafted 0.00%, "
                                "FPTS his real points)")
                    for k, j in zip(*np.nonzero(missing))]
        raise InputError(problems)
    return _cents(standings.fpts[lu].sum(axis=1)) / 100.0


def place_lineups(field_points: np.ndarray, points: np.ndarray, payouts: PayoutTable) -> tuple[np.ndarray, ...]:
    """Rank, ties and prize of our lineups among the field's entries and each other.

    Parameters
    ----------
    field_points : ndarray of shape (n_field,)
        The other entries' points.
    points : ndarray of shape (n_lineups,)
        Ours.
    payouts : PayoutTable

    Returns
    -------
    rank : ndarray of shape (n_lineups,), int64
        1 + the entries (field and ours) with more points.
    tied : ndarray of shape (n_lineups,), int64
        Entries on the same points, the lineup itself included.
    payout : ndarray of shape (n_lineups,), float64
        Prize, the tied entries' places split evenly (rounded to the cent).

    Notes
    -----
    Points are compared in whole cents.
    """
    ours = _cents(points)
    everyone = np.sort(-np.concatenate([_cents(field_points), ours]))
    above = np.searchsorted(everyone, -ours, side="left")
    tied = np.searchsorted(everyone, -ours, side="right") - above
    pay = split_payout(payouts.cumulative(), above, tied)
    return above + 1, tied, np.round(pay, 2)


def user_lineups(standings: Standings, user: str) -> list[tuple[int, ...]]:
    """The lineups of ``user``'s entries (name as in EntryName, without ``(k/n)``; case ignored).

    Raises
    ------
    InputError
        When the standings hold no entry with a lineup by that user (closest user names listed).
    """
    key = user.strip().lower()
    out = [e.lineup for e in standings.entries if e.user.strip().lower() == key and e.lineup is not None]
    if not out:
        users = sorted({e.user for e in standings.entries})
        close = difflib.get_close_matches(user, users, n=3, cutoff=0.5)
        raise InputError(Problem(f"no entry with a lineup by user '{as_text(user)}' in the standings"
                                 + (f" (closest: {as_text(', '.join(close))})" if close else ""),
                                 file=standings.source, field="EntryName",
                                 fix="give the user name as in EntryName, without the (3/150) entry count"))
    return out  # type: ignore[return-value]


def field_of(standings: Standings, user: str | None = None) -> tuple[np.ndarray, int]:
    """The real field's points without ``user``'s entries, and how many were taken out.

    Returns
    -------
    points : ndarray of shape (n_field,)
        Every other entry's points (entries with no lineup included, as DraftKings ranks them).
    removed : int
    """
    pts = standings.points()
    if user is None:
        return pts, 0
    mine = np.array([e.user.strip().lower() == user.strip().lower() for e in standings.entries])
    return pts[~mine], int(mine.sum())


def review_contest(
    slate: Slate,
    standings: Standings,
    lineups: np.ndarray,
    payouts: PayoutTable,
    entry_fee: float,
    *,
    modelled_ownership: np.ndarray | None = None,
    user: str | None = None,
) -> ContestReview:
    """Place ``lineups`` in the real contest and compare ownership.

    Parameters
    ----------
    slate : Slate
    standings : Standings
        Read against ``slate``.
    lineups : ndarray of shape (n_lineups, roster)
        Our lineups as slate driver indices.
    payouts : PayoutTable
        The contest's prizes.
    entry_fee : float
    modelled_ownership : ndarray of shape (n_drivers,), optional
        Percent per driver, as tailrace modelled the field.
    user : str, optional
        Our user name: its entries are taken out of the field before ours are placed.

    Returns
    -------
    ContestReview
    """
    lu = np.sort(np.asarray(lineups, dtype=np.int64), axis=1)
    pts = lineup_points(standings, lu, slate)
    field_pts, removed = field_of(standings, user)
    rank, tied, pay = place_lineups(field_pts, pts, payouts)
    warnings = list(standings.warnings)
    if user is None and lu.shape[0]:
        held = {e.lineup for e in standings.entries if e.lineup is not None}
        if all(tuple(int(i) for i in row) in held for row in lu):
            warnings.append("every lineup of the portfolio is also an entry in the standings: if they are your entries, "
                            "give your user name so they are not counted twice (each would tie with itself)")
    every = np.sort(np.concatenate([field_pts, pts]))[::-1]
    places = [LineupPlace(tuple(int(i) for i in row), float(p), int(r), int(t), float(x))
              for row, p, r, t, x in zip(lu, pts, rank, tied, pay)]
    own = None
    if modelled_ownership is not None:
        m = np.asarray(modelled_ownership, dtype=np.float64)
        own = tuple(DriverOwnership(i, float(m[i]), float(standings.drafted[i]), float(standings.fpts[i]))
                    for i in range(slate.n))
    n_paid = payouts.n_paid
    return ContestReview(
        lineups=tuple(places), entry_fee=float(entry_fee), n_entries=int(every.shape[0]), n_field=int(field_pts.shape[0]),
        n_removed=removed, user=user, payouts=payouts, ownership=own,
        winning_points=float(every[0]) if every.size else float("nan"),
        cash_line=float(every[n_paid - 1]) if 0 < n_paid <= every.shape[0] else None,
        warnings=tuple(warnings),
    )


def review_report(slate: Slate, standings: Standings, lineups: np.ndarray, payouts: PayoutTable, entry_fee: float,
                  *, modelled_ownership: np.ndarray | None, user: str | None = None,
                  warnings: list[str] | None = None) -> tuple[ContestReview, dict[str, Any], list[str]]:
    """:func:`review_contest` and its machine-readable report, as ``tailrace review --json`` writes it
    and ``POST /review`` answers: :meth:`ContestReview.to_dict` plus every warning (``warnings``
    given first, then the review's own) and the standings' file, entries and entries with a lineup.
    Returns ``(review, report, warnings)``."""
    result = review_contest(slate, standings, lineups, payouts, entry_fee, modelled_ownership=modelled_ownership,
                            user=user)
    said = list(warnings or [])
    said += [w for w in result.warnings if w not in said]
    report = result.to_dict(slate)
    report["warnings"] = said
    report["standings"] = {"file": standings.source, "entries": standings.n_entries,
                           "with_lineup": int(standings.lineups().shape[0])}
    return result, report, said


def write_plots(review: ContestReview, standings: Standings, slate: Slate, folder: str | Path) -> list[Path]:
    """PNG plots into ``folder``: ``ownership.png`` (modelled against real ownership, one point a
    driver, the diagonal and the ten largest misses named) when ownership was modelled, and
    ``standings.png`` (the field's points with our lineups and the cash line). Written
    atomically; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        written.append(atomic_write_with(out / name, lambda f: fig.savefig(f, format="png", dpi=100)))
        plt.close(fig)

    if review.ownership:
        mod = np.array([o.modelled for o in review.ownership])
        real = np.array([o.real for o in review.ownership])
        fig, ax = plt.subplots(figsize=(6, 6))
        top = max(float(mod.max()), float(real.max()), 1.0) * 1.05
        ax.plot([0, top], [0, top], "k--", lw=1)
        ax.scatter(mod, real, s=18)
        for o in [o for o in sorted(review.ownership, key=lambda o: -abs(o.error)) if abs(o.error) >= 0.5][:10]:
            ax.annotate(slate.drivers[o.index].name, (o.modelled, o.real), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel("modelled ownership (%)")
        ax.set_ylabel("real %Drafted")
        ax.set_title(f"Ownership: mean absolute error {review.ownership_mae:.2f} pp")
        fig.tight_layout()
        save(fig, "ownership.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(standings.points(), bins=60, color="0.6")
    for k, p in enumerate(review.lineups):
        ax.axvline(p.points, color="tab:blue", lw=1, alpha=0.7, label="our lineups" if k == 0 else None)
    if review.cash_line is not None:
        ax.axvline(review.cash_line, color="tab:red", lw=1.5, ls="--", label="cash line")
    ax.set_xlabel("points")
    ax.set_ylabel("entries")
    ax.set_title(f"Standings: {review.n_entries:,} entries; won \\${review.won:,.2f} on \\${review.fees:,.2f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, "standings.png")
    return written
