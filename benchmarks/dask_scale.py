"""Scale-out on Dask (issue 15): the same work locally and on 1, 2 Dask workers and over TCP.

Workloads (full sizes by default; every one can be scaled down by a flag):

* **sim**: ``simulate`` of 1,000,000 scenarios x 40 drivers (given strengths, Kansas);
* **contest**: 150 lineups against a 200,000-entry sampled field over 100,000 scenarios
  (demo slate, 38 drivers, site points on the 0.05 grid);
* **cal**: a season's end-to-end calibration (36 races x 3 models x 10,000 scenarios).

Configurations, each timed after a warm-up run that loads the numba kernels in every worker:
``local`` (this process, numba on every core: the baseline every ratio is against),
``local:1`` and ``local:2`` (LocalCluster worker processes, numba on cores / workers threads),
``tcp`` (``dask scheduler`` + two ``dask worker`` processes on 127.0.0.1, started here, one
numba thread each). Each result is checked byte-identical to the local one. Also printed:
scheduler overhead per task (1,000 no-op tasks), bytes scattered to workers and gathered back.

    PYTHONPATH=src .venv/bin/python benchmarks/dask_scale.py [--only sim,contest,cal]
        [--configs local,local:1,local:2,tcp] [--scenarios 1000000] [--contest-scenarios 100000]
        [--field 200000] [--lineups 150] [--season 2023] [--cal-scenarios 10000] [--cal-races 36]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import operator
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "tailrace" / "data" / "demo"
HISTORY = ROOT.parent / "shared" / "data" / "cup_results_2019_2023.csv"


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.tobytes() if isinstance(p, np.ndarray) else pickle.dumps(p))
    return h.hexdigest()[:12]


def sim_workload(args):
    from tailrace.sim.params import DEFAULT_PARAMS  # noqa: F401  (import cost outside the timing)
    from tailrace.sim.simulate import simulate
    from tailrace.sites import DRAFTKINGS
    from tailrace.slate import Driver, Slate

    rng = np.random.default_rng(1)
    n = 40
    strength = np.sort(rng.normal(0, 0.7, n))[::-1]
    start = rng.permutation(n) + 1
    slate = Slate(site=DRAFTKINGS, track="Kansas", drivers=tuple(
        Driver(id=str(i), name=f"D{i}", salary=10_000 - 100 * i, start=int(start[i])) for i in range(n)))

    def run(ex, size=None):
        sc = simulate(slate, size or args.scenarios, 7, strengths=strength, executor=ex)
        return _digest(sc.points, sc.finish, sc.laps_led, sc.fastest_laps, sc.laps_completed, sc.dnf)
    return run


def contest_workload(args):
    from tailrace.contest import make_contest
    from tailrace.contest import run_contest
    from tailrace.sim.simulate import simulate
    from tailrace.sites import get_site
    from tailrace.slate import read_slate

    rules = get_site("dk")
    slate = read_slate(rules, DEMO / "dk_salaries.csv", DEMO / "projections.csv")
    pts = simulate(slate, args.contest_scenarios, 3).points
    con = make_contest(slate.salaries(), rules.roster_size, rules.salary_cap, field_size=args.field, rng=4)
    ours = np.asarray(con.field.unique()[0][: args.lineups])
    print(f"  contest: {pts.shape[0]:,} scenarios x {pts.shape[1]} drivers, {con.field.n_entries:,}-entry field "
          f"({con.field.unique()[0].shape[0]:,} distinct), {ours.shape[0]} lineups")

    def run(ex, size=None):
        p = pts if size is None else pts[:size]
        r = run_contest(con, p, ours, executor=ex)
        return _digest(json.dumps(r.to_dict(), sort_keys=True), r.profit)
    return run


def cal_workload(args):
    from tailrace.calibration import end_to_end_calibration
    from tailrace.sim.history import read_history

    hist = read_history(HISTORY)
    ids = hist.race_ids([args.season])[: args.cal_races]

    def run(ex, size=None):
        r = end_to_end_calibration(hist, ids[:2] if size else ids, n_scenarios=size or args.cal_scenarios, seed=7,
                                   executor=ex)
        d = r.model_dump(mode="json")
        d.pop("seconds")
        return _digest(json.dumps(d, sort_keys=True))
    return run


WORKLOADS = {"sim": sim_workload, "contest": contest_workload, "cal": cal_workload}
WARM = {"sim": 20_000, "contest": 2_000, "cal": 200}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TcpCluster:
    """``dask scheduler`` + two ``dask worker`` processes on 127.0.0.1 (one thread, one numba thread each)."""

    def __enter__(self) -> str:
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        env = dict(os.environ, NUMBA_NUM_THREADS="1", PYTHONPATH=str(ROOT / "src"))
        dask = [sys.executable, "-m", "dask"]
        quiet = dict(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs = [subprocess.Popen(dask + ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                               "--no-dashboard"], **quiet)]
        self.procs += [subprocess.Popen(dask + ["worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
                                                "--no-dashboard"], **quiet) for _ in range(2)]
        from distributed import Client

        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(self.address, timeout=5) as c:
                    c.wait_for_workers(2, timeout=120)
                return self.address
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def __exit__(self, *exc) -> None:
        for p in self.procs[::-1]:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def _overhead(ex, n: int = 1000) -> float:
    """Seconds per no-op task, submission to result, through the executor."""
    t = time.perf_counter()
    ex.map(operator.neg, list(range(n)))
    return (time.perf_counter() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="sim,contest,cal")
    ap.add_argument("--configs", default="local,local:1,local:2,tcp")
    ap.add_argument("--scenarios", type=int, default=1_000_000)
    ap.add_argument("--contest-scenarios", type=int, default=100_000)
    ap.add_argument("--field", type=int, default=200_000)
    ap.add_argument("--lineups", type=int, default=150)
    ap.add_argument("--season", type=int, default=2023)
    ap.add_argument("--cal-scenarios", type=int, default=10_000)
    ap.add_argument("--cal-races", type=int, default=36)
    args = ap.parse_args()
    from contextlib import nullcontext

    from tailrace.distributed import open_executor

    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    work = {k: WORKLOADS[k](args) for k in args.only.split(",")}
    rows: dict[str, dict[str, tuple[float, float, str, dict]]] = {k: {} for k in work}
    overhead: dict[str, float] = {}
    for cfg in args.configs.split(","):
        tcp = TcpCluster() if cfg == "tcp" else nullcontext(None)
        with tcp as address:
            with open_executor(None if cfg == "local" else (address or cfg)) as ex:
                if ex.distributed:
                    overhead[cfg] = _overhead(ex)
                for name, run in work.items():
                    run(ex, WARM[name])  # warm-up: numba kernels loaded in every worker
                    s0 = (ex.stats.bytes_scattered, ex.stats.bytes_gathered, ex.stats.tasks)
                    t, c = time.perf_counter(), time.process_time()
                    digest = run(ex)
                    wall, cpu = time.perf_counter() - t, time.process_time() - c
                    moved = {"scattered": ex.stats.bytes_scattered - s0[0], "gathered": ex.stats.bytes_gathered - s0[1],
                             "tasks": ex.stats.tasks - s0[2]}
                    rows[name][cfg] = (wall, cpu, digest, moved)
                    print(f"  {name:8s} {cfg:8s} {wall:8.2f} s wall ({cpu:6.2f} s client CPU)  "
                          f"tasks {moved['tasks']:4d}  scattered {moved['scattered'] / 1e6:8.1f} MB  "
                          f"gathered {moved['gathered'] / 1e6:8.1f} MB  digest {digest}  "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
    print("\nscheduler overhead per no-op task: " + ", ".join(f"{k} {1e3 * v:.2f} ms" for k, v in overhead.items()))
    for name, r in rows.items():
        base = r.get("local")
        one = r.get("local:1")
        print(f"\n{name}:")
        for cfg, (wall, cpu, digest, moved) in r.items():
            ratio = f"{base[0] / wall:5.2f}x local" if base else ""
            eff = ""
            if one and cfg != "local":
                workers = 1 if cfg == "local:1" else 2
                eff = f"  speed-up over 1 worker {one[0] / wall:4.2f}, efficiency {one[0] / wall / workers:4.2f}"
            same = "identical" if base is None or digest == base[2] else "DIFFERENT"
            print(f"  {cfg:8s} {wall:8.2f} s  {ratio}{eff}  bytes {same}")


if __name__ == "__main__":
    main()
