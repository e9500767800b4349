"""Read and write scenario matrices: tailrace's own ``.npz`` and a user's own sims (npz or CSV).

File formats
------------
``.npz`` (uncompressed ``numpy.savez``): ``points`` float (n_scenarios, n_drivers);
``driver_ids`` strings (n_drivers,); optionally the outcome arrays ``finish``,
``laps_led``, ``fastest_laps``, ``laps_completed``, ``dnf`` of the same shape as ``points``
and ``meta_json`` (a 0-d string array holding a JSON object). No pickles: files load with
``allow_pickle=False``. A set simulated on a slate that left salary drivers out (not on the
starting grid) records them in the meta's ``left_out`` list (``tailrace.sim.left_out``), a key
present only then.

CSV: a header row of driver IDs (one column per driver), then one row per scenario of
fantasy points. A leading column headed ``scenario``, ``sim``, ``index`` or left blank
(a spreadsheet or pandas row index) is ignored. UTF-8 with or without a BOM.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from tailrace.errors import InputError, Problem
from tailrace.sim.scenarios import Scenarios
from tailrace.slate.model import LeftOut
from tailrace.textfile import csv_rows, read_text_file
from tailrace.outputs import atomic_write_with

__all__ = [
    "OUTCOME_FIELDS",
    "save_scenarios",
    "write_npz",
    "read_npz",
    "load_scenarios",
    "reorder_columns",
    "LEFT_OUT_KEY",
    "recorded_left_out",
]

#: The meta key of a scenario set's left-out drivers: a list of ``{"id", "name", "reason"}``
#: (written by ``tailrace.sim.left_out.record_left_out``; read here so a missing-column error can
#: say whether the set records the missing drivers).
LEFT_OUT_KEY = "left_out"

OUTCOME_FIELDS: tuple[str, ...] = ("finish", "laps_led", "fastest_laps", "laps_completed", "dnf")
_INDEX_HEADERS = {"", "scenario", "sim", "index", "unnamed: 0"}
_MAX_LISTED = 10  # cells listed one by one in an error before summarising the rest


# ----------------------------------------------------------------------------- writing


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return str(obj)


def meta_to_json(meta: dict[str, Any]) -> str:
    """Scenario meta as canonical JSON (numpy scalars, paths, dataclasses converted)."""
    return json.dumps(meta, default=_json_default, sort_keys=True)


def scenario_arrays(scenarios: Scenarios, extra: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """Every array of ``scenarios`` by its npz name, plus ``meta_json`` and any extra strings."""
    arrays: dict[str, np.ndarray] = {
        "points": np.ascontiguousarray(scenarios.points),
        "driver_ids": np.array([str(i) for i in scenarios.driver_ids], dtype=np.str_).reshape(-1),
    }
    for name in OUTCOME_FIELDS:
        value = getattr(scenarios, name)
        if value is not None:
            arrays[name] = np.ascontiguousarray(value)
    arrays["meta_json"] = np.array(meta_to_json(dict(scenarios.meta)))
    for k, v in (extra or {}).items():
        arrays[k] = np.array(v)
    return arrays


def write_npz(f: IO[bytes], scenarios: Scenarios, extra: dict[str, str] | None = None) -> None:
    """Write ``scenarios`` as an uncompressed npz into an open binary file."""
    np.savez(f, **scenario_arrays(scenarios, extra))


def save_scenarios(path: str | os.PathLike[str], scenarios: Scenarios) -> Path:
    """Write ``scenarios`` to ``path`` (.npz, uncompressed) atomically; returns the path.

    The file appears complete or not at all: it is written to a temporary file in the same
    directory and moved into place with ``os.replace``.
    """

    return atomic_write_with(path, lambda f: write_npz(f, scenarios))


# ----------------------------------------------------------------------------- trusted reading


def _npz_members(buf: bytes) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of an uncompressed npz held in ``buf``, as views on ``buf``.

    One read of the file, no copy per member: each member's CRC-32 is checked against the
    zip directory, then its array is ``numpy.frombuffer`` on the bytes (read-only). Members
    that are compressed, pickled or misaligned fall back to a copy through numpy.
    """
    out: dict[str, np.ndarray] = {}
    view = memoryview(buf)
    with zipfile.ZipFile(io.BytesIO(buf)) as zf:
        for info in zf.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if info.compress_type != zipfile.ZIP_STORED:
                with zf.open(info) as f:
                    out[name] = np.lib.format.read_array(f, allow_pickle=False)
                continue
            off = info.header_offset
            if view[off : off + 4] != b"PK\x03\x04":
                raise zipfile.BadZipFile(f"bad local header for {info.filename}")
            n_name = int.from_bytes(view[off + 26 : off + 28], "little")
            n_extra = int.from_bytes(view[off + 28 : off + 30], "little")
            start = off + 30 + n_name + n_extra
            data = view[start : start + info.compress_size]
            if len(data) != info.compress_size or zlib.crc32(data) != info.CRC:
                raise zipfile.BadZipFile(f"bad CRC-32 for {info.filename}")
            f = io.BytesIO(data[: min(len(data), 1 << 16)])
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            if dtype.hasobject:
                raise ValueError(f"{info.filename} holds Python objects; refusing to unpickle")
            count = int(np.prod(shape, dtype=np.int64))
            arr = np.frombuffer(data, dtype=dtype, count=count, offset=f.tell())
            arr = arr.reshape(shape, order="F" if fortran else "C")
            out[name] = arr if arr.flags.aligned else arr.copy()
    return out


