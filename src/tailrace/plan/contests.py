"""The day's contests file: ``contests:`` with one mapping per contest (YAML or JSON), and the
day's own rules beside it.

The day (top level, optional)::

    max_overlap_day: 4             # drivers two lineups entered in *different* contests may share

Each contest::

    - name: Kansas $5 GPP          # unique; matched to DKEntries' "Contest Name" unless contest_id is given
      kind: gpp                    # gpp | double-up | 50-50 | a payout file (CSV/JSON, relative to this file)
      entry_fee: 5
      field_size: 20000
      max_entries: 20              # 1..150, below field_size
      ownership: own.csv           # optional: this contest's projected ownership (percent)
      contest_id: "158000001"      # optional: DKEntries' "Contest ID"
      rake: 0.13                   # optional, gpp only (the parametric table)
      max_exposure: 0.5            # optional: per-contest cap on any driver's share of its lineups
      max_overlap: 4               # optional: drivers two of its lineups may share

Every problem is an InputError naming the file, the contest's row (1-based position in the
list) and the field, with a fix. ``read_day`` / ``parse_day`` read the whole file (contests and
the day's rules, refusing unknown top-level keys); ``read_contests`` / ``parse_contests`` the
contests alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailrace.errors import InputError, Problem
from tailrace.textfile import parse_yaml, read_text_file

__all__ = ["Day", "DayContest", "KINDS", "MAX_ENTRIES", "parse_contests", "parse_day", "read_contests", "read_day"]

KINDS = ("gpp", "double-up", "50-50")
MAX_ENTRIES = 150  # DraftKings' largest entry limit, and the optimiser's largest portfolio
_DAY_KEYS = {"contests", "max_overlap_day"}
_KEYS = {"name", "kind", "entry_fee", "field_size", "max_entries", "ownership", "contest_id", "rake",
         "max_exposure", "max_overlap"}


@dataclass(frozen=True)
class DayContest:
    """One contest of the day (module docstring); ``payouts`` is what
    ``pipeline.payouts_from_options`` takes: None (gpp), ``"double-up"``, ``"50-50"`` or a file path."""

    name: str
    kind: str
    entry_fee: float
    field_size: int
    max_entries: int
    payouts: str | None = None
    ownership: str | None = None
    contest_id: str | None = None
    rake: float | None = None
    max_exposure: float | None = None
    max_overlap: int | None = None

    @property
    def cash(self) -> bool:
        """True for a double-up or 50/50."""
        return self.kind in ("double-up", "50-50")

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("name", "kind", "entry_fee", "field_size", "max_entries", "payouts",
                                              "ownership", "contest_id", "rake", "max_exposure", "max_overlap")}


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None


def parse_contests(data: Any, source: str = "contests", base_dir: Path | None = None,
                   check_files: bool = True) -> list[DayContest]:
    """The contests of a parsed file (a mapping with a ``contests`` list).

    Parameters
    ----------
    data : Any
        The parsed YAML / JSON.
    source : str
        The file's name, for messages.
    base_dir : Path, optional
        Folder that relative payout and ownership paths are taken from (the file's own).
    check_files : bool, default=True
        Check that payout and ownership files exist.

    Returns
    -------
    list of DayContest

    Raises
    ------
    InputError
        Every problem found, each naming the contest's row and field.
    """
    if not isinstance(data, dict) or not isinstance(data.get("contests"), list) or not data["contests"]:
        raise InputError(Problem("no 'contests' list", file=source, field="contests",
                                 fix="write a mapping with a 'contests:' list, one entry per contest (name, kind, "
                                     "entry_fee, field_size, max_entries)"))
    problems: list[Problem] = []
    out: list[DayContest] = []
    names: set[str] = set()
    for i, row in enumerate(data["contests"]):
        r = i + 1

        def bad(field: str, msg: str, fix: str) -> None:
            problems.append(Problem(msg, file=source, row=r, field=f"contests[{i}].{field}", fix=fix))

        if not isinstance(row, dict):
            bad("name", f"contest {r} is not a mapping", "write name, kind, entry_fee, field_size, max_entries")
            continue
        for k in sorted(set(row) - _KEYS):
            bad(k, f"unknown key '{k}'", f"use only {', '.join(sorted(_KEYS))}")
        name = row.get("name")
        if not isinstance(name, str) or not name.strip():
            bad("name", f"contest {r} has no name", "give each contest a name (as DraftKings shows it)")
            name = f"contest {r}"
        elif name.strip() in names:
            bad("name", f"contest name '{name}' is used twice", "give each contest its own name")
        name = name.strip()
        names.add(name)
        kind = row.get("kind", "gpp")
        payouts: str | None = None
        if not isinstance(kind, str) or not kind.strip():
            bad("kind", f"kind {kind!r} is not text", "gpp, double-up, 50-50, or a payout file")
            kind = "gpp"
        kind = kind.strip()
        if kind.lower() in ("double-up", "doubleup", "double up"):
            kind = payouts = "double-up"
        elif kind.lower() in ("50-50", "50/50", "fifty-fifty"):
            kind = payouts = "50-50"
        elif kind.lower() == "gpp":
            kind = "gpp"
        else:
            p = Path(kind)
            if base_dir is not None and not p.is_absolute():
                p = base_dir / p
            if check_files and not p.is_file():
                bad("kind", f"kind '{kind}' is not gpp, double-up or 50-50, and no payout file '{p}' exists",
                    "give gpp, double-up, 50-50, or the path of a payout table (CSV or JSON)")
            payouts = str(p)
            kind = "payouts file"
        fee = _num(row.get("entry_fee"))
        if fee is None or not fee > 0 or fee != fee or fee == float("inf"):
            bad("entry_fee", f"entry fee {row.get('entry_fee')!r} is not a positive number", "e.g. entry_fee: 5")
            fee = 1.0
        size = _int(row.get("field_size"))
        if size is None or size < 2:
            bad("field_size", f"field size {row.get('field_size')!r} is not a whole number >= 2",
                "the contest's total entries, e.g. field_size: 20000")
            size = 2
        me = _int(row.get("max_entries"))
        if me is None or not 1 <= me <= MAX_ENTRIES:
            bad("max_entries", f"max entries {row.get('max_entries')!r} is not a whole number in 1..{MAX_ENTRIES}",
                "the contest's entry limit, e.g. max_entries: 20 (1 for a single-entry contest)")
            me = 1
        elif me >= size:
            bad("max_entries", f"max entries {me} do not fit a {size}-entry contest", "lower max_entries or raise "
                "field_size")
        own = row.get("ownership")
        if own is not None:
            if not isinstance(own, str) or not own.strip():
                bad("ownership", f"ownership {own!r} is not a file path", "give a projected ownership CSV")
                own = None
            else:
                p = Path(own)
                if base_dir is not None and not p.is_absolute():
                    p = base_dir / p
                if check_files and not p.is_file():
                    bad("ownership", f"ownership file '{p}' not found", "check the path (relative to the contests "
                        "file)")
                own = str(p)
        cid = row.get("contest_id")
        if cid is not None and (isinstance(cid, bool) or not isinstance(cid, (str, int)) or not str(cid).strip()):
            bad("contest_id", f"contest_id {cid!r} is not an ID", "give DraftKings' Contest ID, e.g. \"158000001\"")
            cid = None
        rake = row.get("rake")
        if rake is not None:
            x = _num(rake)
            if x is None or not 0 <= x < 1:
                bad("rake", f"rake {rake!r} is not in [0, 1)", "e.g. rake: 0.13")
                rake = None
            elif kind != "gpp":
                bad("rake", "rake applies only to kind gpp (the parametric table)", "drop rake")
                rake = None
            else:
                rake = x
        mx = row.get("max_exposure")
        if mx is not None:
            x = _num(mx)
            if x is None or not 0 < x <= 1:
                bad("max_exposure", f"max exposure {mx!r} is not in (0, 1]", "e.g. max_exposure: 0.5")
                mx = None
            else:
                mx = x
        mo = row.get("max_overlap")
        if mo is not None:
            x = _int(mo)
            if x is None or x < 0:
                bad("max_overlap", f"max overlap {mo!r} is not a whole number >= 0", "e.g. max_overlap: 4")
                mo = None
            else:
                mo = x
        out.append(DayContest(name=name, kind=kind, entry_fee=float(fee), field_size=int(size), max_entries=int(me),
                              payouts=payouts, ownership=own, contest_id=None if cid is None else str(cid).strip(),
                              rake=rake, max_exposure=mx, max_overlap=mo))
    if problems:
        raise InputError(problems)
    return out


def read_contests(path: str | Path) -> list[DayContest]:
    """Read a contests file (YAML, or JSON: JSON is YAML) and :func:`parse_contests` it."""

    p = Path(path)
    text = read_text_file(p, param="contests")
    return parse_contests(parse_yaml(text, str(p)), str(p), base_dir=p.parent)


@dataclass(frozen=True)
class Day:
    """A contests file: its contests and the day's rules (module docstring)."""

    contests: list[DayContest]
    max_overlap_day: int | None = None


def parse_day(data: Any, source: str = "contests", base_dir: Path | None = None, check_files: bool = True) -> Day:
    """The day of a parsed file: :func:`parse_contests` and the top-level rules.

    Raises
    ------
    InputError
        Every problem found: the contests' (each naming its row and field), an unknown
        top-level key, a ``max_overlap_day`` that is not a whole number >= 0.
    """
    problems: list[Problem] = []
    overlap = None
    if isinstance(data, dict):
        for k in sorted(str(x) for x in data):
            if k not in _DAY_KEYS:
                problems.append(Problem(f"unknown top-level key '{k}'", file=source, field=k,
                                        fix=f"use only {', '.join(sorted(_DAY_KEYS))} at the top level (a contest's "
                                            "own keys go under its entry in 'contests')"))
        if data.get("max_overlap_day") is not None:
            overlap = _int(data["max_overlap_day"])
            if overlap is None or overlap < 0:
                problems.append(Problem(f"max overlap day {data['max_overlap_day']!r} is not a whole number >= 0",
                                        file=source, field="max_overlap_day",
                                        fix="the most drivers two lineups of different contests may share, "
                                            "e.g. max_overlap_day: 4"))
                overlap = None
    try:
        contests = parse_contests(data, source, base_dir=base_dir, check_files=check_files)
    except InputError as exc:
        raise InputError(exc.problems + problems) from None
    if problems:
        raise InputError(problems)
    return Day(contests, overlap)


def read_day(path: str | Path) -> Day:
    """Read a contests file (YAML, or JSON: JSON is YAML) and :func:`parse_day` it."""

    p = Path(path)
    text = read_text_file(p, param="contests")
    return parse_day(parse_yaml(text, str(p)), str(p), base_dir=p.parent)
