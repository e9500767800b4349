"""Issue 15: the Dask switch gives the same bytes as the local run, survives a killed worker,
and reports an unreachable scheduler as one clear error (exit 2).

Real processes only: a 2-process ``LocalCluster`` on 127.0.0.1, and a ``dask scheduler`` plus
two ``dask worker`` processes over TCP on loopback, started and stopped here. Every distributed
result is compared with the local run of the same inputs, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "tailrace" / "data" / "demo"
SRC = REPO / "src"


def _demo_args(n: int, seed: int = 5) -> list[str]:
    return ["simulate", "--site", "dk", "--salaries", str(DEMO / "dk_salaries.csv"), "--projections",
            str(DEMO / "projections.csv"), "--scenarios", str(n), "--seed", str(seed)]


def _scenario_bytes(sc) -> bytes:
    return b"".join(np.ascontiguousarray(a).tobytes() for a in
                    (sc.points, sc.finish, sc.laps_led, sc.fastest_laps, sc.laps_completed, sc.dnf))


def _npz_arrays(path: Path) -> dict[str, bytes]:
    with np.load(path) as z:
        return {k: z[k].tobytes() for k in z.files if k != "meta_json"}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["NUMBA_NUM_THREADS"] = "1"
    env.pop("TAILRACE_DASK_SCHEDULER", None)
    return env


def test_local_run_never_imports_distributed(tmp_path: Path) -> None:
    """Without --dask (and without the env variable) neither dask nor distributed is loaded."""
    code = ("import sys; from tailrace.cli import main; "
            f"rc = main({_demo_args(500) + ['--out', str(tmp_path / 'a.npz')]!r}); "
            "print(rc, 'distributed' in sys.modules, 'dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["0", "False", "False"]


def test_address_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    from tailrace.distributed import ENV_VAR, LocalExecutor, open_executor, resolve_address, row_blocks

    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_address(None) is None and resolve_address("  ") is None
    monkeypatch.setenv(ENV_VAR, "tcp://10.0.0.1:8786")
    assert resolve_address(None) == "tcp://10.0.0.1:8786"
    assert resolve_address("local:2") == "local:2"  # the flag wins over the environment
    monkeypatch.setenv(ENV_VAR, "")
    with open_executor(None) as ex:
        assert isinstance(ex, LocalExecutor) and ex.map(abs, [-1, 2, -3]) == [1, 2, 3]
    assert row_blocks(10, 1, 3) == [(0, 4), (4, 8), (8, 10)]
    assert row_blocks(10, 2, 1, multiple=4) == [(0, 8), (8, 10)]
    assert row_blocks(0, 2) == []


# ----------------------------------------------------------------------------- LocalCluster, 2 processes


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    from tailrace.distributed import open_executor

    with open_executor("local:2") as ex:
        assert ex.workers == 2
        yield ex


@pytest.fixture(scope="module")
def demo():
    from tailrace.sites import get_site
    from tailrace.slate import read_slate

    rules = get_site("dk")
    return rules, read_slate(rules, DEMO / "dk_salaries.csv", DEMO / "projections.csv")


@pytest.mark.service
def test_simulation_is_byte_identical_on_two_workers(cluster, demo) -> None:
    from tailrace.sim.simulate import simulate

    _, slate = demo
    n = 3 * 8192 + 123  # a short last block
    local = _scenario_bytes(simulate(slate, n, 11))
    seen: list[tuple[int, int]] = []
    for chunk in (8192, 16384):
        sc = simulate(slate, n, 11, chunk=chunk, executor=cluster, progress=lambda d, t: seen.append((d, t)))
        assert _scenario_bytes(sc) == local
    assert seen[-1] == (n, n) and all(d <= t for d, t in seen)


@pytest.mark.service
def test_contest_figures_are_byte_identical_on_two_workers(cluster, demo) -> None:
    from tailrace.contest import make_contest, run_contest
    from tailrace.contest.simulate import simulate_contest
    from tailrace.sim.simulate import simulate

    rules, slate = demo
    pts = simulate(slate, 5000, 3).points
    con = make_contest(slate.salaries(), rules.roster_size, rules.salary_cap, field_size=2500, rng=4)
    ours = np.asarray(con.field.unique()[0][:9])

    def digest(r) -> str:
        return hashlib.sha256(pickle.dumps((r.to_dict(), r.profit.tobytes()))).hexdigest()

    local = digest(run_contest(con, pts, ours))
    assert digest(run_contest(con, pts, ours, executor=cluster)) == local  # default: tasks sized to workers
    for chunk in (1024, 3072):  # any chunk that is a multiple of REDUCE_BLOCK
        assert digest(simulate_contest(pts, ours, con.opponents(9), con.payouts, con.entry_fee, chunk=chunk,
                                       executor=cluster)) == local
    assert cluster.stats.bytes_scattered >= 2 * pts.nbytes  # the matrix went to both workers


@pytest.mark.service
def test_contest_mode_portfolio_is_identical_on_two_workers(cluster, demo) -> None:
    from tailrace.contest import make_contest
    from tailrace.optimize.contest_mode import generate_contest_portfolio
    from tailrace.optimize.problem import LineupRules
    from tailrace.sim.simulate import simulate

    rules, slate = demo
    pts = simulate(slate, 1500, 8).points
    sal = slate.salaries()
    con = make_contest(sal, rules.roster_size, rules.salary_cap, field_size=1500, rng=2)
    lr = LineupRules(roster_size=rules.roster_size, salary_cap=rules.salary_cap)
    args = (pts, sal, lr, 6, con)
    a = generate_contest_portfolio(*args, max_exposure=0.5, cap_place="cv", cv_caps=(3, 1))
    b = generate_contest_portfolio(*args, max_exposure=0.5, cap_place="cv", cv_caps=(3, 1), executor=cluster)
    assert a.lineups.tobytes() == b.lineups.tobytes()
    assert a.marginal_ev.tobytes() == b.marginal_ev.tobytes()
    assert (a.cap_place, a.cv_scores, a.cv_folds) == (b.cap_place, b.cv_scores, b.cv_folds)


@pytest.mark.service
@pytest.mark.shared_data
def test_calibration_is_identical_on_two_workers(cluster, shared_results_path: Path) -> None:
    from tailrace.calibration import end_to_end_calibration
    from tailrace.sim.history import History, read_history

    full = read_history(shared_results_path)
    hist = History(source=full.source, _races=tuple(r for r in full.races() if r.season == 2023))
    # races 10..13 of 2023: the first has too little history, the others 10-12 races and two
    # parameter fits (refit every 2); one unknown race: both listed as skipped either way
    ids = hist.race_ids([2023])[9:13] + [(2031, 1)]

    def dump(r) -> str:
        d = r.model_dump(mode="json")
        d.pop("seconds")
        return json.dumps(d, sort_keys=True)

    kw = dict(n_scenarios=300, seed=3, params_refit_every=2)
    local = end_to_end_calibration(hist, ids, **kw)
    seen: list[int] = []
    dist = end_to_end_calibration(hist, ids, **kw, executor=cluster, progress=lambda k, n, rid: seen.append(k))
    assert dump(dist) == dump(local)
    assert local.races_evaluated == 3 and len(local.races_skipped) == 2 and seen[-1] == len(ids)


# ----------------------------------------------------------------------------- scheduler + workers over TCP


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


@pytest.fixture(scope="module")
def tcp_cluster(tmp_path_factory):
    """``dask scheduler`` on 127.0.0.1 and two ``dask worker`` processes (one thread each)."""
    pytest.importorskip("distributed")
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]  # the `dask` command of this interpreter
    logs = tmp_path_factory.mktemp("dask_logs")
    procs: list[subprocess.Popen] = []
    try:
        # each child keeps its own descriptor of its log; ours close as soon as it has started
        with open(logs / "scheduler.log", "w") as log:
            procs.append(subprocess.Popen(dask + ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                                  "--no-dashboard"], env=_env(), stdout=subprocess.DEVNULL, stderr=log))
        for k in range(2):
            with open(logs / f"worker{k}.log", "w") as log:
                procs.append(subprocess.Popen(
                    dask + ["worker", address, "--nthreads", "1",
                     "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{k}"],
                    env=_env(), stdout=subprocess.DEVNULL, stderr=log))
        deadline = time.monotonic() + 90
        while True:
            try:
                client = Client(address, timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        client.wait_for_workers(2, timeout=90)
        client.close()
        yield address
    finally:
        _stop(procs[1:])
        _stop(procs[:1])


@pytest.mark.service
def test_cli_over_tcp_scheduler_matches_local(tcp_cluster: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tailrace.cli import main

    args = _demo_args(20_000, seed=9)
    # a scenario cache of its own for each run: the second must simulate on the cluster, not read the first
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "cache-local"))
    assert main(args + ["--out", str(tmp_path / "local.npz")]) == 0
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "cache-tcp"))
    assert main(args + ["--out", str(tmp_path / "tcp.npz"), "--dask", tcp_cluster]) == 0
    assert _npz_arrays(tmp_path / "tcp.npz") == _npz_arrays(tmp_path / "local.npz")


@pytest.mark.service
def test_killed_worker_is_retried_and_the_result_is_identical(tcp_cluster: str, demo) -> None:
    from tailrace.distributed import open_executor
    from tailrace.sim.simulate import simulate

    _, slate = demo
    n = 24 * 8192  # 24 one-block tasks
    local = _scenario_bytes(simulate(slate, n, 21))
    with open_executor(tcp_cluster) as ex:
        before = ex.client.run(os.getpid)  # worker address -> pid (each under its nanny)
        victim = sorted(before.values())[0]
        killed: list[int] = []

        def kill_once(done: int, total: int) -> None:
            if not killed:  # mid-run: the first result is in, the other tasks are queued or running
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        sc = simulate(slate, n, 21, chunk=8192, executor=ex, progress=kill_once)
        assert killed and _scenario_bytes(sc) == local
        ex.client.wait_for_workers(2, timeout=90)  # the nanny restarted the killed worker
        after = ex.client.run(os.getpid)
        assert victim not in after.values()


@pytest.mark.service
def test_unreachable_scheduler_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    pytest.importorskip("distributed")
    from tailrace.cli import main

    monkeypatch.setenv("TAILRACE_DASK_TIMEOUT", "2")
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    assert main(_demo_args(500) + ["--dask", address]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"cannot reach the Dask scheduler at {address}" in err
    assert "--dask" in err and "dask scheduler" in err and "Traceback" not in err


@pytest.mark.service
def test_results_are_awaited_on_the_executors_own_client(tcp_cluster: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``imap`` must wait on its own client's loop, not the process's default client (another
    client in the same process made a killed-worker retry fail with "bound to a different
    event loop"): with no default client to fall back on, the map still runs."""
    import distributed.client as dc

    from tailrace.distributed import open_executor

    with open_executor(tcp_cluster) as ex:
        def no_default():
            raise ValueError("no default client: imap must use its own")

        monkeypatch.setattr(dc, "default_client", no_default)
        assert ex.map(abs, [-3, 4, -5]) == [3, 4, 5]
