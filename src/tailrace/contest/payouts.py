"""Payout tables: prizes by finishing place, read from a file or built like a DraftKings GPP.

A table is one prize per paid place (index 0 = 1st). Places past the table pay nothing.
Tied scores split the prizes of the places they occupy, as DraftKings and FanDuel do
(DraftKings rules, "Ties": "the prizes for the tied positions are combined and divided
equally among the tied entries"): an entry with ``a`` entries strictly above it and ``t``
entries (itself included) on its score occupies places ``a+1 .. a+t`` and receives
``(cum[a+t] - cum[a]) / t`` with ``cum`` the cumulative prize array.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tailrace.errors import InputError, Problem
from tailrace.numeric import bisect_increasing
from tailrace.sites import DEFAULT_RAKE
from tailrace.textfile import csv_rows, parse_json, read_text_file

# Facts for the parametric table (DraftKings NASCAR GPPs, 2021-2023 lobby snapshots):
# about 20-25 % of entries cash, the winner takes 8-20 % of the prize pool, the site keeps
# about 13 % of entry fees ("rake", DEFAULT_RAKE in tailrace.sites), and the smallest prize is
# about twice the entry fee.
DEFAULT_PAID_SHARE = 0.20
DEFAULT_MIN_PRIZE_MULTIPLE = 2.0
DEFAULT_FIRST_SHARE = 0.12


@dataclass(frozen=True)
class PayoutTable:
    """Prize per paid place: ``prizes[i]`` is the prize for place ``i + 1`` (non-increasing)."""

    prizes: np.ndarray  # float64, shape (n_paid,)
    source: str = "parametric"

    @property
    def n_paid(self) -> int:
        return int(self.prizes.shape[0])

    @property
    def total(self) -> float:
        return float(self.prizes.sum())

    def cumulative(self) -> np.ndarray:
        """``cum[k]`` = total prize of places 1..k; shape (n_paid + 1,), ``cum[0] = 0``."""
        return np.concatenate([[0.0], np.cumsum(self.prizes, dtype=np.float64)])

    def capped(self, place: int) -> PayoutTable:
        """The same table with places 1..place-1 paid the prize of ``place`` (a flatter table)."""
        if place <= 1 or self.n_paid == 0:
            return self
        k = min(place, self.n_paid)
        p = self.prizes.copy()
        p[: k - 1] = p[k - 1]
        return PayoutTable(p, source=f"{self.source} capped at place {k}")

    def ranges(self) -> list[tuple[int, int, float]]:
        """Runs of equal prizes as (min_rank, max_rank, prize), the way sites print tables."""
        out: list[tuple[int, int, float]] = []
        start = 0
        for i in range(1, self.n_paid + 1):
            if i == self.n_paid or self.prizes[i] != self.prizes[start]:
                out.append((start + 1, i, float(self.prizes[start])))
                start = i
        return out

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "n_paid": self.n_paid,
            "total": round(self.total, 2),
            "ranges": [{"min_rank": a, "max_rank": b, "prize": p} for a, b, p in self.ranges()],
        }


def split_payout(cum: np.ndarray, above: np.ndarray, tied: np.ndarray) -> np.ndarray:
    """Prize per entry with ``above`` entries strictly ahead and ``tied`` on its score (itself counted).

    ``cum`` is ``PayoutTable.cumulative()``; places past the table pay 0. Arrays broadcast.
    """
    n_paid = cum.shape[0] - 1
    a = np.minimum(np.asarray(above, dtype=np.int64), n_paid)
    b = np.minimum(np.asarray(above, dtype=np.int64) + np.asarray(tied, dtype=np.int64), n_paid)
    return (cum[b] - cum[a]) / np.asarray(tied, dtype=np.float64)


def parametric_payouts(
    entry_fee: float,
    field_size: int,
    rake: float = DEFAULT_RAKE,
    *,
    paid_share: float = DEFAULT_PAID_SHARE,
    first_share: float = DEFAULT_FIRST_SHARE,
    min_prize_multiple: float = DEFAULT_MIN_PRIZE_MULTIPLE,
) -> PayoutTable:
    """A DraftKings-like GPP table: ~``paid_share`` of entries paid, 1st ≈ ``first_share`` of the pool.

    Shape: ``prize(r) = m + A (r^-a - n^-a)`` for places r = 1..n (m = the minimum prize),
    with ``a`` found by bisection so 1st gets ``first_share`` and ``A`` so the prizes sum to
    the pool ``fee * field_size * (1 - rake)``; then places past 10 are grouped in tiers of
    growing width (each tier pays the mean of its places, as site tables do), prizes are
    rounded to the cent and the rounding remainder goes to 1st, so the sum is the pool to the cent.
    Small fields where the shares cannot hold get the nearest feasible table (1st at least
    an equal share; the minimum prize lowered when the pool is too small to pay it).
    """
    if not (entry_fee > 0 and math.isfinite(entry_fee)):
        raise ValueError("entry fee must be a positive number")
    if field_size < 2:
        raise ValueError("a tournament needs at least 2 entries")
    if not (0.0 <= rake < 1.0):
        raise ValueError("rake must lie in [0, 1)")
    pool_cents = int(round(entry_fee * field_size * (1.0 - rake) * 100))
    pool = pool_cents / 100.0
    n = max(1, int(round(paid_share * field_size)))
    m = min(min_prize_multiple * entry_fee, pool / n)
    if n == 1:
        return PayoutTable(np.array([pool]), source="parametric")
    r = np.arange(1, n + 1, dtype=np.float64)
    excess = pool - n * m

    def shape(a: float) -> np.ndarray:
        return r**-a - float(n) ** -a

    def first(a: float) -> float:
        s = shape(a)
        tot = s.sum()
        return m + (excess * s[0] / tot if tot > 0 else 0.0)

    target = max(first_share * pool, pool / n * 1.0001)
    lo, hi = 0.05, 6.0
    if first(hi) < target:
        a = hi
    elif first(lo) > target:
        a = lo
    else:
        a = bisect_increasing(first, target, lo, hi, 100)
    s = shape(a)
    cont = m + excess * s / s.sum()
    prizes = _tiered(cont)
    cents = np.floor(prizes * 100.0 + 1e-6).astype(np.int64)
    cents = np.maximum(cents, 0)
    cents[0] += pool_cents - int(cents.sum())
    return PayoutTable(cents.astype(np.float64) / 100.0, source="parametric")


# Cash games (DraftKings' lobby, 2024-2026): a double-up pays about 44 % of the entries about
# 1.8x the fee (a $5 100-entry double-up: 44 places of $9, i.e. $396 of $500, 20.8 % kept);
# a 50/50 pays half the field the same 1.8x. One flat prize per paid place.
CASH_GAMES = {"double-up": 0.44, "50-50": 0.50}
CASH_PRIZE_MULTIPLE = 1.8


def cash_payouts(kind: str, entry_fee: float, field_size: int,
                 prize_multiple: float = CASH_PRIZE_MULTIPLE) -> PayoutTable:
    """A cash game's table: ``floor(share x field_size)`` places (at least 1) of ``prize_multiple x fee``.

    Parameters
    ----------
    kind : {"double-up", "50-50"}
        The shape (:data:`CASH_GAMES` gives the share paid).
    entry_fee : float
        Fee per entry, > 0.
    field_size : int
        Entries in the contest, >= 2.

    Ties are split as in every table (the tied entries share the prizes of the places they
    cover), so a tie across the cash line pays each tied entry a fraction of one prize.
    """
    if kind not in CASH_GAMES:
        raise ValueError(f"cash game must be one of {', '.join(CASH_GAMES)}")
    n_paid = max(1, int(np.floor(CASH_GAMES[kind] * field_size + 1e-9)))
    return PayoutTable(np.full(n_paid, prize_multiple * float(entry_fee)), source=kind)


def _tiered(cont: np.ndarray) -> np.ndarray:
    """Places 1-10 individually, then tiers ~25 % wider each time; each pays its places' mean."""
    n = cont.shape[0]
    out = cont.copy()
    start, width = 10, 1.0
    while start < n:
        w = max(1, int(round(width)))
        end = min(n, start + w)
        out[start:end] = cont[start:end].mean()
        start = end
        width *= 1.25
    return out


