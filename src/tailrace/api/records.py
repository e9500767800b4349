"""Records: slates, histories and portfolios as the API reads, checks and keeps them in the Store.

Every job kind and several routes share these; they take the ``Store`` (never a request) and
raise InputError naming the request's fields, or NotFound for an unknown id.
"""

from __future__ import annotations

import csv
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from tailrace.errors import InputError, Problem
from tailrace.sites import get_site
from tailrace.races import RaceInfo
from tailrace.slate import Driver, Slate, read_slate
from tailrace.store import Store, slate_from_dict, slate_to_dict
from tailrace.textfile import decode_text

from tailrace.api.schemas import SlateIn

# ---------------------------------------------------------------------------- slates



def _from_history() -> ModuleType:
    """:mod:`tailrace.sim.strength.from_history`, the history model (the rating fit, scipy.sparse)."""
    # lazy: the rating fit and scipy.sparse under it load when a history is first used, not at the API's start
    from tailrace.sim.strength import from_history

    return from_history


def _export() -> ModuleType:
    """:mod:`tailrace.export`, the site upload files."""
    # lazy: the upload writer loads when a portfolio is first exported, not at the API's start
    from tailrace import export

    return export


def slate_from_json(data: SlateIn) -> Slate:
    """A Slate from the JSON form (``SlateIn``), with the checks the file readers make.

    Raises InputError listing each problem by field path (``drivers[3].salary``): duplicate
    IDs, salaries outside the site's range, start positions that are not 1..n, too few drivers.
    """
    site = get_site(data.site)
    drivers = data.drivers
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    lo, hi = site.salary_range
    for i, d in enumerate(drivers):
        if d.id in seen:
            problems.append(Problem(f"ID '{d.id}' is used by drivers[{seen[d.id]}] too",
                                    field=f"drivers[{i}].id", fix="give every driver its own site ID"))
        seen.setdefault(d.id, i)
        if not lo <= d.salary <= hi:
            problems.append(Problem(f"salary {d.salary} is outside {site.name}'s range {lo}..{hi}",
                                    field=f"drivers[{i}].salary", fix="give the salary in dollars, e.g. 8500"))
    if len(drivers) < site.roster_size:
        problems.append(Problem(f"{len(drivers)} drivers cannot fill a {site.name} lineup of {site.roster_size}",
                                field="drivers", fix=f"send at least {site.roster_size} drivers"))
    if len(drivers) > site.max_field:
        problems.append(Problem(f"{len(drivers)} drivers, but {site.name} scores only {site.max_field} places",
                                field="drivers", fix=f"send at most {site.max_field} drivers"))
    starts = [d.start for d in drivers]
    given = [s for s in starts if s is not None]
    if given and len(given) < len(starts):
        i = starts.index(None)
        problems.append(Problem("start is missing for this driver while others have one",
                                field=f"drivers[{i}].start", fix="give every driver a start, or none"))
    elif given and sorted(given) != list(range(1, len(given) + 1)):
        dup = sorted({s for s in given if given.count(s) > 1})
        what = f"start {dup[0]} is used twice" if dup else f"starts must be 1..{len(given)}"
        i = next(k for k, s in enumerate(starts) if (s in dup if dup else s > len(given)))
        problems.append(Problem(what, field=f"drivers[{i}].start",
                                fix=f"give each driver a different start from 1 to {len(given)}"))
    if problems:
        raise InputError(problems)
    out = tuple(Driver(**d.model_dump()) for d in drivers)
    track = data.track
    return Slate(site=site, drivers=out, track=track.strip() if track and track.strip() else None,
                 source={"json": "request body"})


def display_name(name: str | None, default: str) -> str:
    """A client's file name as safe to show: its last part, odd characters replaced, else ``default``."""
    base = Path(name or "").name
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base)[:100].strip()
    return base or default


