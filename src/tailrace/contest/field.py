"""The field: opponents' lineups, sampled from ownership or read from a file of real entries.

Sampling (``sample_field``) draws each lineup's drivers without replacement with weights
(Gumbel top-k; the last driver among those that land the salary between a realistic
minimum and the cap), and
calibrates the weights (a few multiplicative rounds on a pilot sample) so that the sampled
field's ownership matches the target. Duplicates are not suppressed: popular lineups come up
many times, as they do in real fields.

``sharpness`` (a share of entries, 0 by default) makes that share optimiser-built: near-optimal
lineups by mean projection, entered many times over (``contest/sharp.py``); the rest are drawn
from the residual ownership, so the whole field still matches the target where it can.
Other field models live beside this one: ``contest/ensemble.py`` (``perturb_ownership``, an
alternative rejection sampler, ``field_ensemble``) and ``contest/report.py``
(``ownership_report``: can the ownership be realised, and how the sampled field compares).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numba as nb
import numpy as np

from tailrace.contest.field_cache import calibrated_weights
from tailrace.contest.standings import looks_like_standings, read_standings_text
from tailrace.errors import InputError, Problem
from tailrace.rng import as_generator
from tailrace.slate import Slate, find_left_out
from tailrace.textfile import csv_rows, read_text_file
from tailrace.contest.sharp import optimiser_entries

# Real DraftKings NASCAR GPP fields: most entries use at least $48,000 of the $50,000 cap
# (96 %); a minority leave more on the table. Defaults below follow that.
DEFAULT_MIN_SALARY_SHARE = 0.96
DEFAULT_STRICT_SHARE = 0.90  # share of entries held to the minimum salary
DEFAULT_LOOSE_SHARE = 0.90  # floor (share of cap) for the rest


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a non-empty integer array and their counts: ``numpy.unique(rows, axis=0,
    return_counts=True)``, the same arrays, about ten times faster.

    Each row of non-negative entries below ``b`` (the largest entry + 1) is read as one int64
    number in base ``b``, first column most significant, so the numbers sort as the rows do
    lexicographically; the distinct numbers give the distinct rows (the first row holding each)
    and their counts. Rows with a negative entry, or too wide for an int64 key, take
    ``numpy.unique`` itself.

    Parameters
    ----------
    rows : ndarray of shape (n_rows, width), integer, n_rows >= 1

    Returns
    -------
    unique : ndarray of shape (n_unique, width), rows' dtype
    counts : ndarray of shape (n_unique,), int64
    """
    width = rows.shape[1]
    lo, hi = int(rows.min()), int(rows.max())
    base = hi + 1
    if lo < 0 or width == 0 or base ** width >= 2**62:
        u, c = np.unique(rows, axis=0, return_counts=True)
        return u, c.astype(np.int64)
    keys = rows[:, 0].astype(np.int64)
    for k in range(1, width):
        keys *= base
        keys += rows[:, k]
    _, first, counts = np.unique(keys, return_index=True, return_counts=True)
    return rows[first], counts.astype(np.int64)