# --------------------------------------------------------------------------- reading

_RANGE = re.compile(r"^\s*(\d+)\s*(?:(?:-|–|to)\s*(\d+))?\s*(?:st|nd|rd|th)?\s*$", re.IGNORECASE)


def _money(text: str) -> float:
    t = str(text).strip().replace("$", "").replace(",", "").replace("€", "").replace("£", "")
    return float(t)


def _parse_rank(text: str) -> tuple[int, int]:
    m = _RANGE.match(str(text))
    if not m:
        raise ValueError(text)
    a = int(m.group(1))
    b = int(m.group(2)) if m.group(2) else a
    return a, b


MAX_PAID_PLACES = 1_000_000  # the largest DFS tournaments pay about 250,000 places


def payouts_from_ranges(rows: list[tuple[int, int, float]], source: str = "table") -> PayoutTable:
    """Table from (min_rank, max_rank, prize) rows; checks they tile 1..n with non-increasing prizes
    and pay at most MAX_PAID_PLACES places (a typo like 1-100000000000 is refused, not allocated)."""
    problems: list[Problem] = []
    rows = sorted(rows, key=lambda x: x[0])
    expect = 1
    prizes: list[float] = []
    for i, (a, b, p) in enumerate(rows):
        if b > MAX_PAID_PLACES:
            problems.append(Problem(f"ranks {a}-{b} go past rank {MAX_PAID_PLACES:,}, more places than any contest pays",
                                    file=source, field="max_rank",
                                    fix="check the rank range for a typo (extra digits?)"))
            break
        if a != expect:
            problems.append(
                Problem(
                    f"ranks {a}-{b} do not follow on from rank {expect - 1}",
                    file=source,
                    field="min_rank",
                    fix="list every paid place exactly once, from 1 with no gaps or overlaps",
                )
            )
            break
        if b < a:
            problems.append(Problem(f"range {a}-{b} ends before it starts", file=source, field="max_rank"))
            break
        if not (p >= 0 and math.isfinite(p)):
            problems.append(Problem(f"prize {p} for ranks {a}-{b} is not a non-negative amount", file=source, field="prize"))
            break
        if prizes and p > prizes[-1] + 1e-9:
            problems.append(
                Problem(
                    f"ranks {a}-{b} pay {p}, more than the better rank above pays ({prizes[-1]})",
                    file=source,
                    field="prize",
                    fix="prizes must not increase down the table; check the row order and amounts",
                )
            )
            break
        prizes.extend([float(p)] * (b - a + 1))
        expect = b + 1
    if not prizes and not problems:
        problems.append(Problem("the payout table has no rows", file=source, fix="add rows like 1,1,1000"))
    if problems:
        raise InputError(problems)
    # trailing zero prizes are not paid places
    arr = np.asarray(prizes, dtype=np.float64)
    nz = np.nonzero(arr > 0)[0]
    arr = arr[: nz[-1] + 1] if nz.size else arr[:0]
    return PayoutTable(arr, source=source)


