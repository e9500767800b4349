"""Backtest every portfolio method on the four real DraftKings slates and on synthetic-salary
seasons, printing the per-race and pooled tables (``tailrace backtest``'s own).

    python benchmarks/backtest.py                       # real slates + synthetic 2023, small settings
    python benchmarks/backtest.py --synthetic 2019-2023 --scenarios 2000 --lineups 10
    python benchmarks/backtest.py --no-real --synthetic 2019-2023 --every 2 --dask local:2 --json a.json
    python benchmarks/backtest.py --no-real --synthetic 2019-2023 --every 2 --offset 1 --dask local:2 --json b.json
    python benchmarks/backtest.py --merge a.json b.json --json all.json   # every race, pooled afresh

The real slates come from ../shared/data/real_slates; the history from
../shared/data/cup_results_2019_2023.csv (found beside an ancestor of the repository).
Races of 2019-2022 get track-type parameters refitted on the races before them every
``--params-refit-every`` races (the first run fits, about a minute a fit; later runs read the
fits from the disk cache); 2023 races keep DEFAULT_PARAMS (fitted on 2019-2022).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console

from tailrace.backtest.inputs import find_slates
from tailrace.backtest.report import print_tables, write_report
from tailrace.backtest.run import (BacktestOptions, BacktestResult, RaceJob, RaceReport, SkippedRace, pool,
                                   run_backtest, start_buckets)
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.sim.history import read_history


def _shared() -> Path:
    here = Path(__file__).resolve()
    for d in here.parents:
        if (d / "shared" / "data" / "cup_results_2019_2023.csv").exists():
            return d / "shared" / "data"
    sys.exit("shared/data not found beside the repository")


def _seasons(text: str) -> list[int]:
    a, _, b = text.partition("-")
    return list(range(int(a), int(b or a) + 1))


def merge_results(paths: list[str]) -> BacktestResult:
    """One result from several runs' JSON (same options but the races): races in race order,
    pooled figures and start buckets recomputed from them (``backtest.run.pool`` / ``start_buckets``)."""
    import json

    docs = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    same = [{k: v for k, v in d["options"].items() if k != "params_fits"} for d in docs]
    if any(o != same[0] for o in same[1:]):
        sys.exit("--merge: the runs were made with different options; merge only runs of one setting")
    seen = [(r["salaries"], r["season"], r["race_num"]) for d in docs for r in d["races"]]
    if len(set(seen)) != len(seen):
        sys.exit("--merge: a race is in more than one file (the same run given twice?)")
    races = sorted((RaceReport.model_validate(r) for d in docs for r in d["races"]),
                   key=lambda r: (r.salaries, r.season, r.race_num))
    skipped = sorted((SkippedRace.model_validate(r) for d in docs for r in d["skipped"]),
                     key=lambda r: (r.season, r.race_num))
    methods = docs[0]["options"]["methods"]
    kinds = [k for k in ("real", "synthetic") if any(r.salaries == k for r in races)]
    fits = sorted({tuple(f) for d in docs for f in d["options"]["params_fits"]})
    options = docs[0]["options"] | {"params_fits": [list(f) for f in fits], "merged_from": list(paths)}
    return BacktestResult(history=docs[0]["history"], options=options,
                          races=races, skipped=skipped,
                          pooled={k: pool([r for r in races if r.salaries == k], methods) for k in kinds},
                          start_buckets={k: start_buckets([r for r in races if r.salaries == k]) for k in kinds},
                          seconds=sum(d["seconds"] for d in docs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", default="2023", help="seasons with synthetic salaries ('' for none)")
    ap.add_argument("--scenarios", type=int, default=2000)
    ap.add_argument("--lineups", type=int, default=10)
    ap.add_argument("--field-draws", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", default=None, help="write the result JSON here")
    ap.add_argument("--plots", default=None)
    ap.add_argument("--every", type=int, default=1, help="synthetic: every k-th race only (affordability)")
    ap.add_argument("--offset", type=int, default=0, help="synthetic: start at this race of the list (with --every: "
                                                          "--every 2 --offset 1 runs the races --every 2 left out)")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--params-refit-every", type=int, default=9, help="0: DEFAULT_PARAMS everywhere (in-sample)")
    ap.add_argument("--dask", default=None, help="races on Dask: local[:N] or a scheduler address (same numbers)")
    ap.add_argument("--merge", nargs="+", default=None, metavar="JSON",
                    help="print (and with --json / --plots write) the tables of these runs' --json files together "
                         "(e.g. the two halves of an --every 2 run), pooled afresh, and stop")
    args = ap.parse_args()
    if args.merge:
        merged = merge_results(args.merge)
        print_tables(merged, Console(width=160))
        if args.json or args.plots:
            write_report(merged, args.json, args.plots)
        return
    data = _shared()
    hist = read_history(data / "cup_results_2019_2023.csv")
    jobs = [] if args.no_real else [RaceJob(f.season, f.race_num, f) for f in find_slates(data / "real_slates")]
    if args.synthetic:
        jobs += [RaceJob(s, r) for s, r in hist.race_ids(_seasons(args.synthetic))[args.offset::args.every]]
    opts = BacktestOptions(spec=ConstraintSpec(n_lineups=args.lineups), n_scenarios=args.scenarios, seed=args.seed,
                           field_draws=args.field_draws, params_refit_every=args.params_refit_every)
    t0 = time.perf_counter()
    console = Console(width=160)
    from tailrace.distributed import open_executor

    with open_executor(args.dask) as ex:
        res = run_backtest(hist, jobs, opts, executor=ex,
                           progress=lambda k, n, rid: print(f"  {k}/{n} race {rid[0]}-{rid[1]} "
                                                            f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr,
                                                            flush=True))
    print_tables(res, console)
    console.print(f"{len(res.races)} races in {res.seconds:.0f} s; {args.scenarios} scenarios, {args.lineups} lineups, "
                  f"GPP 20,000 entries and double-up 1,000 entries, {args.field_draws} field draws each")
    if args.json or args.plots:
        write_report(res, args.json, args.plots)


if __name__ == "__main__":
    main()
