"""CSV cells of the slate readers: a file's text and records, header lookup, and value parsers
(money, integers, floats, odds). Every problem is a ``Problem`` naming the file, row and field."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

from tailrace.errors import InputError, Problem
from tailrace.slate.names import _fold
from tailrace.textfile import csv_rows, decode_text


_SCAN_ROWS = 30  # how far down a file to look for the header row (DK entry templates)


def _read_text(path: str | Path, label: str) -> tuple[str | None, list[Problem]]:
    """The file's text (``tailrace.textfile.decode_text``: UTF-8 with or without BOM, UTF-16 with
    a BOM, else cp1252; binary data refused), or the problem."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None, [Problem("file not found", file=label, fix="check the path")]
    except OSError as exc:
        return None, [Problem(f"cannot read the file ({exc.strerror})", file=label,
                              fix="check the path and its permissions")]
    try:
        text = decode_text(data, label)
    except InputError as exc:
        return None, list(exc.problems)
    if not text.strip():
        return None, [Problem("the file is empty", file=label,
                              fix="export it again: a header row, then one row per driver")]
    return text, []


MAX_SLATE_ROWS = 2_000  # a slate holds at most 43 drivers; DraftKings exports add a few lines


def _records(text: str, label: str) -> list[list[str]]:
    """CSV records, blank lines kept as [] so that index + 1 is the spreadsheet row; a file
    the CSV reader cannot split is an InputError naming the row (``tailrace.textfile.csv_rows``)."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delim = max((",", ";", "\t"), key=first.count)
    return [[c.strip() for c in rec]
            for rec in csv_rows(text, label, delimiter=delim, max_rows=MAX_SLATE_ROWS, what="salary or projections file")]


def _norm_header(h: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _fold(h).lower())


def _header_index(header: list[str]) -> dict[str, int]:
    """Normalised header -> first column index holding it."""
    out: dict[str, int] = {}
    for j, h in enumerate(header):
        k = _norm_header(h)
        if k and k not in out:
            out[k] = j
    return out


def _find_header(records: list[list[str]], ok: Callable[[set[str]], bool]) -> int | None:
    for i, rec in enumerate(records[:_SCAN_ROWS]):
        if ok({_norm_header(c) for c in rec if c}):
            return i
    return None


def _first_nonempty(records: list[list[str]]) -> tuple[int, list[str]]:
    for i, r in enumerate(records):
        if any(r):
            return i, r
    return 0, []


def _cell(rec: list[str], idx: int | None) -> str:
    if idx is None or idx >= len(rec):
        return ""
    return rec[idx].strip()


def _shown(header: list[str]) -> str:
    cols = [c for c in header if c]
    return ", ".join(cols) if cols else "(none)"


def _parse_money(s: str) -> int | None:
    """'8500', '$8,500', '8500.0' -> 8500; anything else None."""
    t = re.sub(r"[\s$,]", "", s)
    try:
        v = float(t)
    except ValueError:
        return None
    if not math.isfinite(v) or v != int(v):
        return None
    return int(v)


def _parse_int(s: str) -> int | None:
    """'7', '7.0' -> 7; anything else None."""
    try:
        v = float(s)
    except ValueError:
        return None
    if not math.isfinite(v) or v != int(v):
        return None
    return int(v)


def _parse_float(s: str) -> float | None:
    try:
        v = float(s.replace(",", ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def parse_odds(text: str) -> float | None:
    """Win odds as decimal odds, or None if unreadable.

    American '+350' -> 4.5 and '-120' -> 1.8333; decimal '4.5'; fractional '7/2' -> 4.5;
    'even' -> 2.0.
    An unsigned number of 100 or more is American (spreadsheets drop the '+'); an unsigned
    number below 100 is decimal and must exceed 1.
    """
    t = text.strip().replace(",", "").replace(" ", "")
    if not t:
        return None
    if t.lower() in ("even", "evens", "evs"):
        return 2.0
    m = re.fullmatch(r"(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)", t)
    if m:
        num, den = float(m.group(1)), float(m.group(2))
        return 1.0 + num / den if num > 0 and den > 0 else None
    try:
        v = float(t)
    except ValueError:
        return None
    if not math.isfinite(v):
        return None
    if t[0] in "+-" or v >= 100:
        if abs(v) < 100:
            return None
        return 1.0 + v / 100.0 if v > 0 else 1.0 + 100.0 / -v
    return v if v > 1.0 else None
