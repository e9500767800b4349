"""Scenario cache benchmark: warm hits (memory; disk) against a cold simulation of the demo slate.

For 10,000 and 100,000 scenarios x the bundled 38-driver demo slate this prints:

* cold: ``simulate()`` as the CLI calls it (strengths fitted to the projections), and the
  BASE the ratios use: ``simulate()`` with those strengths given (race model + scoring only,
  the conservative baseline); best of a few runs after a warm-up, so JIT compilation is not
  counted; and a cold ``simulate_cached`` (fit + simulate + write the file);
* memory hit: ``simulate_cached`` on a key already in memory (key computed each time, as a
  caller would);
* disk hit, fresh cache object: a new ``ScenarioCache`` on the same directory (file in the
  OS page cache);
* disk hit, fresh process: a new Python process reads the key (time inside the process for
  the lookup, and the whole process wall time including imports);

and the ratio cold simulation / hit for each. Run: ``.venv/bin/python benchmarks/cache.py``
(``--quick`` for 10,000 only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tailrace.sim.cache import ScenarioCache, scenario_key, simulate_cached
from tailrace.sim.scenarios import Scenarios
from tailrace.sim.simulate import simulate
from tailrace.slate import Slate, demo_slate

SEED = 7


def _timed(fn: Callable[[], object], reps: int) -> tuple[float, object]:
    """Best wall time of ``reps`` calls (seconds) and the last result."""
    best, out = float("inf"), None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _median(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from tailrace.sim.cache import ScenarioCache
t1 = time.perf_counter()
s = ScenarioCache(sys.argv[1]).get(sys.argv[2])
t2 = time.perf_counter()
assert s is not None, "expected a disk hit"
print(json.dumps({"import": t1 - t0, "get": t2 - t1, "shape": list(s.points.shape)}))
"""


def _fresh_process_hit(directory: str, key: str) -> tuple[float, float]:
    """(lookup seconds inside a new process, whole process wall seconds)."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _CHILD, directory, key], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    return json.loads(out.stdout)["get"], wall


def _fmt(sec: float) -> str:
    return f"{sec * 1e3:9.2f} ms" if sec >= 1e-3 else f"{sec * 1e6:9.1f} us"


def bench(n_scenarios: int, slate: Slate, tmp: str) -> None:
    reps = 3 if n_scenarios <= 10_000 else 2
    cold_fit, s = _timed(lambda: simulate(slate, n_scenarios, SEED), reps)
    assert isinstance(s, Scenarios)
    strengths = np.asarray(s.meta["strength"])  # the fitted strengths, given back: race + scoring only
    cold, _ = _timed(lambda: simulate(slate, n_scenarios, SEED, strengths=strengths), reps)
    mb = sum(a.nbytes for a in (s.points, s.finish, s.laps_led, s.fastest_laps, s.laps_completed, s.dnf)
             if a is not None) / 1e6
    directory = str(Path(tmp) / f"cache_{n_scenarios}")

    def key() -> str:
        return scenario_key(slate=slate, n_scenarios=n_scenarios, seed=SEED, track=None, params=None,
                            strengths=None)

    cache = ScenarioCache(directory)
    t = time.perf_counter()
    _, hit = simulate_cached(slate, n_scenarios, SEED, cache=cache)
    cold_cached = time.perf_counter() - t
    assert not hit and cache.path_for(key()).exists()
    t_write = _median(lambda: ScenarioCache(Path(tmp) / "writes", max_bytes=0).put(key(), s), 3)
    t_key = _median(key, 20)
    t_mem = _median(lambda: simulate_cached(slate, n_scenarios, SEED, cache=cache), 30)
    assert cache.stats()["memory_hits"] >= 30

    def disk_hit() -> None:
        _, hit = simulate_cached(slate, n_scenarios, SEED, cache=ScenarioCache(directory))
        assert hit

    t_disk = _median(disk_hit, 5)
    proc = [_fresh_process_hit(directory, key()) for _ in range(3)]
    t_proc_get = statistics.median(p[0] for p in proc)
    t_proc_wall = statistics.median(p[1] for p in proc)
    file_mb = os.path.getsize(cache.path_for(key())) / 1e6

    print(f"\n{n_scenarios:,} scenarios x {s.n_drivers} drivers  ({mb:.1f} MB of arrays, file {file_mb:.1f} MB)")
    print(f"  cold simulate(), fitting strengths      {_fmt(cold_fit)}   (as the CLI runs it; best of {reps})")
    print(f"  cold simulate(), strengths given = BASE {_fmt(cold)}   (race model + scoring; best of {reps})")
    print(f"  cold simulate_cached (fit+sim+write)    {_fmt(cold_cached)}")
    print(f"  write to disk (temp file + os.replace)  {_fmt(t_write)}")
    print(f"  key (sha256 of slate + parts)           {_fmt(t_key)}")
    print(f"  memory hit (key + lookup)               {_fmt(t_mem)}   {cold / t_mem:10,.0f}x faster than BASE")
    print(f"  disk hit, fresh cache object            {_fmt(t_disk)}   {cold / t_disk:10,.1f}x faster than BASE")
    print(f"  disk hit, fresh process (lookup)        {_fmt(t_proc_get)}   {cold / t_proc_get:10,.1f}x faster than BASE")
    print(f"  fresh process, whole (python+imports)   {_fmt(t_proc_wall)}   {cold / t_proc_wall:10,.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10,000 scenarios only")
    args = ap.parse_args()
    slate = demo_slate()
    print(f"workload: tailrace.sim.simulate.simulate on the demo slate ({slate.n} drivers, {slate.track}); "
          f"numpy {np.__version__}; {os.cpu_count()} CPUs")
    simulate(slate, 200, SEED)  # warm-up: JIT compile / load, not part of "cold"
    with tempfile.TemporaryDirectory(prefix="tailrace_cache_bench_") as tmp:
        for n in (10_000,) if args.quick else (10_000, 100_000):
            bench(n, slate, tmp)


if __name__ == "__main__":
    main()
