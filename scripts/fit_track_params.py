"""Fit the track-type parameters on 2019–2022 of the shared Cup results and print DEFAULT_PARAMS.

Usage: python scripts/fit_track_params.py [RESULTS.csv] [--through 2022] [--write] [--json OUT.json]
Reads the CSV with the csv module, builds RaceRecords (crash = status accident or DVP, drivers
given), runs tailrace.sim.params.fit_track_type_params and prints the literal rows of
src/tailrace/sim/default_params.py (_DEFAULT_ROWS). ``--write`` replaces that block in default_params.py
in place; ``--json`` also writes the table as {type: params dict}.
"""

from __future__ import annotations

import csv
import json
import pprint
import re
import sys
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

from tailrace.sim.params import TrackTypeParams, RaceRecord, fit_track_type_params
from tailrace.tracks import track_type_for

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "cup_results_2019_2023.csv"
CRASH_STATUSES = ("accident", "dvp")
TYPES = ("superspeedway", "intermediate", "short", "road", "large-flat")
PARAMS_PY = Path(__file__).resolve().parents[1] / "src" / "tailrace" / "sim" / "default_params.py"


def load_records(path: Path, first: int = 2019, last: int = 2022) -> list[RaceRecord]:
    """RaceRecords for the seasons first..last of a results CSV in the shared-data shape."""
    races: OrderedDict[tuple[int, int], list[dict]] = OrderedDict()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (int(row["season"]), int(row["race_num"]))
            if first <= key[0] <= last:
                races.setdefault(key, []).append(row)
    out = []
    for (season, _), rows in sorted(races.items()):
        laps = np.array([int(r["laps"]) for r in rows])
        status = [r["status"].strip().lower() for r in rows]
        out.append(RaceRecord(
            track_type=track_type_for(rows[0]["track"], season),
            race_laps=int(laps.max()),
            start=np.array([int(r["start"]) for r in rows]),
            finish=np.array([int(r["finish"]) for r in rows]),
            laps_completed=laps,
            laps_led=np.array([int(r["laps_led"]) for r in rows]),
            fastest_laps=np.array([int(float(r["fastest_laps"] or 0)) for r in rows]),
            dnf=np.array([s != "running" for s in status]),
            crash=np.array([s in CRASH_STATUSES for s in status]),
            drivers=tuple(r["driver"] for r in rows),
        ))
    return out


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv and not argv[0].startswith("--") else DEFAULT_CSV
    last = int(argv[argv.index("--through") + 1]) if "--through" in argv else 2022
    recs = load_records(path, 2019, last)
    t0 = time.perf_counter()
    fitted = fit_track_type_params(recs, fallback={k: TrackTypeParams(k) for k in TYPES})
    secs = time.perf_counter() - t0
    print(f"# {len(recs)} races 2019-{last}, fit in {secs:.2f} s")
    lines = ["_DEFAULT_ROWS: tuple[dict, ...] = ("]
    for k in TYPES:
        body = pprint.pformat(fitted[k].to_dict(), width=96, sort_dicts=False)
        lines.append("    " + body.replace("\n", "\n    ") + ",")
    lines.append(")")
    block = "\n".join(lines)
    print(block)
    if "--json" in argv:
        out = Path(argv[argv.index("--json") + 1])
        out.write_text(json.dumps({k: fitted[k].to_dict() for k in TYPES}, indent=1))
    if "--write" in argv:
        text = PARAMS_PY.read_text(encoding="utf-8")
        new, count = re.subn(r"^_DEFAULT_ROWS: tuple\[dict, \.\.\.\] = \(\n.*?^\)$", lambda m: block, text,
                             count=1, flags=re.S | re.M)
        if count != 1:
            print(f"could not find the _DEFAULT_ROWS block in {PARAMS_PY}", file=sys.stderr)
            return 1
        PARAMS_PY.write_text(new, encoding="utf-8")
        print(f"# written to {PARAMS_PY}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
