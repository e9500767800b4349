"""The contest a run is for, as the user describes it: :class:`ContestOptions`.

The one place the contest defaults live: a $5, 20,000-entry DraftKings-like GPP with a 13 %
rake, the field sampled from ownership taken to be about 30 % off per driver (log-sd 0.3) with
the ensemble of field models (``field_sharpness`` "auto"). The CLI's flags, the API's request
fields, the pipeline's keywords and the backtest read their defaults here (``tailrace.sites``
re-exports them as ``DEFAULT_ENTRY_FEE`` and friends). Plain data, no numpy: the command line's
``--help`` reads it without importing the contest simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = ["ContestOptions", "CONTEST_DEFAULTS"]


@dataclass(frozen=True)
class ContestOptions:
    """A contest as given by the user: its terms and where its field comes from.

    Attributes
    ----------
    entry_fee : float, default=5.0
        Entry fee in dollars (the parametric payout table and cash games are built from it).
    field_size : int, default=20_000
        Total entries, ours included.
    rake : float, default=0.13
        Share of the fees the site keeps: about 13 % in DraftKings NASCAR GPPs (2021-2023
        lobby snapshots).
    ownership_error : float, default=0.3
        Log-sd of the ownership projection's error (issue 23): each driver's real ownership is
        taken as the given one x exp(N(0, 0.3^2)) (``tailrace.contest.ensemble.DEFAULT_SIGMA``).
    field_sharpness : float or "auto", default="auto"
        The field's share of optimiser-built entries, 0-0.6, or "auto": the plain field plus
        the ensemble of field models (``pipeline.parse_field_sharpness``).
    payouts : str, optional
        A payout file, or "double-up" / "50-50" for a cash game's flat table; None: the
        parametric tournament table of ``entry_fee``, ``field_size`` and ``rake``.
    ownership : str, optional
        An ownership file (percent); None: the slate's column, else the field model.
    field_file : str, optional
        A file of real field lineups; None: the field is sampled.
    """

    entry_fee: float = 5.0
    field_size: int = 20_000
    rake: float = 0.13
    ownership_error: float = 0.3
    field_sharpness: Any = "auto"
    payouts: str | None = None
    ownership: str | None = None
    field_file: str | None = None

    def with_given(self, **given: Any) -> ContestOptions:
        """These options with the fields given (a None ``rake`` or ``ownership_error`` keeps the
        default, as the library's keywords take None); an unknown name is a TypeError."""
        if unknown := set(given) - {f.name for f in fields(self)}:
            raise TypeError(f"ContestOptions has no field {', '.join(sorted(unknown))}")
        keep_default = ("rake", "ownership_error")
        return replace(self, **{k: v for k, v in given.items() if not (k in keep_default and v is None)})


CONTEST_DEFAULTS = ContestOptions()