def read_npz(source: str | os.PathLike[str] | IO[bytes]) -> tuple[Scenarios, dict[str, str]]:
    """Read a tailrace npz without user-facing checks; returns the scenarios and extra strings.

    Raises (ValueError, KeyError, OSError, zipfile.BadZipFile, EOFError) on any damage; each
    member's zip CRC is checked. Arrays are read-only views on one buffer holding the file.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            buf = fh.read()
    else:
        buf = source.read()
    data = _npz_members(buf)
    points = data.pop("points")
    ids = tuple(str(i) for i in data.pop("driver_ids").tolist())
    if points.ndim != 2 or points.shape[1] != len(ids):
        raise ValueError(f"points shape {points.shape} does not match {len(ids)} driver IDs")
    outcomes = {}
    for name in OUTCOME_FIELDS:
        if name in data:
            arr = data.pop(name)
            if arr.shape != points.shape:
                raise ValueError(f"{name} shape {arr.shape} differs from points {points.shape}")
            outcomes[name] = arr
    meta = json.loads(str(data.pop("meta_json"))) if "meta_json" in data else {}
    if not isinstance(meta, dict):
        raise ValueError("meta_json is not a JSON object")
    extra = {k: str(v) for k, v in data.items() if v.ndim == 0 and v.dtype.kind == "U"}
    return Scenarios(points=points, driver_ids=ids, meta=meta, **outcomes), extra


# ----------------------------------------------------------------------------- user files


def load_scenarios(
    path: str | os.PathLike[str], expected_ids: Sequence[str] | None = None
) -> Scenarios:
    """Read a scenario matrix from ``.npz`` or ``.csv``; points become float32.

    With ``expected_ids`` (the slate's driver IDs) the columns are checked against the slate
    and reordered to it. Any problem raises InputError naming the file, row, field and fix.
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError(Problem("file not found", file=name, fix="check the path to the scenario file"))
    suffix = p.suffix.lower()
    if suffix == ".npz":
        s = _load_npz(p, name)
    elif suffix in (".csv", ".txt"):
        s = _load_csv(p, name)
    else:
        raise InputError(
            Problem(
                f"unknown scenario file type '{p.suffix}'",
                file=name,
                fix="give a .npz (arrays 'points' and 'driver_ids') or a .csv (header of driver IDs)",
            )
        )
    if expected_ids is not None:
        s = _reorder(s, [str(i) for i in expected_ids], name)
    notes = _matrix_warnings(s.points, Path(name).name)
    if notes:
        s = dataclasses.replace(s, meta={**(s.meta or {}),
                                         "warnings": list((s.meta or {}).get("warnings", [])) + notes})
    return s


MIN_TAIL_SCENARIOS = 100  # fewer than this: a 1 % tail holds less than one scenario


def _matrix_warnings(points: np.ndarray, name: str) -> list[str]:
    """What a user should hear about a matrix that loads but cannot support tail metrics."""
    S = points.shape[0]
    out = []
    if S < MIN_TAIL_SCENARIOS:
        out.append(f"scenario matrix {name} has only {S} scenario{'s' if S != 1 else ''}: a 1 % tail needs at "
                   f"least {MIN_TAIL_SCENARIOS}, so tail figures from it are noise; simulate 10,000 or more")
    if not np.any(points):
        out.append(f"scenario matrix {name} is all zeros: every lineup scores 0 in every scenario, so any "
                   "lineup is 'optimal'; check that the file holds fantasy points")
    elif S > 1 and np.all(points.min(axis=0) == points.max(axis=0)):
        out.append(f"scenario matrix {name} has the same points in every scenario: there is no uncertainty, "
                   "so tail and mean objectives agree; check that the file holds simulated scenarios")
    return out


MAX_NPZ_BYTES = 3 * 2**30  # declared size of all arrays in a scenario file (2,000,000 x 43 with outcomes ~1.5 GB)


def _check_declared_size(p: Path, name: str) -> None:
    """Refuse, before loading, a file whose arrays declare more than MAX_NPZ_BYTES in all (a
    small compressed file can expand to many gigabytes), reading only each member's header."""
    total = 0
    try:
        with zipfile.ZipFile(p) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    total += info.file_size
                    continue
                with zf.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                            else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read(f)  # the header only, never the data
                total += int(np.prod(shape, dtype=np.float64)) * max(dtype.itemsize, 1)
    except InputError:
        raise
    except Exception:  # a damaged archive or member: the full read below names it
        return
    if total > MAX_NPZ_BYTES:
        raise InputError(Problem(f"the arrays in this file declare {total / 2**30:.1f} GiB, over the "
                                 f"{MAX_NPZ_BYTES / 2**30:.0f} GiB a scenario matrix may take", file=name,
                                 fix="give at most 2,000,000 scenarios of float32 points; this file may be damaged "
                                     "or not a scenario matrix"))


def _load_npz(p: Path, name: str) -> Scenarios:
    if not zipfile.is_zipfile(p):
        raise InputError(Problem("not a readable .npz file (not a zip archive)", file=name,
                                 fix="save it with numpy.savez(path, points=..., driver_ids=...)"))
    _check_declared_size(p, name)
    try:
        with np.load(p, allow_pickle=False) as z:
            files = set(z.files)
            missing = [k for k in ("points", "driver_ids") if k not in files]
            if missing:
                raise InputError(
                    [
                        Problem(
                            f"array '{k}' missing (found: {', '.join(sorted(files)) or 'none'})",
                            file=name,
                            field=k,
                            fix="save with numpy.savez(path, points=matrix, driver_ids=ids), "
                            "matrix of shape (scenarios, drivers)",
                        )
                        for k in missing
                    ]
                )
            data = {k: z[k] for k in z.files}
        not_arrays = [k for k in ("points", "driver_ids") if not isinstance(data[k], np.ndarray)]
        if not_arrays:  # numpy hands back the raw bytes of a member without the .npy header
            raise InputError([Problem(f"member '{k}' is not a numpy array", file=name, field=k,
                                      fix="save with numpy.savez(path, points=matrix, driver_ids=ids)")
                              for k in not_arrays])
    except InputError:
        raise
    except ValueError as e:  # object arrays need pickle, which we refuse
        raise InputError(
            Problem(
                f"cannot read without pickle ({e})",
                file=name,
                fix="store driver IDs as strings: driver_ids=numpy.array(ids, dtype=str)",
            )
        ) from None
    except Exception as e:  # not a zip, truncated, bad CRC
        raise InputError(
            Problem(f"not a readable .npz file ({type(e).__name__}: {e})", file=name,
                    fix="re-save it with numpy.savez")
        ) from None

    raw_ids = data["driver_ids"]
    pts = data["points"]
    problems: list[Problem] = []
    if raw_ids.ndim != 1:
        problems.append(Problem(f"driver_ids must be 1-D, got shape {raw_ids.shape}", file=name,
                                field="driver_ids", fix="store one ID per column of points"))
    if pts.ndim != 2:
        problems.append(Problem(f"points must be 2-D (scenarios, drivers), got shape {pts.shape}",
                                file=name, field="points", fix="reshape to (n_scenarios, n_drivers)"))
    if pts.dtype.kind not in "biuf":
        problems.append(Problem(f"points must be numbers, got dtype {pts.dtype}", file=name,
                                field="points", fix="store fantasy points as floats"))
    if problems:
        raise InputError(problems)
    try:
        ids = _ids_to_str(raw_ids)
    except UnicodeDecodeError:
        raise InputError(Problem("driver_ids are bytes that are not UTF-8 text", file=name, field="driver_ids",
                                 fix="store driver IDs as strings: driver_ids=numpy.array(ids, dtype=str)")) from None
    if len(ids) == 0:
        raise InputError(Problem("the matrix has no drivers (driver_ids is empty)", file=name, field="driver_ids",
                                 fix="give one column of points per slate driver"))
    if pts.shape[1] != len(ids):
        raise InputError(
            Problem(
                f"points has {pts.shape[1]} columns but driver_ids has {len(ids)} IDs",
                file=name,
                field="points",
                fix="give one driver ID per column of points, in column order",
            )
        )
    if pts.shape[0] == 0:
        raise InputError(Problem("points has no scenarios (0 rows)", file=name, field="points",
                                 fix="give at least one scenario"))
    problems = _duplicate_problems(ids, name, row=None)
    problems += _nonfinite_problems(np.asarray(pts, dtype=np.float64), ids, name, csv_rows=False)
    outcomes: dict[str, np.ndarray] = {}
    for k in OUTCOME_FIELDS:
        if k in data:
            if data[k].shape != pts.shape:
                problems.append(Problem(f"{k} has shape {data[k].shape}, points {pts.shape}",
                                        file=name, field=k, fix=f"give {k} the same shape as points or leave it out"))
            else:
                outcomes[k] = data[k]
    if problems:
        raise InputError(problems)
    meta: dict[str, Any] = {}
    if "meta_json" in data:
        try:
            loaded = json.loads(str(data["meta_json"]))
            meta = loaded if isinstance(loaded, dict) else {}
        except (json.JSONDecodeError, RecursionError):  # metadata is informative only
            meta = {}
    meta["source"] = name
    points32 = _to_float32(pts, ids, name, csv_rows=False)
    return Scenarios(points=points32, driver_ids=tuple(ids), meta=meta, **outcomes)


def _ids_to_str(raw: np.ndarray) -> list[str]:
    if raw.dtype.kind == "f":  # 12345678.0 -> "12345678"
        return [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in raw.tolist()]
    if raw.dtype.kind == "S":
        return [b.decode("utf-8").strip() for b in raw.tolist()]
    return [str(v).strip() for v in raw.tolist()]


def _read_text(p: Path, name: str) -> str:
    return read_text_file(p, name, param="scenarios")


def _load_csv(p: Path, name: str) -> Scenarios:
    text = _read_text(p, name)
    lines = text.splitlines()
    header_row = next((i + 1 for i, ln in enumerate(lines) if ln.strip(" ,\t") != ""), None)
    if header_row is None:
        raise InputError(Problem("file is empty", file=name, row=1,
                                 fix="first row: driver IDs; then one row of points per scenario"))
    header = [c.strip() for c in csv_rows(lines[header_row - 1], name)[0]]
    skip_first = header[0].lower() in _INDEX_HEADERS and len(header) > 1
    ids = header[1:] if skip_first else header
    problems: list[Problem] = []
    for j, h in enumerate(ids):
        if h == "":
            col = j + 1 + int(skip_first)
            problems.append(Problem(f"column {col} has no driver ID", file=name, row=header_row,
                                    field=f"column {col}",
                                    fix="put the driver's site ID in the header of every column"))
    problems += _duplicate_problems(ids, name, row=header_row)
    if problems:
        raise InputError(problems)
    width = len(header)

    fast = _fast_csv_values(lines[header_row:], width)
    if fast is not None:
        pts = np.ascontiguousarray(fast[:, 1:]) if skip_first else fast
        return Scenarios(points=pts, driver_ids=tuple(ids), meta={"source": name})

    # Slow pass, only for files the fast parser refused: find and name every bad cell.
    rows: list[tuple[int, list[str]]] = []  # (1-based file row, cells)
    for offset, line in enumerate(lines[header_row:]):
        cells = csv_rows(line, name)[0] if line else []
        if cells and any(c.strip() for c in cells):
            rows.append((header_row + 1 + offset, cells))
    if not rows:
        raise InputError(Problem("no scenario rows under the header", file=name, row=header_row + 1,
                                 fix="add one row of fantasy points per scenario"))
    values = np.empty((len(rows), len(ids)), dtype=np.float64)
    bad: list[Problem] = []
    n_bad = 0
    for r, (line_no, cells) in enumerate(rows):
        if len(cells) != width:
            n_bad += 1
            if len(bad) < _MAX_LISTED:
                bad.append(Problem(f"{len(cells)} cells but the header has {width}", file=name,
                                   row=line_no, fix="give every row one value per header column"))
            continue
        data_cells = cells[1:] if skip_first else cells
        try:
            values[r] = [float(c) for c in data_cells]
        except ValueError:
            for j, c in enumerate(data_cells):
                try:
                    float(c)
                except ValueError:
                    n_bad += 1
                    if len(bad) < _MAX_LISTED:
                        shown = c if c.strip() else "(empty)"
                        bad.append(Problem(f"'{shown}' is not a number", file=name, row=line_no,
                                           field=ids[j],
                                           fix="give fantasy points as plain numbers, e.g. 42.5"))
    if n_bad:
        if n_bad > len(bad):
            bad.append(Problem(f"... and {n_bad - len(bad)} more bad cells", file=name,
                               fix="fix the cells above the same way"))
        raise InputError(bad)
    row_numbers = np.array([ln for ln, _ in rows])
    problems = _nonfinite_problems(values, ids, name, csv_rows=True, row_numbers=row_numbers)
    if problems:
        raise InputError(problems)
    points32 = _to_float32(values, ids, name, csv_rows=True, row_numbers=row_numbers)
    return Scenarios(points=points32, driver_ids=tuple(ids), meta={"source": name})


def _fast_csv_values(body: list[str], width: int) -> np.ndarray | None:
    """The whole matrix via numpy's C parser when the file is clean, else None.

    Any oddity (quotes, ragged rows, text, NaN/inf, float32 overflow) returns None so the
    row-by-row pass can name the exact row and column.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": handled below
            arr = np.loadtxt(body, delimiter=",", ndmin=2, comments=None, dtype=np.float64)
    except ValueError:
        return None
    if arr.shape[0] == 0 or arr.shape[1] != width or not np.isfinite(arr).all():
        return None
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(arr, dtype=np.float32)
    return out if np.isfinite(out).all() else None


def _duplicate_problems(ids: Sequence[str], name: str, row: int | None) -> list[Problem]:
    seen: dict[str, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
    dups = [i for i, c in seen.items() if c > 1]
    if not dups:
        return []
    where = "header" if row is not None else "driver_ids"
    return [
        Problem(
            f"duplicate driver IDs in the {where}: {', '.join(dups)}",
            file=name,
            row=row,
            field="driver_ids",
            fix="give each driver exactly one column",
        )
    ]


def _nonfinite_problems(
    values: np.ndarray,
    ids: Sequence[str],
    name: str,
    *,
    csv_rows: bool,
    row_numbers: np.ndarray | None = None,
) -> list[Problem]:
    bad = ~np.isfinite(values)
    if not bad.any():
        return []
    rr, cc = np.nonzero(bad)
    out: list[Problem] = []
    for r, c in zip(rr[:_MAX_LISTED].tolist(), cc[:_MAX_LISTED].tolist(), strict=True):
        v = values[r, c]
        what = "NaN" if np.isnan(v) else ("inf" if v > 0 else "-inf")
        if csv_rows:
            assert row_numbers is not None
            out.append(Problem(f"{what} is not a number of points", file=name, row=int(row_numbers[r]),
                               field=ids[c], fix="replace it with the driver's fantasy points"))
        else:
            out.append(Problem(f"points[{r}, {c}] (scenario {r + 1}, driver {ids[c]}) is {what}",
                               file=name, field="points",
                               fix="replace it with the driver's fantasy points"))
    if len(rr) > _MAX_LISTED:
        out.append(Problem(f"... and {len(rr) - _MAX_LISTED} more non-finite values", file=name,
                           field="points", fix="every value must be a finite number"))
    return out


def _to_float32(
    values: np.ndarray,
    ids: Sequence[str],
    name: str,
    *,
    csv_rows: bool,
    row_numbers: np.ndarray | None = None,
) -> np.ndarray:
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(values, dtype=np.float32)
    if not np.isfinite(out).all():
        rr, cc = np.nonzero(~np.isfinite(out))
        r, c = int(rr[0]), int(cc[0])
        row = int(row_numbers[r]) if csv_rows and row_numbers is not None else None
        raise InputError(Problem(f"value {values[r, c]!r} is too large for float32 points"
                                 f" ({len(rr)} such cells)", file=name, row=row, field=ids[c],
                                 fix="fantasy points must be below 3.4e38"))
    return out


def recorded_left_out(meta: dict[str, Any] | None) -> tuple[LeftOut, ...]:
    """The left-out drivers a set's meta records; () when none or when the record is malformed
    (then nothing is dropped, and a missing driver fails as for any set)."""
    rows = (meta or {}).get(LEFT_OUT_KEY)
    if not isinstance(rows, list):
        return ()
    out = []
    for r in rows:
        if not (isinstance(r, dict) and all(isinstance(r.get(k), str) for k in ("id", "name", "reason"))):
            return ()
        out.append(LeftOut(id=r["id"], name=r["name"], reason=r["reason"]))
    return tuple(out)


def reorder_columns(s: Scenarios, expected_ids: Sequence[str], name: str, *, left_out_applied: bool = False) -> Scenarios:
    """``s`` with its columns checked against the slate's driver IDs and put in their order, as
    :func:`load_scenarios` does with ``expected_ids`` (``name``: the file, for messages).

    ``left_out_applied``: the caller (``tailrace.sim.left_out.match_to_slate``) has already
    dropped the drivers the set records as left out, so a recorded ID still missing is recorded
    under another name; the error's fix says so.

    Raises InputError naming the IDs not on the slate and the slate drivers without a column.
    """
    return _reorder(s, [str(i) for i in expected_ids], name, left_out_applied=left_out_applied)


_DROPPED_BY = "tailrace optimize, contest --scenarios and review --scenarios drop those from the slate"


def _missing_fix(missing: list[str], meta: dict[str, Any] | None, left_out_applied: bool) -> str:
    """The fix for slate drivers without a column, true on every road: whether the set records
    them as left out (then the commands drop them; ``load_scenarios(expected_ids=)`` does not),
    records their ID under another name, or does not record them."""
    recorded = {d.id: d for d in recorded_left_out(meta)}
    rec = [recorded[i] for i in missing if i in recorded]
    unrec = [i for i in missing if i not in recorded]
    if rec and not unrec and not left_out_applied:
        who = ", ".join(f"{d.name} ({d.id})" for d in rec)
        return (f"the set records them as left out of its slate ({who}; {rec[0].reason}): {_DROPPED_BY} with "
                "a warning; in Python match it to the slate with tailrace.sim.left_out.load_for_slate(path, slate) "
                "(or match_to_slate) instead of load_scenarios(path, expected_ids=...)")
    head = ("add a column of points for each of them (a set simulated from a history's starting grid leaves out "
            f"drivers who did not start and records them, and {_DROPPED_BY}; ")
    if rec and left_out_applied:
        head += ("the set records " + ", ".join(f"ID {d.id} as '{d.name}'" for d in rec)
                 + ", another name than the salary file's; ")
    elif rec:
        head += ", ".join(d.id for d in rec) + " are recorded, "
    return head + ("these are not recorded: " if not rec else "the rest are not recorded: " if unrec else "") + (
        "check that this is the salary file the set was simulated from, drop their rows from it, or give "
        "--history instead of --scenarios)")


def _reorder(s: Scenarios, expected: list[str], name: str, *, left_out_applied: bool = False) -> Scenarios:
    have = list(s.driver_ids)
    have_set, want_set = set(have), set(expected)
    extra = [i for i in have if i not in want_set]
    missing = [i for i in expected if i not in have_set]
    problems = []
    if extra:
        problems.append(Problem(f"{len(extra)} driver IDs are not on the slate: {', '.join(extra)}",
                                file=name, row=1 if name.lower().endswith((".csv", ".txt")) else None,
                                field="driver_ids",
                                fix="use the site's player IDs from the salary file, or drop those columns"))
    if missing:
        problems.append(Problem(f"{len(missing)} slate drivers have no column: {', '.join(missing)}",
                                file=name, row=1 if name.lower().endswith((".csv", ".txt")) else None,
                                field="driver_ids",
                                fix=_missing_fix(missing, s.meta, left_out_applied)))
    if problems:
        raise InputError(problems)
    if have == expected:
        return s
    pos = {d: j for j, d in enumerate(have)}
    order = np.array([pos[d] for d in expected], dtype=np.intp)
    outcomes = {
        k: np.ascontiguousarray(getattr(s, k)[:, order])
        for k in OUTCOME_FIELDS
        if getattr(s, k) is not None
    }
    return dataclasses.replace(
        s, points=np.ascontiguousarray(s.points[:, order]), driver_ids=tuple(expected), **outcomes
    )
