"""Slate <-> plain JSON-able dict, so a stored slate comes back exactly as it went in."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from tailrace.races import RaceInfo
from tailrace.sites import get_site
from tailrace.slate import Driver, Slate

_DRIVER_FIELDS = tuple(f.name for f in fields(Driver))


def slate_to_dict(slate: Slate) -> dict[str, Any]:
    """The slate as a dict of plain values: site key, track, source names and drivers in order."""
    return {
        "site": slate.site.key,
        "track": slate.track,
        "source": dict(slate.source),
        "notes": list(slate.notes),
        "race": asdict(slate.race) if slate.race is not None else None,
        "drivers": [asdict(d) for d in slate.drivers],
    }


def slate_from_dict(d: dict[str, Any]) -> Slate:
    """Inverse of ``slate_to_dict``; unknown driver keys are ignored."""
    drivers = tuple(Driver(**{k: v for k, v in dd.items() if k in _DRIVER_FIELDS}) for dd in d["drivers"])
    return Slate(
        site=get_site(d["site"]),
        drivers=drivers,
        track=d.get("track"),
        source=dict(d.get("source") or {}),
        notes=tuple(d.get("notes") or ()),
        race=RaceInfo(**d["race"]) if d.get("race") else None,
    )
