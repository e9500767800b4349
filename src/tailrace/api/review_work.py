"""POST /review: the work behind the endpoint (``tailrace review --json`` over HTTP).

The standings text is read against the stored slate, the lineups are placed in the real
standings and paid from the payout table, and the modelled ownership is the slate's (its
ownership column, else the field model on its projected points, else on salaries with a
warning) -- no simulation, so the request is answered synchronously.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tailrace.errors import InputError, Problem

from tailrace.api.context import Context
from tailrace.api.records import display_name, load_slate
from tailrace.api.schemas import ReviewRequest
from tailrace.contest.payouts import payouts_from_ranges
from tailrace.contest.standings import read_standings_text
from tailrace.export import lineups_from_ids
from tailrace.pipeline import field_ownership, payouts_from_options
from tailrace.review import field_of, review_report, user_lineups


def review_work(ctx: Context, req: ReviewRequest) -> dict[str, Any]:
    """The review report of ``req`` (the dict ``tailrace review --json`` writes)."""

    slate = load_slate(ctx.store, req.slate_id)
    if not req.lineups and req.user is None:
        raise InputError(Problem("no lineups to review", field="lineups",
                                 fix='give "lineups" (lists of driver IDs), or "user" to review that user\'s entries'))
    table = read_standings_text(req.standings, slate, display_name(req.standings_name, "standings.csv"))
    warnings = list(table.warnings)
    mine = user_lineups(table, req.user) if req.user is not None else []
    if req.lineups is not None:
        rows = lineups_from_ids(req.lineups, slate, field="lineups[{k}]",
                                fix="give each lineup the site's roster of the slate's driver IDs "
                                    "(GET /slates/{id}), each driver once")
        lineups = np.asarray(rows, dtype=np.int64).reshape(-1, slate.site.roster_size)
    else:
        lineups = np.asarray(mine, dtype=np.int64)
    field_pts, _ = field_of(table, req.user)
    if req.lineups is not None and req.user is not None and len(mine) != lineups.shape[0]:
        warnings.append(f"'{req.user}' has {len(mine)} entries with a lineup in the standings, the portfolio "
                        f"{lineups.shape[0]} lineups: the review places the portfolio's")
    size = req.field_size if req.field_size is not None else field_pts.shape[0] + lineups.shape[0]
    if req.payouts:
        pay = payouts_from_ranges([(r.min_rank, r.max_rank, r.prize) for r in req.payouts], source="payouts")
    else:
        try:
            pay = payouts_from_options(None, entry_fee=req.entry_fee, field_size=size, rake=req.rake)
        except InputError as exc:  # the library names its parameters; this request's fields are top-level
            raise InputError([p.worded() for p in exc.problems]) from None  # field 'entry_fee', as sent
    need_means = not all(d.ownership is not None for d in slate.drivers) and \
        not all(d.projection is not None for d in slate.drivers)
    if need_means:
        warnings.append("ownership modelled from salaries alone: give the slate projections with projected points "
                        "(or an ownership column) for a fair comparison")
    own = field_ownership(slate, None, warnings)
    _, report, _ = review_report(slate, table, lineups, pay, req.entry_fee, modelled_ownership=own, user=req.user,
                                 warnings=warnings)
    return report
