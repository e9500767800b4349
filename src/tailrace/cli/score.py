"""`tailrace score`: fantasy points for a results file in the shape of the shared race data.

Reads columns driver, start, finish, laps_led, fastest_laps, laps (extra columns kept in
order), scores each row with the site's rules, and writes the rows back with a points
column appended: to ``--out`` as CSV, else as a table on the screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import typer

from tailrace.cli.options import site_rules
from tailrace.errors import InputError, Problem
from tailrace.outputs import atomic_write_text, check_output_paths, csv_text
from tailrace.sites import SiteRules
from tailrace.textfile import csv_rows, read_text_file

_SHOWN = ("driver", "start", "finish", "laps_led", "fastest_laps", "laps")


@dataclass(frozen=True)
class ScoredResults:
    """A results table with its points: ``header``/``rows`` as read, plus the new column."""

    header: list[str]
    rows: list[list[str]]
    points: np.ndarray  # float64, one per row
    points_column: str



MAX_COUNT = 10_000  # laps, laps led, fastest laps: a Cup race has at most about 500 laps


def _count(text: str) -> float | None:
    """A whole, non-negative count ('12', '12.0'); None if not one."""
    try:
        v = float(text)
    except ValueError:
        return None
    if not math.isfinite(v) or v < 0 or v != int(v):
        return None
    return v


def score_results(path: str | Path, site: SiteRules) -> ScoredResults:
    """Score every row of a results file with ``site``'s rules; InputError lists bad rows."""
    label = str(path)
    records = csv_rows(read_text_file(path, label), label)
    if not records or not any(records[0]):
        raise InputError(Problem("the file is empty", file=label,
                                 fix="give a header row (driver,start,finish,laps_led,"
                                     "fastest_laps,laps) and one row per driver"))
    header = [h.strip() for h in records[0]]
    col = {h.lower(): j for j, h in reversed(list(enumerate(header)))}
    need = ["start", "finish", "laps_led"]
    if site.fastest_laps:
        need.append("fastest_laps")
    if site.laps_completed:
        need.append("laps")
    missing = [c for c in need if c not in col]
    if missing:
        raise InputError(Problem(
            f"missing column(s) {', '.join(missing)} needed to score {site.name}; columns "
            f"found: {', '.join(h for h in header if h) or '(none)'}",
            file=label, row=1, field=missing[0],
            fix="name the columns start, finish, laps_led" + (", fastest_laps" if site.fastest_laps
                                                          else "") +
                (", laps" if site.laps_completed else "")))

    problems: list[Problem] = []
    rows: list[list[str]] = []
    values: dict[str, list[float]] = {c: [] for c in need}
    for k, rec in enumerate(records[1:], start=2):
        if not any(c.strip() for c in rec):
            continue
        rec = rec + [""] * (len(header) - len(rec))
        for c in need:
            raw = rec[col[c]].strip()
            v = _count(raw)
            if c in ("start", "finish") and v is not None and not 1 <= v <= site.max_field:
                problems.append(Problem(f"{c} {raw} is outside 1 to {site.max_field}", file=label,
                                        row=k, field=c,
                                        fix=f"give a position from 1 to {site.max_field}"))
                v = 1.0
            elif v is not None and v > MAX_COUNT:
                problems.append(Problem(f"{c} {raw} is more than any race has (at most {MAX_COUNT:,})", file=label,
                                        row=k, field=c, fix=f"check {c} for a typo"))
                v = 0.0
            elif v is None:
                what = "is empty" if not raw else f"'{raw}' is not a whole number"
                problems.append(Problem(f"{c} {what}", file=label, row=k, field=c,
                                        fix=f"fill in {c} as a whole number (0 if none), or "
                                            "delete the row"))
                v = 1.0 if c in ("start", "finish") else 0.0
            values[c].append(v)
        rows.append(rec)
    if not rows and not problems:
        problems.append(Problem("no result rows below the header", file=label, row=2,
                                fix="add one row per driver"))
    if problems:
        raise InputError(problems)

    arr = {c: np.asarray(v, dtype=np.int64) for c, v in values.items()}
    pts = site.score(arr["start"], arr["finish"], arr["laps_led"], arr.get("fastest_laps"),
                     arr.get("laps"))
    taken = {h.lower() for h in header}
    name = next(n for n in ("points", f"points_{site.key}", f"tailrace_points_{site.key}",
                            f"tailrace_points_{site.key}_{len(header)}") if n not in taken)
    return ScoredResults(header=header, rows=rows, points=pts, points_column=name)


def _fmt(p: float) -> str:
    return f"{p:.2f}"


def write_scored(res: ScoredResults, out: Path) -> None:
    """Write the rows with the points column appended, as CSV (UTF-8)."""
    rows = [res.header + [res.points_column]]
    rows += [rec[: len(res.header)] + [_fmt(float(p))] for rec, p in zip(res.rows, res.points)]
    try:
        atomic_write_text(out, csv_text(rows, keep_numbers=True))
    except OSError as exc:
        raise InputError(Problem(f"cannot write the output ({exc.strerror})", file=str(out),
                                 field="--out", fix="check that the folder exists and is "
                                                    "writable")) from None


def print_scored_table(res: ScoredResults, site: SiteRules) -> None:
    from rich.console import Console
    from rich.table import Table

    idx = {h.lower(): j for j, h in reversed(list(enumerate(res.header)))}
    shown = [c for c in _SHOWN if c in idx]
    table = Table(title=f"{site.name} points ({len(res.rows)} rows; --out FILE keeps every "
                        "column)")
    for c in shown:
        table.add_column(res.header[idx[c]], justify="left" if c == "driver" else "right")
    table.add_column(res.points_column, justify="right", style="bold")
    for rec, p in zip(res.rows, res.points):
        table.add_row(*[rec[idx[c]] for c in shown], _fmt(float(p)))
    Console().print(table)


def score(
    results: Path = typer.Argument(..., help="Results CSV: driver, start, finish, laps_led, "
                                             "fastest_laps, laps (extra columns kept)."),
    site: str = typer.Option(..., "--site", help="dk (DraftKings) or fd (FanDuel)."),
    out: Path | None = typer.Option(None, "--out", help="Write the rows plus a points "
                                                        "column to this CSV."),
) -> None:
    """Score a results file with a site's rules (points column appended)."""
    rules = site_rules(site)
    check_output_paths({"--out": out})
    res = score_results(results, rules)
    if out is not None:
        write_scored(res, out)
        typer.echo(f"wrote {len(res.rows)} rows with column '{res.points_column}' to {out}",
                   err=True)
    else:
        print_scored_table(res, rules)


def register(app: typer.Typer) -> None:
    """Add `tailrace score` to the app."""
    app.command("score")(score)
