"""Option parsing shared by the commands: one place turns `--site` into site rules."""

from __future__ import annotations

from tailrace.errors import InputError, Problem
from tailrace.sites import SiteRules, get_site


def site_rules(key: str) -> SiteRules:
    """The rules for ``--site``; an unknown site is an InputError naming the flag and the choices."""
    try:
        return get_site(key)
    except ValueError as exc:
        raise InputError(Problem(str(exc), field="--site", fix="use --site dk or --site fd")) from None