@dataclass(frozen=True)
class Field:
    """Opponents' lineups in entry order: int32 driver indices, shape (n_entries, roster), rows sorted.

    ``source`` is ``"sampled"`` for a field tailrace drew (trimmed to the contest's size by
    ``Contest.opponents``) or the file a real field was read from; ``model`` says how a sampled
    field was drawn (e.g. ``"calibrated"``, ``"calibrated, sharpness 0.35"``).
    """

    lineups: np.ndarray
    source: str = "sampled"
    model: str = "calibrated"

    @property
    def n_entries(self) -> int:
        return int(self.lineups.shape[0])

    def take(self, k: int) -> Field:
        """The first ``k`` entries (a random subset when the field was sampled)."""
        if k > self.n_entries:
            raise ValueError(f"field has {self.n_entries} entries, asked for {k}")
        return Field(self.lineups[:k], self.source, self.model)

    def unique(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct lineups and how many entries hold each: shapes (u, roster) and (u,).

        The rows in ascending lexicographic order, as ``numpy.unique(lineups, axis=0)`` gives
        them (see :func:`unique_rows`).
        """
        if self.n_entries == 0:
            return self.lineups, np.zeros(0, dtype=np.int64)
        u, c = unique_rows(self.lineups)
        return u.astype(np.int32, copy=False), c.astype(np.int64, copy=False)

    def ownership(self, n_drivers: int) -> np.ndarray:
        """Percent of entries holding each driver, shape (n_drivers,)."""
        if self.n_entries == 0:
            return np.zeros(n_drivers)
        return np.bincount(self.lineups.ravel(), minlength=n_drivers) * 100.0 / self.n_entries

    def to_dict(self) -> dict:
        u, c = self.unique()
        return {
            "source": self.source,
            "model": self.model,
            "n_entries": self.n_entries,
            "n_unique": int(u.shape[0]),
            "max_duplicates": int(c.max()) if c.size else 0,
        }


@nb.njit(cache=True, nogil=True)
def _complete_draws(logw, g_keys, g_last, sal, lo, hi, m):  # pragma: no cover - numba
    """Per row b, with ``keys = logw + g_keys`` and ``last_keys = logw + g_last`` (Gumbel
    noise, shape (B, n); the sums formed here, the same floats as the array sums): the ``m``
    drivers of largest ``keys[b]`` and the driver of largest ``last_keys[b]`` among the others
    whose salary lands the total in [lo, hi].

    The loop form of ``_draw_numpy``'s array steps, the same answer row by row: returns
    ``rows`` (B, m + 1) (the m drivers in no particular order, then the last one), ``ok`` (B,)
    (the row is a lineup: m finite keys and a last driver that fits) and ``tie`` (some row's
    m-th largest finite key is shared with a driver outside the m, where argpartition's choice
    would decide; the caller then takes the array steps).
    """
    B, n = g_keys.shape
    keys = np.empty(n, np.float64)
    rows = np.zeros((B, m + 1), np.int64)
    ok = np.zeros(B, np.bool_)
    tie = False
    top = np.empty(max(m, 1), np.int64)
    taken = np.zeros(n, np.bool_)
    for b in range(B):
        for j in range(n):
            keys[j] = logw[j] + g_keys[b, j]
        cnt = 0
        for j in range(n):  # the m largest keys, kept sorted descending (m is a roster, <= 8)
            v = keys[j]
            if cnt < m:
                q = cnt
                cnt += 1
            elif m > 0 and v > keys[top[m - 1]]:
                q = m - 1
            else:
                continue
            while q > 0 and keys[top[q - 1]] < v:
                top[q] = top[q - 1]
                q -= 1
            top[q] = j
        part = 0
        finite = True
        for a in range(m):
            taken[top[a]] = True
            part += sal[top[a]]
            if not np.isfinite(keys[top[a]]):
                finite = False
        if m > 0 and finite:
            vm = keys[top[m - 1]]
            for j in range(n):
                if not taken[j] and keys[j] == vm:
                    tie = True
        best = -np.inf
        last = 0
        fits = False
        for j in range(n):
            if taken[j]:
                continue
            x = logw[j] + g_last[b, j]
            if sal[j] >= lo - part and sal[j] <= hi - part and np.isfinite(x) and x > best:
                best = x
                last = j
                fits = True
        for a in range(m):
            rows[b, a] = top[a]
            taken[top[a]] = False
        rows[b, m] = last
        ok[b] = fits and finite
    return rows, ok, tie


def _draw_numpy(keys: np.ndarray, last_keys: np.ndarray, sal: np.ndarray, lo: int, hi: int,
                roster: int) -> tuple[np.ndarray, np.ndarray]:
    """Array form of one batch of ``_draw``: rows (B, roster) as above and ok (B,)."""
    batch = keys.shape[0]
    pick = np.argpartition(-keys, roster - 2, axis=1)[:, : roster - 1] if roster > 1 else np.zeros((batch, 0), np.int64)
    part = sal[pick].sum(axis=1)
    rows = np.arange(batch)[:, None]
    room_lo = (lo - part)[:, None]
    room_hi = (hi - part)[:, None]
    okd = (sal[None, :] >= room_lo) & (sal[None, :] <= room_hi) & np.isfinite(last_keys)
    okd[rows, pick] = False
    last_keys = np.where(okd, last_keys, -np.inf)
    last = np.argmax(last_keys, axis=1)
    ok = okd[np.arange(batch), last] & np.isfinite(np.take_along_axis(keys, pick, axis=1)).all(axis=1)
    return np.concatenate([pick, last[:, None]], axis=1), ok


def gumbel(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard Gumbel noise of ``shape``: ``-log E`` with ``E`` standard exponential.

    The same law as ``Generator.gumbel`` (if ``E ~ Exp(1)`` then ``P(-log E <= x) = exp(-e^-x)``)
    at a quarter of its cost (the ziggurat exponential and one in-place log, against
    ``gumbel``'s two logs of a uniform): the field sampler draws two such (batch, n) arrays per
    batch, and they were most of a contest-mode run's field time.
    """
    e = rng.standard_exponential(size=shape)
    np.log(e, out=e)
    np.negative(e, out=e)
    return e


def _draw(
    logw: np.ndarray, salaries: np.ndarray, roster: int, lo: int, hi: int, k: int, rng: np.random.Generator,
    max_tries: int = 100,
) -> np.ndarray:
    """``k`` lineups with salary in [lo, hi]: ``roster - 1`` drivers drawn without replacement
    with log-weights ``logw`` (Gumbel top-k), the last one drawn with the same weights among
    the drivers that bring the total into [lo, hi] (partial lineups with none are redrawn).
    InputError after ``max_tries`` batches short of ``k``."""
    n = logw.shape[0]
    out = []
    got = 0
    batch = max(1024, 2 * k)
    tries = 0
    sal = salaries.astype(np.int64)
    while got < k:
        g_keys = gumbel(rng, (batch, n))
        g_last = gumbel(rng, (batch, n))
        # one pass per row (numba) instead of a dozen (batch, n) arrays; the array steps decide
        # where a tie among the kept keys would leave the choice to argpartition
        rows, ok, tie = _complete_draws(logw, g_keys, g_last, sal, int(lo), int(hi), max(roster - 1, 0))
        if tie:
            rows, ok = _draw_numpy(logw[None, :] + g_keys, logw[None, :] + g_last, sal, lo, hi, roster)
        acc = rows[ok]
        out.append(acc[: k - got])
        got += min(acc.shape[0], k - got)
        tries += 1
        if tries > max_tries and got < k:
            raise InputError(Problem(
                f"could not draw a field of lineups with salary in [{lo:,}, {hi:,}] from this ownership "
                f"({got:,} of {k:,} after {tries} batches): it puts too little weight on the drivers that "
                "fill a salary cap", param="ownership",
                fix="give ownership that sums to roster x 100 with the popular drivers' real shares, or a real "
                    "field ({field_file})"))
        rate = max(acc.shape[0], 1) / batch
        batch = int(min(max(1024, 1_000_000 // max(n, 1)), max(1024, 1.2 * (k - got) / rate)))
    res = np.concatenate(out, axis=0) if out else np.zeros((0, roster), dtype=np.int64)
    return np.sort(res, axis=1).astype(np.int32)


def _calibrated(
    own: np.ndarray, sal: np.ndarray, roster_size: int, salary_cap: int, n_entries: int, lo: int, lo2: int,
    strict_share: float, g: np.random.Generator, calibration_rounds: int, pilot: int,
) -> np.ndarray:
    """The calibrated sampler's lineups (entry order: strict entries first), shape (n_entries, roster)."""
    target = np.clip(own / 100.0, 0.0, 1.0)
    logw = np.where(target > 0, np.log(np.maximum(target, 1e-12)), -np.inf)
    n_strict = int(round(strict_share * n_entries))

    def draw(k: int, lw: np.ndarray, tries: int) -> np.ndarray:
        ks = int(round(strict_share * k))
        a = _draw(lw, sal, roster_size, lo, salary_cap, ks, g, tries)
        b = _draw(lw, sal, roster_size, lo2, salary_cap, k - ks, g, tries)
        return np.concatenate([a, b], axis=0)

    pos = target > 0
    pilot = int(min(pilot, max(4_000, 2 * n_entries)))

    def calibrate() -> np.ndarray:
        """The pilot rounds: the best log-weights found, shape (n,)."""
        lw = logw.copy()
        best, best_err = lw.copy(), np.inf
        for r in range(calibration_rounds):
            try:  # after the first round, weights that need more than CALIBRATION_TRIES batches end calibration
                lu = draw(pilot, lw, 100 if r == 0 else CALIBRATION_TRIES)
            except InputError:
                if r == 0:
                    raise
                break  # these weights leave too few lineups that fit the salary rules: keep the best so far
            got = np.bincount(lu.ravel(), minlength=own.shape[0]) / lu.shape[0]
            err = float(np.abs(got - target).max())
            if err < best_err:
                best, best_err = lw.copy(), err
            elif err > 1.5 * best_err:
                break  # the target is not reachable under the salary rules: keep the best weights
            step = np.log(np.maximum(target[pos], 1e-9)) - np.log(np.maximum(got[pos], 0.5 / pilot))
            lw[pos] += np.clip(0.8 * step, -1.0, 1.0)
            lw[pos] -= lw[pos].max()
            lw[pos] = np.maximum(lw[pos], -12.0)
        return best

    # the pilot rounds are most of a field's cost and depend only on these and g's state: cached on
    # disk by content (contest/field_cache.py), g left where the rounds would leave it
    logw = calibrated_weights(calibrate, g, target=target, salaries=sal, roster_size=roster_size,
                              salary_cap=salary_cap, lo=lo, lo2=lo2, strict_share=strict_share,
                              rounds=calibration_rounds, pilot=pilot)
    a = _draw(logw, sal, roster_size, lo, salary_cap, n_strict, g)
    b = _draw(logw, sal, roster_size, lo2, salary_cap, n_entries - n_strict, g)
    return np.concatenate([a, b], axis=0)


CALIBRATION_TRIES = 12  # batches a calibration round may take (an over-cap file's weights drift toward lineups
# that rarely fit: such a round ends the calibration instead of grinding through 100 batches)
SHARP_PILOT = 8_000  # calibration pilot of a sharp field's non-optimiser entries
RESIDUAL_FLOOR = 0.25  # a driver keeps at least this share of his target among the non-optimiser entries


def residual_ownership(ownership: np.ndarray, optimiser: np.ndarray, sharpness: float) -> np.ndarray:
    """Ownership (percent) for the non-optimiser entries so that the whole field matches ``ownership``.

    Parameters
    ----------
    ownership : ndarray of shape (n,)
        Target ownership of the whole field, percent (sums to roster x 100).
    optimiser : ndarray of shape (k, roster)
        The optimiser-built entries.
    sharpness : float
        Their share of the field, in [0, 1).

    Returns
    -------
    ndarray of shape (n,)
        ``(ownership - sharpness * o) / (1 - sharpness)`` with ``o`` the optimiser entries'
        ownership, floored at ``RESIDUAL_FLOOR * ownership`` (a driver the optimisers overuse
        still appears among the others) and scaled back to the target's total. Drivers at 0
        stay at 0.
    """
    own = np.asarray(ownership, dtype=np.float64)
    n = own.shape[0]
    o = np.bincount(np.asarray(optimiser).ravel(), minlength=n) * 100.0 / max(optimiser.shape[0], 1)
    res = (own - sharpness * o) / (1.0 - sharpness)
    res = np.maximum(res, RESIDUAL_FLOOR * own)
    res[own <= 0] = 0.0
    return res * (own.sum() / res.sum())


def check_sharpness(sharpness: float, projections: np.ndarray | None, n_drivers: int) -> float:
    """``sharpness`` as a float in [0, MAX_SHARPNESS]; projections of shape (n_drivers,) needed when > 0."""
    try:
        s = float(sharpness)
    except (TypeError, ValueError):
        s = float("nan")
    if not (0.0 <= s <= MAX_SHARPNESS):
        raise InputError(Problem(f"field sharpness {sharpness!r} must lie in [0, {MAX_SHARPNESS:g}]",
                                 param="field_sharpness",
                                 fix=f"give the share of optimiser-built entries, e.g. {{field_sharpness=0.2}}, at most "
                                     f"{MAX_SHARPNESS:g}, or {{field_sharpness=auto}} for the ensemble of field models"))
    if s > 0 and (projections is None or np.asarray(projections).shape != (n_drivers,)):
        raise ValueError(f"sharpness {s:g} needs projections of shape ({n_drivers},)")
    return s


MAX_SHARPNESS = 0.6


def sample_field(
    ownership: np.ndarray,
    salaries: np.ndarray,
    roster_size: int,
    salary_cap: int,
    n_entries: int,
    *,
    min_salary: int | None = None,
    strict_share: float = DEFAULT_STRICT_SHARE,
    loose_floor: int | None = None,
    rng: np.random.Generator | int | None = 0,
    calibration_rounds: int = 12,
    pilot: int = 20_000,
    sharpness: float = 0.0,
    projections: np.ndarray | None = None,
) -> Field:
    """Sample ``n_entries`` opponent lineups whose driver shares match ``ownership`` (percent).

    A ``strict_share`` of entries use at least ``min_salary`` (default 96 % of the cap); the
    rest at least ``loose_floor`` (default 90 %). Every lineup has distinct drivers and fits
    the cap. Drivers with 0 ownership never appear. Seeded: same inputs and rng, same field.

    Parameters
    ----------
    ownership : ndarray of shape (n,)
        Target ownership, percent (sums to roster x 100).
    salaries : ndarray of shape (n,)
        Salary per driver.
    sharpness : float, default=0.0
        Share of entries built by optimisers from ``projections``
        (:func:`tailrace.contest.sharp.optimiser_entries`: a few popular near-optimal lineups,
        each entered many times); the others are drawn from :func:`residual_ownership`, so
        the whole field matches ``ownership`` where it can. At most ``MAX_SHARPNESS``.
    projections : ndarray of shape (n,), optional
        Mean points per driver; needed when ``sharpness > 0``.

    Returns
    -------
    Field
        ``lineups`` of shape (n_entries, roster_size), in random entry order; ``model`` says
        how it was drawn. With ``sharpness=0`` the draws are those of earlier releases.

    Raises
    ------
    InputError
        When no field fitting the salary rules can be drawn, or ``sharpness`` is out of range.
    ValueError
        When ``sharpness > 0`` and ``projections`` is missing or of the wrong shape.
    """
    g = as_generator(rng)
    own = np.asarray(ownership, dtype=np.float64)
    sal = np.asarray(salaries, dtype=np.int64)
    s = check_sharpness(sharpness, projections, own.shape[0])
    lo = int(round(DEFAULT_MIN_SALARY_SHARE * salary_cap)) if min_salary is None else int(min_salary)
    lo2 = int(round(DEFAULT_LOOSE_SHARE * salary_cap)) if loose_floor is None else int(loose_floor)
    lo2 = min(lo2, lo)
    if s == 0.0:
        lineups = _calibrated(own, sal, roster_size, salary_cap, n_entries, lo, lo2, strict_share, g,
                              calibration_rounds, pilot)
        model = "calibrated"
    else:
        k = int(round(s * n_entries))
        opt = optimiser_entries(np.asarray(projections, dtype=np.float64), sal, roster_size, salary_cap, k, g)
        res = residual_ownership(own, opt, s)
        # the residual target is often out of the salary rules' reach (the optimisers took the chalk):
        # a smaller pilot, since calibration rarely stops early there
        rest = _calibrated(res, sal, roster_size, salary_cap, n_entries - k, lo, lo2, strict_share, g,
                           calibration_rounds, min(pilot, SHARP_PILOT))
        lineups = np.concatenate([opt.astype(np.int32), rest], axis=0)
        model = f"calibrated, sharpness {s:g}"
    lineups = lineups[g.permutation(lineups.shape[0])]
    return Field(lineups, source="sampled", model=model)


_PAREN_ID = re.compile(r"\(([^()]+)\)\s*$")


def read_field(path: str | Path, slate: Slate, warnings: list[str] | None = None) -> Field:
    """Read real field lineups: one entry a row, cells holding site IDs (``Name (ID)`` and FanDuel
    ``ID:Name`` forms work too, as do exact names). With a header of ``D``/``Driver`` columns only those are read.

    A contest-standings export (header with ``EntryId`` and ``Lineup``,
    ``tailrace.contest.standings``) is read as one: its entries' lineups in file order, entries
    without a lineup left out.

    A row holding a driver of ``slate.left_out`` (in the salary file but not on the race's
    starting grid) is dropped, with one line appended to ``warnings`` saying how many and whom:
    the slate has no column for him, so the lineup cannot be scored, and a real field's lineup
    holding a non-starter is a near-certain loser whose absence moves no payout line much; an
    error would make every real field file with such an entry unusable.
    """
    p = Path(path)
    name = str(p)
    text = read_text_file(p, param="field_file")
    head = next((ln for ln in text.splitlines() if ln.strip()), "")
    if looks_like_standings(next(iter(csv_rows(head, name)), [])):  # the header alone: a standings file is big
        table = read_standings_text(text, slate, source=name)
        lineups = table.lineups()
        if warnings is not None:  # entries holding a left-out driver come without a lineup, said here
            warnings.extend(w for w in table.warnings if "left out of the slate" in w)
        if lineups.shape[0] == 0:
            raise InputError(Problem("no entry in the standings has a lineup", file=name, field="Lineup",
                                     fix="give the standings of a contest that has been played"))
        return Field(lineups, source=name)
    rows = csv_rows(text, name)
    by_id = {d.id: i for i, d in enumerate(slate.drivers)}
    by_name = {d.name.strip().lower(): i for i, d in enumerate(slate.drivers)}
    roster = slate.site.roster_size

    def resolve(cell: str) -> int | None:
        c = cell.strip()
        if not c:
            return None
        if c in by_id:
            return by_id[c]
        m = _PAREN_ID.search(c)
        if m and m.group(1).strip() in by_id:
            return by_id[m.group(1).strip()]
        if ":" in c and c.split(":", 1)[0].strip() in by_id:
            return by_id[c.split(":", 1)[0].strip()]
        return by_name.get(c.lower())

    cols: list[int] | None = None
    start = 0
    if rows and all(resolve(c) is None for c in rows[0]):
        head = [h.strip().lower() for h in rows[0]]
        slots = [i for i, h in enumerate(head) if h in ("d", "driver", "flex", "g")]
        cols = slots if len(slots) == roster else None
        start = 1
    out: list[list[int]] = []
    problems: list[Problem] = []
    non_starters: dict[str, int] = {}  # "Name (ID)" of a left-out driver -> field rows holding him
    n_dropped = 0
    for rn, rec in enumerate(rows[start:], start=start + 1):
        cells = [rec[i] if i < len(rec) else "" for i in cols] if cols is not None else rec
        if not any(c.strip() for c in cells):
            continue
        idx = [resolve(c) for c in cells if c.strip()]
        unknown = [c for c in cells if c.strip() and resolve(c) is None]
        gone = [lo for c in unknown if (lo := find_left_out(c, slate)) is not None]
        if gone:
            for lo in gone:
                non_starters[f"{lo.name} ({lo.id})"] = non_starters.get(f"{lo.name} ({lo.id})", 0) + 1
            n_dropped += 1
            continue
        if cols is not None and unknown:
            problems.append(Problem(f"driver {unknown[0]!r} is not on the slate", file=name, row=rn, field="D",
                                    fix="use the site IDs from the salary file"))
            continue
        ids = [i for i in idx if i is not None]
        if len(ids) != roster or len(set(ids)) != roster:
            problems.append(
                Problem(
                    f"found {len(set(ids))} distinct slate drivers, a lineup needs {roster}",
                    file=name, row=rn,
                    fix="one lineup a row, each cell a site ID from the salary file",
                )
            )
            continue
        out.append(sorted(ids))
        if len(problems) > 20:
            break
    if problems:
        raise InputError(problems)
    if n_dropped and warnings is not None:
        who = ", ".join(f"{k} in {v}" for k, v in non_starters.items())
        warnings.append(f"{n_dropped} lineup(s) of the field file {p.name} dropped: they hold a driver left out of "
                        f"the slate (not on the race's starting grid), who has no points to score them with: {who}")
    if not out:
        raise InputError(Problem("no lineups found", file=name, fix="one lineup a row of site IDs"))
    return Field(np.asarray(out, dtype=np.int32), source=name)


__all__ = ["Field", "MAX_SHARPNESS", "read_field", "residual_ownership", "sample_field"]
