"""Salary readers: DraftKings exports and FanDuel player lists -> Drivers (``read_salaries``).

Every problem found (file, 1-based spreadsheet row, field, fix) is collected and raised together
as one InputError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tailrace.errors import InputError, Problem
from tailrace.sites import SiteRules, get_site
from tailrace.slate.cells import (
    _cell, _find_header, _first_nonempty, _header_index, _norm_header, _parse_money, _read_text,
    _records, _shown,
)
from tailrace.slate.model import Driver
from tailrace.slate.names import normalize_name


#: DraftKings salary export header, as DraftKings writes it (DKSalaries.csv).
DK_HEADER: tuple[str, ...] = (
    "Position", "Name + ID", "Name", "ID", "Roster Position", "Salary", "Game Info",
    "TeamAbbrev", "AvgPointsPerGame",
)
#: FanDuel player list ("Download players list"). Its tail varies by sport and over time
#: (blank columns, "Roster Position"), so columns are found by name, not position.
FD_HEADER: tuple[str, ...] = (
    "Id", "Position", "First Name", "Nickname", "Last Name", "FPPG", "Played", "Salary",
    "Game", "Team", "Opponent", "Injury Indicator", "Injury Details", "Tier",
)


_DK_DRIVER_POSITIONS = frozenset({"D"})  # DraftKings NASCAR Classic: every slot is "D"


@dataclass
class _SalaryRecord:
    row: int
    id: str
    name: str
    salary: int | None
    team: str | None
    game: str


def _looks_fd(cols: set[str]) -> bool:
    return "nickname" in cols or "fppg" in cols or {"firstname", "lastname"} <= cols


def _looks_dk(cols: set[str]) -> bool:
    return bool({"nameid", "teamabbrev", "avgpointspergame", "gameinfo"} & cols)


def _salary_header_ok(site: SiteRules) -> Callable[[set[str]], bool]:
    if site.key == "fd":
        return lambda c: "id" in c and "salary" in c and (
            "nickname" in c or {"firstname", "lastname"} <= c)
    return lambda c: "salary" in c and ("id" in c or "nameid" in c) and (
        "name" in c or "nameid" in c)


def _parse_salaries(
    path: str | Path, site: SiteRules
) -> tuple[list[_SalaryRecord], list[Problem]]:
    """Salary rows (invalid values kept as None so names still match) and the problems."""
    label = str(path)
    text, problems = _read_text(path, label)
    if text is None:
        return [], problems
    records = _records(text, label)
    export = "DraftKings salary export (DKSalaries.csv)" if site.key == "dk" else \
        "FanDuel player list"
    h = _find_header(records, _salary_header_ok(site))
    if h is None:
        hi, header = _first_nonempty(records)
        cols = {_norm_header(c) for c in header if c}
        if site.key == "dk" and _looks_fd(cols):
            return [], [Problem("this is a FanDuel player list, not a DraftKings salary export",
                                file=label, row=hi + 1,
                                fix="pass {site=fd} for this file, or pass the DraftKings "
                                    "export (DKSalaries.csv)")]
        if site.key == "fd" and _looks_dk(cols):
            return [], [Problem("this is a DraftKings salary export, not a FanDuel player list",
                                file=label, row=hi + 1,
                                fix="pass {site=dk} for this file, or pass the FanDuel "
                                    "player list")]
        need = ("ID", "Name", "Salary") if site.key == "dk" else ("Id", "Nickname", "Salary")
        missing = [c for c in need if _norm_header(c) not in cols]
        return [], [Problem(
            f"missing required column(s) {', '.join(missing) or ', '.join(need)}; "
            f"columns found: {_shown(header)}",
            file=label, row=hi + 1, field=(missing or list(need))[0],
            fix=f"pass the {export} as downloaded, header "
                f"'{','.join(DK_HEADER if site.key == 'dk' else FD_HEADER)}'")]

    header = records[h]
    col = _header_index(header)
    if site.key == "dk":
        i_id, i_name, i_nameid = col.get("id"), col.get("name"), col.get("nameid")
        i_team, i_game = col.get("teamabbrev"), col.get("gameinfo")
        i_pos = col.get("rosterposition", col.get("position"))
        pos_field = "Roster Position" if "rosterposition" in col else "Position"
    else:
        i_id, i_name, i_nameid = col.get("id"), col.get("nickname"), None
        i_team, i_game, i_pos = col.get("team"), col.get("game"), None
        pos_field = ""
    i_first, i_last = col.get("firstname"), col.get("lastname")
    i_sal = col["salary"]
    id_field = "ID" if site.key == "dk" else "Id"
    name_field = "Name" if site.key == "dk" else "Nickname"
    lo, hi_sal = site.salary_range

    out: list[_SalaryRecord] = []
    seen_id: dict[str, int] = {}
    seen_name: dict[str, tuple[int, str]] = {}
    bad_pos: list[tuple[int, str]] = []
    used = [i for i in (i_id, i_name, i_nameid, i_sal, i_first, i_last) if i is not None]
    for k in range(h + 1, len(records)):
        rec, row = records[k], k + 1
        if not any(_cell(rec, i) for i in used):
            continue
        name = _cell(rec, i_name)
        if not name and site.key == "fd":
            name = " ".join(x for x in (_cell(rec, i_first), _cell(rec, i_last)) if x)
        pid = _cell(rec, i_id)
        nameid = _cell(rec, i_nameid)
        if nameid and (not name or not pid):  # DK "Kyle Larson (12345678)"
            m = re.fullmatch(r"(.*?)\s*\((\w[\w-]*)\)\s*", nameid)
            if m:
                name = name or m.group(1).strip()
                pid = pid or m.group(2)
        if not name:
            problems.append(Problem("no driver name", file=label, row=row, field=name_field,
                                    fix="fill in the driver's name or delete the row"))
        if not pid:
            problems.append(Problem("no player ID", file=label, row=row, field=id_field,
                                    fix="use the file as exported by the site; IDs are needed "
                                        "to upload lineups"))
        elif pid in seen_id:
            problems.append(Problem(f"duplicate ID {pid} (also on row {seen_id[pid]})",
                                    file=label, row=row, field=id_field,
                                    fix="delete the repeated row"))
        else:
            seen_id[pid] = row
        if name:
            key = normalize_name(name, drop_suffix=False)
            if key in seen_name:
                prev_row, prev_name = seen_name[key]
                also = f"also on row {prev_row}" if prev_name == name else \
                    f"row {prev_row} has '{prev_name}'"
                problems.append(Problem(
                    f"duplicate driver name '{name}' ({also})",
                    file=label, row=row, field=name_field, fix="delete the repeated row"))
            else:
                seen_name[key] = (row, name)
        raw_sal = _cell(rec, i_sal)
        salary = _parse_money(raw_sal)
        if salary is None:
            problems.append(Problem(
                f"salary '{raw_sal}' is not a whole number" if raw_sal else "salary is empty",
                file=label, row=row, field=header[i_sal] or "Salary",
                fix="write the salary in dollars, e.g. 8500 or $8,500"))
        elif not lo <= salary <= hi_sal:
            problems.append(Problem(
                f"salary {salary} is outside the {site.name} range {lo}-{hi_sal}",
                file=label, row=row, field=header[i_sal] or "Salary",
                fix="check the value (dollars, not thousands) and the {site}"))
            salary = None
        pos = _cell(rec, i_pos)
        if i_pos is not None and pos and not set(pos.split("/")) & _DK_DRIVER_POSITIONS:
            bad_pos.append((row, pos))
        out.append(_SalaryRecord(row, pid, name, salary, _cell(rec, i_team) or None,
                                 _cell(rec, i_game)))
    if bad_pos:
        rows = ", ".join(str(r) for r, _ in bad_pos[:5]) + (" ..." if len(bad_pos) > 5 else "")
        kinds = ", ".join(sorted({p for _, p in bad_pos})[:5])
        problems.append(Problem(
            f"{len(bad_pos)} row(s) ({rows}) have position(s) {kinds}, not a NASCAR driver (D)",
            file=label, row=bad_pos[0][0], field=pos_field,
            fix="pass the salary export of a NASCAR contest"))
    if not out:
        problems.append(Problem("no driver rows below the header", file=label, row=h + 2,
                                fix="export the file again; it needs one row per driver"))
    elif len(out) < site.roster_size:
        problems.append(Problem(
            f"only {len(out)} driver(s), fewer than a {site.name} roster of {site.roster_size}",
            file=label, fix=f"pass the full salary file (at least {site.roster_size} drivers)"))
    return out, problems


def _track_from_game_info(values: Sequence[str]) -> str | None:
    """Track name from a DK 'Game Info' cell: the text before the date and time.

    'Kansas Speedway 05/11/2025 03:00PM ET' -> 'Kansas Speedway'. A team pairing
    ('AAA@BBB ...', other sports) or an empty cell gives None.
    """
    for v in values:
        t = re.sub(r"\s*\d{1,2}/\d{1,2}/\d{2,4}.*$", "", v).strip()
        t = re.sub(r"\s+\d{1,2}:\d{2}\s*[AaPp][Mm].*$", "", t).strip()
        if t and "@" not in t:
            return t
    return None


def read_salaries(path: str | Path, site: SiteRules | str) -> list[Driver]:
    """Drivers from a site's salary file (DK export or FD player list), in file order.

    Start positions and projections are left empty (they come from a projections file).
    Raises InputError listing every problem found.
    """
    rules = get_site(site) if isinstance(site, str) else site
    recs, problems = _parse_salaries(path, rules)
    if problems:
        raise InputError(problems)
    return [Driver(id=r.id, name=r.name, salary=int(r.salary or 0), team=r.team) for r in recs]
