"""Option parsing shared by the commands: one place turns `--site` into site rules."""

from __future__ import annotations

from tailrace.errors import InputError, Problem
from tailrace.sites import SiteRules, get_site


# Scenarios one process simulates and holds: 2,000,000 x 43 drivers is about 2.3 GB of points and
# outcomes. Asking for more (a typo such as 1000000000 asked for 70.8 GiB) is a usage error; the
# Dask path (issue 15) is where more belongs.
MAX_SCENARIOS = 2_000_000


def site_rules(key: str) -> SiteRules:
    """The rules for ``--site``; an unknown site is an InputError naming the flag and the choices."""
    try:
        return get_site(key)
    except ValueError as exc:
        raise InputError(Problem(str(exc), field="--site", fix="use --site dk or --site fd")) from None
