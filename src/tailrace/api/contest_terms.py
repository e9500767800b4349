"""A request's contest terms as the library's: the payout table and ownership by driver name or site ID.

Shared by the job kinds that build a contest (``contest_work``, ``optimize_work`` in mode
'contest', ``plan_work``); InputError names the request's ``contest.*`` field.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tailrace.errors import InputError, Problem

from tailrace.api.schemas import ContestSpecIn
from tailrace.contest import cash_payouts, payouts_from_ranges
from tailrace.contest.ownership import scale_ownership
from tailrace.optimize.constraints import DriverMatcher


def ownership_from_mapping(slate, mapping: dict[str, float], warnings: list[str]) -> np.ndarray:
    """Ownership per slate driver from {name or site ID: percent} (others 0), scaled to sum to roster size x 100
    as the CLI's ``--ownership`` file is; InputError names each driver the slate does not know."""

    matcher = DriverMatcher(slate)
    raw = np.zeros(slate.n, dtype=np.float64)
    problems = []
    for key, pct in mapping.items():
        try:
            raw[matcher.index(key)] = float(pct)
        except LookupError as exc:
            problems.append(Problem(str(exc.args[0]), field=f"contest.ownership.{key}", fix=exc.args[1]))
    if problems:
        raise InputError(problems)
    own, msgs = scale_ownership(raw, slate.site.roster_size, "contest.ownership", "contest.ownership")
    warnings.extend(msgs)
    return own


def payout_table(c: ContestSpecIn) -> Any:
    """The PayoutTable a contest request asks for: a cash game's flat table, the given rows, or None
    (the parametric tournament table). InputError for a table that cannot be meant."""

    kind = c.kind
    if kind != "tournament" and c.payouts:
        raise InputError(Problem(f"contest.kind '{kind}' has its own table; contest.payouts cannot be given too",
                                 field="contest.payouts", fix="leave out payouts, or use kind 'tournament'"))
    if kind != "tournament":
        return cash_payouts(kind, c.entry_fee, c.field_size)
    if c.payouts:
        rows = [(r.min_rank, r.max_rank, r.prize) for r in c.payouts]
        last = max(b for _, b, _ in rows)
        if last > c.field_size:
            raise InputError(Problem(f"the payout table pays down to rank {last:,}, beyond the field of "
                                     f"{c.field_size:,}", field="contest.payouts",
                                     fix="pay at most field_size places"))
        return payouts_from_ranges(rows, source="contest.payouts")
    return None
