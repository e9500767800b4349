"""Compile the numba kernels once, before the test workers start (``conftest.pytest_sessionstart``).

Every kernel is ``cache=True``: compiled on first use and kept in ``__pycache__`` beside its source.
In a fresh clone that cache is empty, and numba has no lock between processes, so the two xdist
workers (and the CLI and server subprocesses they start) each compiled the kernels their first
tests needed at the same moment: the same minute of compiling done twice or more. Here two
processes, started side by side on disjoint kernel sets, fill the cache first through small real
runs of the real code paths (no stubs); the tests then load what they need.

``python tests/_precompile.py sim``: the race simulator, scoring, the track-parameter fitter and
the lineup search (the demo pipeline and a small fit); ``... contest``: the contest-mode
portfolio's kernels (its standings, pools, cross-validated cap) on a fixed points matrix, with no
simulation, so the two sets do not overlap in their costly kernels.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARTS = ("sim", "contest")


def _sim(out: Path) -> None:
    """The demo pipeline (simulate, score, search, field, standings) and one small fit."""
    # lazy: each part imports only what it runs; conftest imports this module in every worker
    from tailrace.cli.runners.demo import run_demo
    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.optimize.objectives import Objective
    from tailrace.optimize.portfolio import generate_portfolio
    from tailrace.optimize.search import SearchConfig
    from tailrace.pipeline import run_optimize
    from tailrace.sim.params import fit_track_type_params

    from _tinyhistory import tiny_history

    run_demo(out / "demo", n_scenarios=1000, seed=7, n_lineups=5)
    fit_track_type_params(tiny_history(n_races=6).to_records())
    slate, scen = _gamma_slate(0.01)
    spec = ConstraintSpec.from_data({"n_lineups": 3, "mode": "marginal"})
    run_optimize(slate, scen, spec, explain=False)
    rules, sal = spec.resolve(slate).rules, slate.salaries()  # lower-tail cuts, list screen, target bound
    generate_portfolio(scen.points, sal, rules, Objective.lower_cvar(0.2), 3, max_overlap=3)
    generate_portfolio(scen.points, sal, rules, Objective.upper_cvar(0.02), 3, max_overlap=3,
                       search=SearchConfig(upper_strategy="lists"))
    generate_portfolio(scen.points, sal, rules, Objective.target_prob(120.0), 3, max_overlap=3)


def _gamma_slate(step: float, n: int = 14):
    """An ``n``-driver DraftKings slate and 2000 scenarios of gamma points, multiples of ``step``."""
    # lazy: each part imports only what it runs; conftest imports this module in every worker
    import numpy as np

    from tailrace.sim.scenarios import Scenarios
    from tailrace.sites import DRAFTKINGS
    from tailrace.slate import Driver, Slate

    ids = [str(31600000 + 17 * i) for i in range(n)]
    sal = [int(s) for s in np.linspace(11000, 5000, n).round(-2)]
    slate = Slate(site=DRAFTKINGS, drivers=tuple(Driver(id=i, name=f"Driver {chr(65 + k)}", salary=s)
                                                 for k, (i, s) in enumerate(zip(ids, sal))))
    g = np.random.default_rng(12)
    pts = g.gamma(1.5, 1.0, size=(2000, n)) * np.linspace(14, 6, n)
    pts = ((pts / step).round() * step).astype(np.float32)
    return slate, Scenarios(points=pts, driver_ids=tuple(ids), meta={"seed": 1})


def _contest(out: Path) -> None:
    """Three-lineup contest-mode portfolios (cross-validated cap and a fixed one) on gamma points:
    off the 0.05 grid (the exact standings) and on it (the grid standings; 16 drivers, enough
    candidate lineups for its batched paths; a larger raked field)."""
    # lazy: each part imports only what it runs; conftest imports this module in every worker
    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.pipeline import contest_from_options, run_optimize

    spec = ConstraintSpec.from_data({"n_lineups": 3, "mode": "contest", "max_overlap": 4})
    slate, scen = _gamma_slate(0.01)
    contest = contest_from_options(slate, scen.points, entry_fee=5.0, field_size=300, seed=4)
    run_optimize(slate, scen, spec, contest=contest, explain=False)
    run_optimize(slate, scen, spec, contest=contest, explain=False, contest_cap=3)
    for n in (16, 12):  # 16: candidate batches past GRID_BATCH (lazy paid regions); 12: small batches
        slate, scen = _gamma_slate(0.05, n)
        contest = contest_from_options(slate, scen.points, entry_fee=5.0, field_size=400, rake=0.13, seed=5)
        run_optimize(slate, scen, spec, contest=contest, explain=False)


def run_part(part: str) -> None:
    """Run one part in this process, with a throw-away scenario / fit cache."""
    with tempfile.TemporaryDirectory(prefix="tailrace-precompile-") as d:
        os.environ["TAILRACE_CACHE_DIR"] = str(Path(d) / "cache")
        {"sim": _sim, "contest": _contest}[part](Path(d))


def precompile(src: Path, timeout: float = 900.0) -> tuple[float, list[str]]:
    """Run every part in its own process, side by side; returns (seconds, failures).

    A part that fails is reported, never fatal: the tests then compile what it left, as before.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAILRACE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(src), str(Path(__file__).parent), env.get("PYTHONPATH", "")])
    t0 = time.perf_counter()
    procs = {p: subprocess.Popen([sys.executable, __file__, p], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True) for p in PARTS}
    failed = []
    for p, proc in procs.items():
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if proc.returncode != 0:
            failed.append(f"{p}: exit {proc.returncode}: {err.strip().splitlines()[-1:] if err else ''}")
    return time.perf_counter() - t0, failed


if __name__ == "__main__":
    run_part(sys.argv[1])
