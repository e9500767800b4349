"""Salary drivers a scenario set has no column for because its slate left them out, recorded in
the set's meta and honoured when the set is matched to a slate again.

``tailrace simulate --history`` on a real DraftKings export simulates the race's starting grid
only: a driver of the export who did not start (Chase Elliott at Las Vegas 2023, two
non-qualifiers of the 2019 Daytona 500) gets no column. The set records those drivers (site ID,
name, why) under the meta key ``left_out`` (:func:`record_left_out`, present only when someone
was left out, so every other set's bytes stay as they were), and a command given the set with the
same export (``optimize`` / ``contest --scenarios``) drops exactly those drivers from its slate,
with one warning line naming them (:func:`match_to_slate`). A slate driver the set lacks and does
not record still fails with :func:`tailrace.sim.io.reorder_columns`' error: a different or edited
export must not lose drivers silently.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

# LEFT_OUT_KEY and recorded_left_out live in sim.io (its missing-column error reads the record); re-exported
from tailrace.sim.io import LEFT_OUT_KEY, load_scenarios, recorded_left_out, reorder_columns
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import LeftOut, Slate

__all__ = ["LEFT_OUT_KEY", "record_left_out", "recorded_left_out", "left_out_line", "match_to_slate",
           "load_for_slate"]


def record_left_out(scenarios: Scenarios, slate: Slate) -> Scenarios:
    """``scenarios`` with ``slate.left_out`` recorded in its meta (``LEFT_OUT_KEY``), in file order.

    Unchanged (the same object) when the slate left nobody out, so a set with every salary driver
    saves to the same bytes as before this record existed.

    Parameters
    ----------
    scenarios : Scenarios
        A set simulated on ``slate`` (one column per slate driver).
    slate : Slate
        The slate it was simulated on.

    Returns
    -------
    Scenarios
    """
    if not slate.left_out:
        return scenarios
    rows = [{"id": str(d.id), "name": d.name, "reason": d.reason} for d in slate.left_out]
    return dataclasses.replace(scenarios, meta={**(scenarios.meta or {}), LEFT_OUT_KEY: rows})


def left_out_line(drivers: tuple[LeftOut, ...] | list[LeftOut], where: str) -> str:
    """One line naming ``drivers`` (name and ID) and why they are out, ``where`` saying what left
    them out, e.g. ``"dropped from the slate: the scenario set lv.npz has no column for them"``."""
    reasons = {d.reason for d in drivers}
    if len(reasons) == 1:
        who = ", ".join(f"{d.name} ({d.id})" for d in drivers)
        why = f"; {next(iter(reasons))}"
    else:
        who = ", ".join(f"{d.name} ({d.id}, {d.reason})" for d in drivers)
        why = ""
    return f"{len(drivers)} salary driver(s) {where}: {who}{why}"


def match_to_slate(scenarios: Scenarios, slate: Slate, name: str) -> tuple[Scenarios, Slate, str | None]:
    """The set and the slate made to match: the slate drivers the set lacks and records as left
    out (same ID and name) are dropped from the slate, then the columns are checked and ordered
    to the slate (:func:`tailrace.sim.io.reorder_columns`).

    Parameters
    ----------
    scenarios : Scenarios
        A set as loaded (``tailrace.sim.io.load_scenarios`` without ``expected_ids``).
    slate : Slate
        The slate of the salary file the command was given.
    name : str
        The set's file, for messages.

    Returns
    -------
    (Scenarios, Slate, str or None)
        The set in the slate's column order; the slate without the dropped drivers (they are added
        to its ``left_out``); and the warning line naming them, None when none was dropped.

    Raises
    ------
    InputError
        As ``reorder_columns``: a slate driver without a column that the set does not record as
        left out (a different or edited salary file), or a column not on the slate.
    """
    have = {str(i) for i in scenarios.driver_ids}
    recorded = {d.id: d for d in recorded_left_out(scenarios.meta)}
    drop = [recorded[d.id] for d in slate.drivers
            if d.id not in have and d.id in recorded and recorded[d.id].name == d.name]
    line = None
    if drop:
        gone = {d.id for d in drop}
        slate = dataclasses.replace(slate, drivers=tuple(d for d in slate.drivers if d.id not in gone),
                                    left_out=slate.left_out + tuple(drop))
        line = left_out_line(drop, f"dropped from the slate, as the scenario set {Path(name).name} "
                                   "records them left out")
    return reorder_columns(scenarios, slate.ids, name, left_out_applied=True), slate, line


def load_for_slate(path: str | os.PathLike[str], slate: Slate) -> tuple[Scenarios, Slate, str | None]:
    """:func:`tailrace.sim.io.load_scenarios` of ``path`` matched to ``slate`` by
    :func:`match_to_slate`: ``(scenarios, slate, warning line or None)``."""
    return match_to_slate(load_scenarios(path), slate, str(path))
