"""The floor under a whole ``tailrace`` command: what a process pays before its own work.

Each step runs in fresh processes (``--reps`` of them; medians), each step adding one layer to
the one before, so the differences are that layer's cost (CPU = user + sys of the child, the
steadier figure on a shared machine; wall beside it):

* ``python``: the interpreter alone (``-c pass``);
* ``cli``: ``import tailrace.cli`` (typer, rich, the command table);
* ``numpy+pydantic``: plus numpy and pydantic (every command's options and data);
* ``numba``: plus ``import numba`` (the BLAS preload first, as the CLI does it);
* ``first kernel``: plus one cached ``@njit(cache=True)`` kernel's first call: numba's
  target registries load then, once per process (the kernel is compiled by a warm-up run);
* ``scipy.special``: plus ``import scipy.special`` (what the simulator paid before
  ``startup.preload_special_ufuncs``; with the preload it loads the ufunc module alone);
* ``100,000 races``: the preloaded step plus the race kernel on 100,000 races of 40 cars (its
  wall is a lower bound on ``simulate`` 100,000 x 40: no strength fit, scoring or file).

Python's bytecode cached as in ``whole_process.py``. Usage: python benchmarks/startup_floor.py [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_KERNEL = """
import numba, numpy as np
@numba.njit(cache=True)
def total(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    return s
total(np.ones(3))
"""

STEPS: list[tuple[str, str]] = [
    ("python", "pass"),
    ("cli", "import tailrace.cli"),
    ("numpy+pydantic", "import tailrace.cli, numpy, pydantic"),
    ("numba", "import tailrace.cli, numpy, pydantic\nfrom tailrace.startup import preload_numba_blas\n"
              "preload_numba_blas()\nimport numba"),
    ("first kernel", "import tailrace.cli, numpy, pydantic\nfrom tailrace.startup import preload_numba_blas\n"
                     "preload_numba_blas()\nimport sys; sys.path.insert(0, {kdir!r})\nimport floor_kernel"),
    ("scipy.special", "import tailrace.cli, numpy, pydantic\nfrom tailrace.startup import preload_numba_blas\n"
                      "preload_numba_blas()\nimport sys; sys.path.insert(0, {kdir!r})\nimport floor_kernel\n"
                      "import scipy.special"),
    ("preloaded ufuncs", "import tailrace.cli, numpy, pydantic\nfrom tailrace.startup import preload_numba_blas, "
                         "preload_special_ufuncs\npreload_numba_blas()\nimport sys; sys.path.insert(0, {kdir!r})\n"
                         "import floor_kernel\npreload_special_ufuncs()\nfrom tailrace.startup import special_ufunc\n"
                         "special_ufunc('ndtri')"),
    # the race kernel alone on 100,000 races of 40 cars (what `simulate` 100,000 x 40 cannot skip),
    # after the preloaded step: with the floor, a lower bound on that command (no strength fit,
    # no scoring, no file)
    ("100,000 races", "import tailrace.cli, numpy, pydantic\nfrom tailrace.startup import preload_numba_blas, "
                      "preload_special_ufuncs\npreload_numba_blas()\npreload_special_ufuncs()\n"
                      "import numpy as np\nfrom tailrace.sim.race import simulate_race\n"
                      "from tailrace.sim.default_params import params_for\n"
                      "simulate_race(np.linspace(1.5, -1.5, 40), np.arange(1, 41), 267, params_for('intermediate'), "
                      "100_000, 7)"),
]


def one(code: str, env: dict[str, str]) -> tuple[float, float]:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args(argv)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tailrace-bench"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONPYCACHEPREFIX=str(cache / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="tailrace-floor-") as kdir:
        Path(kdir, "floor_kernel.py").write_text(_KERNEL, encoding="utf-8")
        steps = [(name, code.format(kdir=kdir)) for name, code in STEPS]
        for _, code in steps:  # warm-up: bytecode, numba's cache of the kernel
            one(code, env)
        print(f"startup_floor: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, median of {a.reps}")
        print(f"{'step':<18} {'wall':>7} {'cpu':>7}   {'+cpu':>6}")
        prev = first_kernel = 0.0
        for name, code in steps:
            runs = [one(code, env) for _ in range(a.reps)]
            w, c = statistics.median(x for x, _ in runs), statistics.median(y for _, y in runs)
            base = first_kernel if name == "preloaded ufuncs" else prev  # the preload instead of scipy.special
            print(f"{name:<18} {w:>6.2f}s {c:>6.2f}s   {c - base:>+5.2f}s", flush=True)
            if name == "first kernel":
                first_kernel = c
            prev = c
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
