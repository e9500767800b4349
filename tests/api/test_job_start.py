"""How job workers start (tailrace.api.job_start): the choice per platform, and the forkserver's
guard against forking with a thread running (threads do not survive a fork)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tailrace.api.job_start import start_method
from tailrace.api.settings import Settings

LINUX = sys.platform.startswith("linux")


def _run(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (the guard looks at the whole process's threads)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def test_start_method_by_choice_and_platform() -> None:
    assert start_method("spawn") == "spawn"
    assert start_method("auto") == ("forkserver" if LINUX else "spawn")
    with pytest.raises(ValueError, match="'fork'.*auto, forkserver, spawn"):
        start_method("fork")
    assert Settings.from_env({}).job_start == "auto"
    assert Settings.from_env({"TAILRACE_JOB_START": "spawn"}).job_start == "spawn"
    with pytest.raises(ValueError, match="job_start"):
        Settings.from_env({"TAILRACE_JOB_START": "threads"})


@pytest.mark.skipif(not LINUX, reason="the forkserver (and /proc's thread count) is Linux's")
def test_the_preload_imports_every_job_module_and_leaves_no_thread() -> None:
    # what the forkserver runs; fails if any tailrace.api import starts a thread or runs a parallel kernel
    r = _run("import sys; import tailrace.api.job_preload; "
             "assert 'tailrace.api.jobs' in sys.modules and 'numba' in sys.modules; print('ok')")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


@pytest.mark.skipif(not LINUX, reason="the forkserver (and /proc's thread count) is Linux's")
def test_the_guard_refuses_a_python_thread() -> None:
    r = _run("import threading, time, numpy\n"
             "from tailrace.api.job_start import check_fork_safe, os_threads\n"
             "base = os_threads()\n"
             "threading.Thread(target=time.sleep, args=(30,), name='sleeper', daemon=True).start()\n"
             "check_fork_safe(base)\n")
    assert r.returncode == 1
    assert "RuntimeError: the job forkserver must hold no thread" in r.stderr and "sleeper" in r.stderr, r.stderr


@pytest.mark.skipif(not LINUX, reason="the forkserver (and /proc's thread count) is Linux's")
def test_the_guard_refuses_after_a_parallel_kernel_ran() -> None:
    # a numba parallel kernel launches its thread pool (OpenMP/TBB/workqueue), which a fork would lose
    r = _run("import numpy as np, numba as nb\n"
             "from tailrace.api.job_start import check_fork_safe, os_threads\n"
             "base = os_threads()\n"
             "@nb.njit(parallel=True)\n"
             "def total(x):\n"
             "    s = 0.0\n"
             "    for i in nb.prange(x.size):\n"
             "        s += x[i]\n"
             "    return s\n"
             "assert total(np.ones(1000)) == 1000.0\n"
             "check_fork_safe(base)\n")
    assert r.returncode == 1
    assert "numba's parallel thread pool has been launched" in r.stderr, r.stderr
