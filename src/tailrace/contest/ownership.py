"""Projected ownership: the share of the field's lineups holding each driver, in percent.

Ownership sums to ``roster_size * 100`` (every lineup holds ``roster_size`` drivers). It is
either supplied by the user (CSV) or modelled from salary and projected value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tailrace.errors import InputError, Problem
from tailrace.numeric import bisect_increasing
from tailrace.slate import LeftOut, Slate, find_left_out, match_names
from tailrace.textfile import csv_rows, read_text_file

# A user file whose ownership sums within this relative distance of roster_size * 100 is
# rescaled (with a warning); further off, it is rejected as the wrong file or wrong units.
SUM_TOLERANCE = 0.05
MAX_OWNERSHIP = 80.0  # no driver is in nearly every lineup of a real field (NASCAR chalk tops out near 70-80 %)


def _cap_and_fill(w: np.ndarray, total: float, cap: float) -> np.ndarray:
    """Scale ``w`` to sum ``total`` with no entry above ``cap`` (excess spread pro rata)."""
    w = np.asarray(w, dtype=np.float64)
    out = np.zeros_like(w)
    free = w > 0
    remaining = total
    for _ in range(w.shape[0] + 1):
        if not free.any() or remaining <= 0:
            break
        share = remaining * w[free] / w[free].sum()
        over = share > cap
        if not over.any():
            out[free] = share
            break
        idx = np.nonzero(free)[0][over]
        out[idx] = cap
        free[idx] = False
        remaining = total - out.sum()
    return out


def model_ownership(
    salaries: np.ndarray,
    projections: np.ndarray | None,
    roster_size: int,
    *,
    value_weight: float = 0.6,
    points_weight: float = 0.6,
    cap: float = MAX_OWNERSHIP,
    salary_cap: int | None = None,
    salary_use: float = 0.985,
) -> np.ndarray:
    """Ownership (percent, shape (n,)) from a softmax of projected points and value (points per $1k).

    Both features are standardised across the slate; the softmax is scaled to sum to
    ``roster_size * 100`` with no driver above ``cap`` percent. Given ``salary_cap``, a salary
    term is added whose weight makes the field's average lineup salary ``salary_use * cap``
    (ownership must be consistent with lineups that fit the cap). Without projections,
    points are taken proportional to salary.
    """
    sal = np.asarray(salaries, dtype=np.float64)
    n = sal.shape[0]
    if n < roster_size:
        raise ValueError(f"need at least {roster_size} drivers, got {n}")
    proj = sal / 1000.0 if projections is None else np.asarray(projections, dtype=np.float64)
    proj = np.where(np.isfinite(proj), proj, 0.0)
    value = proj / (sal / 1000.0)

    def z(x: np.ndarray) -> np.ndarray:
        sd = x.std()
        return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)

    base = points_weight * z(proj) + value_weight * z(value)
    zs = z(sal)
    total = roster_size * 100.0

    def own_for(c: float) -> np.ndarray:
        logit = base + c * zs
        return _cap_and_fill(np.exp(logit - logit.max()), total, cap)

    if salary_cap is None:
        return own_for(0.0)
    # the field's average lineup salary is sum(own_i * salary_i) / 100; real fields spend
    # close to the cap, so the salary coefficient is set (bisection) to hit salary_use * cap
    goal = salary_use * salary_cap

    def spend(c: float) -> float:
        return float(own_for(c) @ sal / 100.0)

    lo, hi = -8.0, 8.0
    if spend(lo) > goal:
        return own_for(lo)
    if spend(hi) < goal:
        return own_for(hi)
    return own_for(bisect_increasing(spend, goal, lo, hi, 60))


def read_ownership(path: str | Path, slate: Slate, warnings: list[str] | None = None) -> np.ndarray:
    """Read projected ownership (percent) per slate driver from CSV columns ``id`` or ``name`` and ``ownership``.

    Drivers absent from the file get 0. The column is scaled to sum to ``roster_size * 100`` by
    :func:`scale_ownership` (its warnings appended to ``warnings``); an unknown driver, a value
    outside 0-100 or fractions raise InputError. A row naming a driver of ``slate.left_out`` (in
    the salary file, but not on the race's starting grid) is skipped with one warning naming
    those rows: real ownership lists carry non-starters at ~0 %, and the row is not an error.
    """
    p = Path(path)
    name = str(p)
    rows = csv_rows(read_text_file(p, param="ownership"), name)
    if not rows:
        raise InputError(Problem("the file is empty", file=name, fix="columns: id or name, ownership"))
    header = [h.strip().lower() for h in rows[0]]
    own_col = next((header.index(h) for h in ("ownership", "own", "own%", "projected ownership") if h in header), None)
    id_col = next((header.index(h) for h in ("id", "driver_id") if h in header), None)
    name_col = next((header.index(h) for h in ("name", "driver") if h in header), None)
    if own_col is None or (id_col is None and name_col is None):
        raise InputError(
            Problem(
                f"header {','.join(rows[0])!r} lacks the ownership columns",
                file=name,
                row=1,
                fix="use columns 'id' (site ID) or 'name', and 'ownership' (percent)",
            )
        )
    by_id = {d.id: i for i, d in enumerate(slate.drivers)}
    keyed: list[tuple[int, list[str], str, str, bool]] = []  # (row number, record, key, field, by name)
    for rn, rec in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in rec):
            continue
        if id_col is not None and id_col < len(rec) and rec[id_col].strip():
            keyed.append((rn, rec, rec[id_col].strip(), header[id_col], False))
        elif name_col is not None and name_col < len(rec):
            keyed.append((rn, rec, rec[name_col].strip(), header[name_col], True))
        else:
            keyed.append((rn, rec, "", "id", False))
    # names go through the slate's one tolerant matcher (case, accents, 'A.J.' = 'AJ', Jr.)
    named = [k for k in keyed if k[4]]
    by_name_row = dict(zip((k[0] for k in named),
                           match_names([k[2] for k in named], [d.name for d in slate.drivers])))
    own = np.zeros(slate.n, dtype=np.float64)
    seen: dict[int, int] = {}
    problems: list[Problem] = []
    skipped: list[tuple[LeftOut, int]] = []  # rows naming a driver the slate left out (a non-starter)
    for rn, rec, key, fld, _ in keyed:
        if rn in by_name_row:
            m = by_name_row[rn]
            idx = m.index
            if idx is None and not m.ambiguous and (lo := find_left_out(key, slate)) is not None:
                skipped.append((lo, rn))
                continue
            if idx is None:
                why = ("matches several slate drivers: " + ", ".join(f"'{c}'" for c in m.candidates)) if m.ambiguous \
                    else "is not on the slate (closest: " + (", ".join(f"'{c}'" for c in m.candidates) or "none") + ")"
                problems.append(Problem(f"driver {key!r} {why}", file=name, row=rn, field=fld,
                                        fix="use the site ID or the name as in the salary file"))
                continue
        else:
            idx = by_id.get(key) if key else None
            if idx is None and key and (lo := find_left_out(key, slate)) is not None:
                skipped.append((lo, rn))
                continue
            if idx is None:
                problems.append(Problem(f"driver {key!r} is not on the slate", file=name, row=rn, field=fld,
                                        fix="use the site ID or the name as in the salary file"))
                continue
        if idx in seen:
            problems.append(Problem(f"driver {key!r} is listed twice (also row {seen[idx]})", file=name, row=rn, field=fld,
                                    fix="keep one row per driver"))
            continue
        seen[idx] = rn
        try:
            v = float(rec[own_col].strip().rstrip("%"))
        except (ValueError, IndexError):
            problems.append(Problem("ownership is not a number", file=name, row=rn, field=header[own_col],
                                    fix="give a percentage such as 23.5"))
            continue
        if not (0.0 <= v <= 100.0):
            problems.append(Problem(f"ownership {v} is outside 0-100 %", file=name, row=rn, field=header[own_col],
                                    fix="give percentages, e.g. 23.5 for 23.5 %"))
            continue
        own[idx] = v
    if problems:
        raise InputError(problems)
    own, msgs = scale_ownership(own, slate.site.roster_size, name, header[own_col])
    if warnings is not None:
        if skipped:
            warnings.append(_skipped_line(skipped, name))
        warnings.extend(msgs)
    return own


def _skipped_line(skipped: list[tuple[LeftOut, int]], name: str) -> str:
    """One warning naming the ownership rows skipped because their driver is left out of the slate."""
    who = ", ".join(f"{d.name} ({d.id}, row {rn})" for d, rn in skipped)
    reasons = {d.reason for d, _ in skipped}
    why = next(iter(reasons)) if len(reasons) == 1 else "not on the slate's starting grid"
    return (f"{len(skipped)} row(s) of {Path(name).name} skipped, their driver is left out of the slate "
            f"({why}): {who}")


def scale_ownership(values: np.ndarray, roster_size: int, source: str,
                    field: str = "ownership") -> tuple[np.ndarray, list[str]]:
    """Projected ownership (percent) scaled to sum to ``roster_size * 100``, and what was done.

    One rule for every face (a file, a slate's column, the API): bought or scraped projections
    rarely sum to exactly roster x 100, so any positive total is rescaled, with a warning when
    it is more than 5 % off. Refused (InputError) only what is clearly not percent: every value
    at most 1 with a total of at most 1.5 x roster size (fractions: 0.23 for 23 %), a negative
    value, or all zeros.

    Parameters
    ----------
    values : ndarray of shape (n,)
        Ownership per driver as given.
    """
    own = np.asarray(values, dtype=np.float64)
    target = roster_size * 100.0
    total = float(own.sum())
    if np.any(own < 0) or not np.all(np.isfinite(own)):
        raise InputError(Problem("ownership has a negative or non-numeric value", file=source, field=field,
                                 fix="give every driver's projected ownership in percent, 0 to 100"))
    if total <= 0:
        raise InputError(Problem("ownership is 0 for every driver", file=source, field=field,
                                 fix="give projected ownership in percent, or leave the column out to have it "
                                     "modelled from projections"))
    if own.max() <= 1.0 and total <= 1.5 * roster_size:
        raise InputError(Problem(f"ownership looks like fractions (values up to {own.max():.2f}, total {total:.2f})",
                                 file=source, field=field,
                                 fix=f"write percent: 23 for 23 %, so the column sums to about {target:.0f}"))
    msgs = []
    if abs(total - target) > SUM_TOLERANCE * target:
        msgs.append(f"ownership in {source} sums to {total:.1f} %, not the {target:.0f} % a {roster_size}-driver "
                    f"roster makes; every value scaled by {target / total:.3f}")
    return own * (target / total), msgs