def slate_from_uploads(site: str, salaries: bytes, salaries_name: str | None, projections: bytes | None,
                       projections_name: str | None, track: str | None, *, grid_complete: bool = False,
                       season: int | None = None, history: tuple[str, str] | None = None) -> Slate:
    """A Slate read from uploaded file contents through the library's readers.

    The bytes go to a private temporary directory; every message names the uploaded file by
    the name the client gave it, never by a server path. ``history``: ``(text, name)`` of a stored
    history; with no projections the slate's starting grid comes from it (the race's ``start``
    column only, as ``tailrace optimize --history`` takes it:
    :func:`tailrace.sim.strength.from_history.slate_from_history_grid`), with notes saying where the
    grid came from and naming the salary drivers left out.
    """
    sal_label = display_name(salaries_name, "salaries.csv")
    proj_label = display_name(projections_name, "projections.csv") if projections is not None else None
    with tempfile.TemporaryDirectory(prefix="tailrace-upload-") as tmp:
        # under the client's file name, so a dk_<season>_r<NN>_<track>.csv name can tell the race
        sal_path = Path(tmp) / "s" / (sal_label if sal_label.lower().endswith(".csv") else "salaries.csv")
        sal_path.parent.mkdir()
        sal_path.write_bytes(salaries)
        proj_path = None
        if projections is not None:
            proj_path = Path(tmp) / "projections.csv"
            proj_path.write_bytes(projections)
        subs = [(str(sal_path), sal_label)] + ([(str(proj_path), proj_label)] if proj_path else [])

        def clean(text: Any) -> Any:
            if not isinstance(text, str):
                return text
            for a, b in subs:
                text = text.replace(a, b)
            text = text.replace(str(sal_path.parent) + "/", "")
            return text.replace(tmp, "upload")

        binary: list[Problem] = []  # checked for both files at once, by the readers' own decoder
        for lab, data in ((sal_label, salaries), (proj_label, projections)):
            if data is not None:
                try:
                    decode_text(data, lab)
                except InputError as exc:
                    binary += exc.problems
        if binary:
            raise InputError(binary)
        try:
            if history is not None and proj_path is None:
                slate, hg, line = _from_history().slate_from_history_grid(site, sal_path, history[0], history[1],
                                                                          track=track, season=season)
                use = ("pass the same history_id to /simulate or /optimize for strengths from those ratings"
                       if hg.model is not None else "send no history_id to /simulate or /optimize for this slate")
                # the grid line already holds the note of a history with no earlier race: said once
                kept = tuple(n for n in slate.notes if not (hg.note and n == hg.note))
                slate = replace(slate, notes=kept + (f"{line}: {use}",))
            else:
                slate = read_slate(site, sal_path, proj_path, track=track, grid_complete=grid_complete,
                                   season=season)
        except InputError as exc:  # a history's problem is about this request's history_id
            raise InputError([replace(p, message=clean(p.message), file=clean(p.file), fix=clean(p.fix),
                                      **_as_history_id(p)) for p in exc.problems]) from None
        except (csv.Error, UnicodeError, ValueError) as exc:  # a reader that gave up on a malformed file
            raise InputError(Problem(f"the file could not be read as CSV ({clean(str(exc))})",
                                     file=f"{sal_label}" + (f" or {proj_label}" if proj_label else ""),
                                     fix="upload plain CSV files with a header row")) from None
    return replace(slate, source={k: clean(v) for k, v in slate.source.items()},
                   notes=tuple(clean(n) for n in slate.notes))


def save_slate(store: Store, slate: Slate) -> tuple[str, dict[str, Any]]:
    """Store a slate; returns (slate id, its stored dict)."""
    d = slate_to_dict(slate)
    return store.put_slate(d), d


def slate_response(slate_id: str, d: dict[str, Any]) -> dict[str, Any]:
    """The SlateResponse body for a stored slate dict."""
    race = RaceInfo(**d["race"]).to_json() if d.get("race") else None
    return {"slate_id": slate_id, "site": d["site"], "track": d.get("track"), "n_drivers": len(d["drivers"]),
            "drivers": d["drivers"], "notes": list(d.get("notes") or []), "race": race}


