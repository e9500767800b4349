"""Reading the user's text files safely: one decoder, one CSV splitter, one JSON/YAML parser.

Public API (stable)::

    decode_text(data, label) -> str            # UTF-8 (BOM or not), UTF-16 with a BOM, cp1252
    read_text_file(path, label=None, param=None) -> str
    csv_rows(text, label, delimiter=',', max_rows=None) -> list[list[str]]  # malformed: InputError
    parse_json(text, label) -> Any             # JSON; bad syntax or nesting is an InputError
    parse_yaml(text, label) -> Any

Every failure is an :class:`~tailrace.errors.InputError` naming the file (and the row where
there is one) with a fix, never a ``UnicodeDecodeError``, ``csv.Error`` or ``RecursionError``
from deep inside a reader. Binary data (a NUL byte in the first 64 KB, or bytes that are text in
no supported encoding) is refused rather than decoded into nonsense. Cells may be up to
:data:`MAX_CELL` characters (csv's default limit is 128 KB and fails with a bare ``csv.Error``);
nesting deeper than :data:`MAX_DEPTH` levels is refused before the parser recurses.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from tailrace.errors import InputError, Problem

MAX_CELL = 1_000_000  # characters in one CSV cell
MAX_DEPTH = 100  # nesting levels in a JSON / YAML document

__all__ = ["MAX_CELL", "MAX_DEPTH", "csv_rows", "decode_text", "parse_json", "parse_yaml", "read_text_file"]


def decode_text(data: bytes, label: str) -> str:
    """The text of ``data``: UTF-16 when it starts with a UTF-16 BOM, else UTF-8 (BOM or not),
    else cp1252. InputError for binary data (NUL bytes, or bytes cp1252 leaves undefined)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _binary(label) from None
    elif b"\x00" in data[:65536]:
        raise _binary(label)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise _binary(label) from None
    if "\x00" in text:
        raise _binary(label)
    return text


def _binary(label: str) -> InputError:
    return InputError(Problem("this is not a text file (it holds binary data)", file=label,
                              fix="give the CSV / JSON / YAML text file itself (UTF-8, UTF-16 or cp1252), "
                                  "not a spreadsheet, archive or image"))


def read_text_file(path: str | Path, label: str | None = None, param: str | None = None) -> str:
    """Read and decode a text file; InputError (naming ``label``, default the path, and the
    parameter ``param`` that gave the file, e.g. ``"history"``) when it is missing, a folder,
    unreadable or binary."""
    p = Path(path)
    name = label or str(p)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=name, param=param, fix="check the path")) from None
    except IsADirectoryError:
        raise InputError(Problem("this is a folder, not a file", file=name, param=param,
                                 fix="give the path of the file itself")) from None
    except OSError as exc:
        raise InputError(Problem(f"cannot read the file ({exc.strerror})", file=name, param=param,
                                 fix="check the path and its permissions")) from None
    return decode_text(data, name)


def csv_rows(text: str, label: str, delimiter: str = ",", max_rows: int | None = None,
             what: str = "rows") -> list[list[str]]:
    """All rows of a CSV text (``csv.reader``, cells up to MAX_CELL characters).

    A malformed file (a cell over the limit, a stray carriage return inside an unquoted cell,
    ...) is an InputError naming the row where the reader stopped; so is a file with more than
    ``max_rows`` rows (reading stops there, so a huge junk file costs little).
    """
    old = csv.field_size_limit()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        csv.field_size_limit(MAX_CELL)
        for row in reader:
            rows.append(row)
            if max_rows is not None and len(rows) > max_rows:
                raise InputError(Problem(f"the file has more than {max_rows:,} rows, more than any {what} holds",
                                         file=label, row=reader.line_num,
                                         fix="check that this is the right file"))
    except csv.Error as exc:
        raise InputError(Problem(f"the file could not be read as CSV ({exc})", file=label, row=reader.line_num,
                                 fix=f"save it as plain CSV (cells under {MAX_CELL:,} characters, "
                                     "quotes around cells holding commas or line breaks)")) from None
    finally:
        csv.field_size_limit(old)
    return rows


def _too_deep(text: str, opens: str, closes: str) -> bool:
    """True when brackets nest deeper than MAX_DEPTH (strings are not skipped: an over-estimate
    only for documents holding many brackets in quoted text, which specs and results do not)."""
    depth = 0
    for ch in text:
        if ch in opens:
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif ch in closes:
            depth -= 1
    return False


def _nesting_error(label: str, kind: str) -> InputError:
    return InputError(Problem(f"the {kind} nests deeper than {MAX_DEPTH} levels", file=label,
                              fix=f"a tailrace {kind} file is a few levels deep; check that this is the right file"))


_SURROGATE_PATTERN = r"\\[uU]0*[dD][89a-fA-F][0-9a-fA-F]{2}"  # a \u escape of half a UTF-16 pair
_SURROGATE_ESCAPE = re.compile(_SURROGATE_PATTERN)
_SURROGATE_ESCAPE_BYTES = re.compile(_SURROGATE_PATTERN.encode())


def _lone_surrogate(obj: Any) -> bool:
    """True when a string (or key) in a parsed document holds half a UTF-16 pair (``"\\ud800"``
    escaped on its own): not text, and every later ``.encode()`` of it fails."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, str):
            try:
                o.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, list):
            stack.extend(o)
    return False


def may_hold_lone_surrogate(text: str | bytes) -> bool:
    """Whether ``text`` (a JSON or YAML document, str or raw bytes) holds a surrogate escape at
    all: the cheap scan that decides whether parsing and walking it is needed."""
    rx = _SURROGATE_ESCAPE_BYTES if isinstance(text, bytes) else _SURROGATE_ESCAPE
    return rx.search(text) is not None


def has_lone_surrogate(obj: Any, text: str | bytes) -> bool:
    """Whether the document ``obj`` parsed from ``text`` holds a lone UTF-16 surrogate escape
    (the cheap scan of the text first, the walk of ``obj`` only when it finds an escape)."""
    return may_hold_lone_surrogate(text) and _lone_surrogate(obj)


def _checked(obj: Any, text: str, label: str, kind: str) -> Any:
    if has_lone_surrogate(obj, text):
        raise InputError(Problem(f"the {kind} holds a \\u escape of half a character (a lone UTF-16 surrogate)",
                                 file=label, fix="write the character itself, or its full \\u pair"))
    return obj


def parse_json(text: str, label: str) -> Any:
    """``json.loads(text)`` with every failure an InputError (syntax with line and column,
    nesting, a lone surrogate escape such as ``"\\ud800"``)."""
    if _too_deep(text, "[{", "]}"):
        raise _nesting_error(label, "JSON")
    try:
        return _checked(json.loads(text), text, label, "JSON")
    except json.JSONDecodeError as exc:
        raise InputError(Problem(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", file=label,
                                 row=exc.lineno, fix="fix the JSON syntax at that line")) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise _nesting_error(label, "JSON") from None


def parse_yaml(text: str, label: str) -> Any:
    """``yaml.safe_load(text)`` with every failure an InputError (syntax with line, nesting)."""
    import yaml

    if _too_deep(text, "[{", "]}"):
        raise _nesting_error(label, "YAML")
    try:
        return _checked(yaml.safe_load(text), text, label, "YAML")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc)
        raise InputError(Problem(f"not valid YAML: {what}", file=label, row=line,
                                 fix="fix the YAML syntax at that line")) from None
    except RecursionError:  # block-indented nesting the bracket count cannot see
        raise _nesting_error(label, "YAML") from None