def read_payouts(path: str | Path) -> PayoutTable:
    """Read a payout table from CSV (``min_rank,max_rank,prize`` or ``place,prize``) or JSON.

    JSON may be a list of ``{"min_rank","max_rank","prize"}`` or ``{"place": "3-5", "prize"}``
    objects, or an object mapping places (``"1"``, ``"3-5"``) to prizes. Prizes may carry
    ``$`` and thousands commas.
    """
    p = Path(path)
    name = str(p)
    text = read_text_file(p, param="payouts")
    rows: list[tuple[int, int, float]] = []
    problems: list[Problem] = []
    if p.suffix.lower() == ".json":
        data = parse_json(text, name)
        if isinstance(data, dict) and "payouts" in data:
            data = data["payouts"]
        if not isinstance(data, (list, dict)):
            raise InputError(Problem(f"a payout table is a JSON list or object, not {type(data).__name__}",
                                     file=name, field="payouts",
                                     fix='use [{"min_rank": 1, "max_rank": 1, "prize": 1000}, ...] or '
                                         '{"1": 1000, "2-5": 100}'))
        items = list(data.items()) if isinstance(data, dict) else list(enumerate(data))
        for i, item in items:
            try:
                if isinstance(data, dict):
                    a, b = _parse_rank(str(i))
                    prize = _money(item)
                elif "min_rank" in item:
                    a, b = int(item["min_rank"]), int(item.get("max_rank", item["min_rank"]))
                    prize = _money(item["prize"])
                else:
                    a, b = _parse_rank(str(item["place"]))
                    prize = _money(item["prize"])
                rows.append((a, b, prize))
            except (ValueError, KeyError, TypeError, OverflowError):
                problems.append(
                    Problem(
                        f"entry {i!r} is not a place range with a prize",
                        file=name,
                        field="place",
                        fix='use {"min_rank": 1, "max_rank": 1, "prize": 1000} or {"place": "3-5", "prize": 50}',
                    )
                )
    else:
        reader = iter(csv_rows(text, name))
        header = [h.strip().lower() for h in next(reader, [])]
        if "prize" not in header or not ({"min_rank", "max_rank"} <= set(header) or "place" in header):
            raise InputError(
                Problem(
                    f"header {','.join(header)!r} lacks the payout columns",
                    file=name,
                    row=1,
                    fix="use columns min_rank,max_rank,prize or place,prize (place like 3 or 3-5)",
                )
            )
        ip = header.index("prize")
        for rn, rec in enumerate(reader, start=2):
            if not any(c.strip() for c in rec):
                continue
            field = "min_rank" if "min_rank" in header else "place"
            try:
                if "min_rank" in header:
                    a = int(rec[header.index("min_rank")])
                    field = "max_rank"
                    b = int(rec[header.index("max_rank")])
                else:
                    a, b = _parse_rank(rec[header.index("place")])
                field = "prize"
                rows.append((a, b, _money(rec[ip])))
            except (ValueError, IndexError, OverflowError):
                problems.append(
                    Problem(
                        "cannot read this row",
                        file=name,
                        row=rn,
                        field=field,
                        fix="ranks are whole numbers (place may be a range like 3-5); prize is an amount",
                    )
                )
    if problems:
        raise InputError(problems)
    return payouts_from_ranges(rows, source=name)