def load_slate(store: Store, slate_id: str) -> Slate:
    """A stored slate by id (NotFound if unknown)."""
    return slate_from_dict(store.get_slate(slate_id))


# ---------------------------------------------------------------------------- histories


def history_summary(history_id: str, model: Any) -> dict[str, Any]:
    """The HistoryResponse body of a stored, fitted history."""
    return {"history_id": history_id, "name": Path(model.source).name, "races": model.n_races,
            "drivers": len(model.names), "last_race": list(model.last_race) if model.last_race else None,
            "notes": list(model.notes[:20])}


def save_history(store: Store, data: bytes, name: str | None) -> dict[str, Any]:
    """Read, check and fit an uploaded history CSV, store it; returns its summary."""
    label = display_name(name, "history.csv")
    text = decode_text(data, label)  # binary data is an InputError here
    model = _from_history().history_model_from_text(text, label)  # InputError for a bad file, before it is stored
    hid = store.put_history(label, text)
    return history_summary(hid, model)


def history_from_store(store: Store, history_id: str, slate: Slate | None = None) -> Any:
    """The fitted HistoryModel of a stored history (NotFound if unknown).

    With the ``slate``: when the history holds the slate's race, the ratings are fitted on the
    races before it only, never on its result or a later one (as ``tailrace optimize --history``:
    :func:`tailrace.sim.strength.from_history.history_model_for_race_text`)."""
    fh = _from_history()
    h = store.get_history(history_id)
    race = getattr(slate, "race", None)
    try:
        if race is not None and getattr(race, "season", None) is not None:
            return fh.history_model_for_race_text(h["text"], h["name"], race)[0]
        return fh.history_model_from_text(h["text"], h["name"])
    except InputError as exc:  # the request names the history by history_id
        raise InputError([replace(p, **_as_history_id(p)) for p in exc.problems]) from None


def _as_history_id(p: Problem) -> dict[str, Any]:
    """A problem the library names ``history`` (its parameter) as this request's ``history_id``
    field; others unchanged (keyword arguments for ``dataclasses.replace``). Here, not in
    ``api.errors.FIELDS``: that map is the same for every endpoint, and POST /histories takes the
    file itself as ``history``."""
    return {"param": None, "field": "history_id"} if p.param == "history" and not p.field else {}


def stored_history(store: Store, history_id: str) -> tuple[str, str]:
    """``(text, name)`` of a stored history (NotFound if unknown)."""
    h = store.get_history(history_id)
    return h["text"], h["name"]


# ---------------------------------------------------------------------------- portfolios


def _portfolio_lineups(store: Store, portfolio_id: str) -> tuple[Slate, list[tuple[int, ...]]]:
    pf = store.get_portfolio(portfolio_id)
    slate = load_slate(store, pf["slate_id"])
    return slate, [tuple(slate.index_of(i) for i in ids) for ids in pf["lineups"]]


def export_csv(store: Store, portfolio_id: str, site: str | None) -> tuple[str, str]:
    """(file name, CSV text) of the site's upload file for a stored portfolio."""
    slate, lineups = _portfolio_lineups(store, portfolio_id)
    if site is not None and site != slate.site.key:
        raise InputError(Problem(f"this portfolio was built on a {slate.site.name} slate", field="site",
                                 fix=f"use site={slate.site.key}"))
    return f"{slate.site.key}-upload-{portfolio_id}.csv", _export().upload_text(lineups, slate)


def fill_entries(store: Store, portfolio_id: str, data: bytes, filename: str | None) -> tuple[str, str]:
    """(file name, CSV text) of an uploaded DKEntries.csv with its D cells filled from the portfolio."""
    slate, lineups = _portfolio_lineups(store, portfolio_id)
    label = display_name(filename, "DKEntries.csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return f"filled-{label}", _export().fill_dk_entries_text(text, lineups, slate, source=label)
