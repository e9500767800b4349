"""Output files that are never lost: checked before the work starts, written atomically.

Two functions, used by every face that writes a file (CLI commands, exports, scenario files):

- :func:`check_output_path` — before any computation, make sure a path given with ``--out``,
  ``--json`` and the like can be written: not a directory, its folder exists (or can be made)
  and is writable, an existing file is writable. A failure is an :class:`InputError` naming the
  flag and the user's path, so no result is computed only to be thrown away.
- :func:`atomic_write_bytes` / :func:`atomic_write_text` — write to a temporary file in the
  target's folder, flush and ``fsync`` it, then ``os.replace`` it over the target. A kill at
  any moment leaves either the old file or the new one, never a truncated one; the temporary
  file is removed on any failure that Python sees.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from tailrace.errors import InputError, Problem, as_text

__all__ = ["check_output_path", "check_output_paths", "atomic_write_bytes", "atomic_write_text",
           "atomic_write_with", "safe_cell", "csv_text"]

# A cell starting with one of these is run as a formula by spreadsheets (CSV injection, OWASP).
_DANGER = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: object, keep_numbers: bool = False) -> str:
    """The cell as text, with a leading ``'`` if it could start a spreadsheet formula.

    With ``keep_numbers``, a plain number (``-3.5``, ``+12``) is left as it is: a spreadsheet
    reads it as a number, never as a formula (for numeric columns such as points).
    """
    s = "" if value is None else str(value)
    if s.startswith(_DANGER) and not (keep_numbers and _NUMBER.fullmatch(s)):
        return "'" + s
    return s


def jsonable(x: Any) -> Any:
    """``x`` as plain JSON values: numpy scalars and arrays unpacked, NaN and infinities as None
    (the one rule every JSON tailrace writes or answers follows)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if x is None or isinstance(x, (str, int)):
        return x
    return str(x)


def csv_text(rows: list[list[object]], newline: str = "\r\n", keep_numbers: bool = False) -> str:
    """Rows as CSV text with every cell passed through :func:`safe_cell`: the one CSV writer for
    every CSV tailrace writes (uploads, DKEntries, scored results)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    for row in rows:
        w.writerow([safe_cell(c, keep_numbers) for c in row])
    return buf.getvalue()


def _problem(path: Path, flag: str, why: str, fix: str) -> Problem:
    return Problem(f"cannot write {flag} '{as_text(path)}': {why}", field=flag, fix=fix)


def check_output_path(path: str | os.PathLike[str], flag: str, *, make_parents: bool = True) -> Path:
    """Check that ``path`` can be written as an output file; returns it as a Path.

    Parameters
    ----------
    path : str or path-like
        The file the user asked for.
    flag : str
        The option that named it (``"--out"``), used in the error.
    make_parents : bool, default True
        Create a missing parent folder (as the writers do) instead of failing.

    Raises
    ------
    InputError
        ``path`` is a directory, its parent is a file or cannot be created or written,
        or it is an existing file without write permission.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(_problem(p, flag, "it is a directory", "name a file inside it, e.g. "
                                  f"{flag} {as_text(p / 'result.out')}"))
    parent = p.parent if str(p.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise InputError(_problem(p, flag, f"'{as_text(parent)}' is a file, not a folder", "choose another folder"))
    if not parent.exists():
        if not make_parents:
            raise InputError(_problem(p, flag, f"folder '{as_text(parent)}' does not exist", "create it first"))
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(_problem(p, flag, f"folder '{as_text(parent)}' cannot be created ({exc.strerror})",
                                      "choose a folder you can write to")) from None
    if not os.access(parent, os.W_OK | os.X_OK) or not _can_create_in(parent):
        raise InputError(_problem(p, flag, f"folder '{as_text(parent)}' is not writable", "choose a folder you can write to"))
    if p.exists() and not os.access(p, os.W_OK):
        raise InputError(_problem(p, flag, "the file exists and is read-only", "choose another name or "
                                  "make it writable"))
    return p


def _can_create_in(folder: Path) -> bool:
    """Whether a file can really be created in ``folder`` (and removed): permission bits do not
    tell (root passes ``os.access`` for ``/proc``, where no file can be made), so try it, the way
    the atomic writers will."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tailrace-check.", suffix=".tmp", dir=folder)
    except OSError:
        return False
    os.close(fd)
    try:
        os.unlink(tmp)
    except OSError:
        pass
    return True


def check_output_paths(paths: dict[str, str | os.PathLike[str] | None]) -> None:
    """:func:`check_output_path` for each ``{flag: path}`` given (None skipped); all problems at once.

    Two flags naming the same file is an error too (one output would overwrite the other).
    """
    problems: list[Problem] = []
    seen: dict[Path, str] = {}
    for flag, path in paths.items():
        if path is None:
            continue
        try:
            p = check_output_path(path, flag)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        key = p.resolve()
        if key in seen:
            problems.append(_problem(p, flag, f"{seen[key]} names the same file", "give each output its own file"))
        seen[key] = flag
    if problems:
        raise InputError(problems)


def atomic_write_with(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(f)`` on a temporary binary file beside ``path``, fsync it, move it into place."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # say the path the caller gave, not the temporary name
        raise type(exc)(exc.errno, exc.strerror, str(target)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, ``os.replace``); returns the path."""
    return atomic_write_with(path, lambda f: f.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, newlines exactly as given; returns the path."""
    return atomic_write_bytes(path, text.encode(encoding))
