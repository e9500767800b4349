"""Jobs in worker processes: /health stays fast, cancel stops the worker, a killed server's job is failed honestly.

Each under both ways a worker starts (``TAILRACE_JOB_START``): forked from the warm forkserver
(Linux's default) and spawned (macOS and Windows); the two give the same answers, byte for byte.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from tailrace.slate import demo_paths

from .byte_identity import masked
from .conftest import Server, small_demo_files, start_server

pytestmark = pytest.mark.service

BIG = {"n_lineups": 150, "n_scenarios": 20_000, "seed": 99,
       "spec": {"global_max_exposure": 0.4, "max_overlap": 3, "objective": {"kind": "upper-cvar", "beta": 0.01}}}


def _upload(c: httpx.Client) -> str:
    sal, proj = demo_paths()
    r = c.post("/slates", data={"site": "dk"}, files={"salaries": ("s.csv", sal.read_bytes()),
                                                     "projections": ("p.csv", proj.read_bytes())})
    assert r.status_code == 201, r.text
    return r.json()["slate_id"]


def _wait(c: httpx.Client, jid: str, states: set[str], timeout: float = 60.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = c.get(f"/jobs/{jid}").json()
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {jid} not in {states} after {timeout} s: {job}")


def _pid_gone(pid: int, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie child of a dead parent counts as gone
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


FORKSERVER = pytest.mark.skipif(not sys.platform.startswith("linux") or "forkserver" not in mp.get_all_start_methods(),
                                reason="the forkserver start is Linux's (elsewhere jobs start by spawn)")
STARTS = [pytest.param("forkserver", marks=FORKSERVER), "spawn"]


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()


def _forkservers(srv: Server) -> list[int]:
    """The pids of the server's forkserver children."""
    kids = []
    for task in Path(f"/proc/{srv.proc.pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return [k for k in kids if b"multiprocessing.forkserver" in Path(f"/proc/{k}/cmdline").read_bytes()]


def _parent_checked(srv: Server, pid: int, start: str) -> int:
    """The worker ``pid``'s parent, checked to be the server (spawn) or the server's forkserver."""
    parent = int(_stat(pid)[1])
    if start == "spawn":
        assert parent == srv.proc.pid, "a spawned worker's parent is the server"
    else:
        cmd = Path(f"/proc/{parent}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        assert parent != srv.proc.pid and "multiprocessing.forkserver" in cmd, cmd
        assert int(_stat(parent)[1]) == srv.proc.pid, "the forkserver is the server's child"
    return parent


def _worker_pid(srv: Server, jid: str) -> int:
    import sqlite3

    con = sqlite3.connect(srv.data_dir / "tailrace.sqlite3")
    try:
        return int(con.execute("SELECT worker_pid FROM jobs WHERE id=?", (jid,)).fetchone()[0])
    finally:
        con.close()


@pytest.mark.parametrize("start", STARTS)
def test_health_fast_while_big_job_runs_then_cancel(tmp_path, start: str) -> None:
    srv = start_server(tmp_path / "data", {"TAILRACE_JOB_START": start})
    try:
        with srv.client() as c:
            slate_id = _upload(c)
            r = c.post("/optimize?async=true", json={"slate_id": slate_id, **BIG})
            assert r.status_code == 202, r.text
            jid = r.json()["job_id"]
            assert r.headers["location"] == f"/jobs/{jid}"
            job = _wait(c, jid, {"running"})
            worst = 0.0
            for _ in range(20):
                t = time.perf_counter()
                assert c.get("/health").status_code == 200
                worst = max(worst, time.perf_counter() - t)
                time.sleep(0.05)
            # the job takes minutes; /health must not wait for it (generous bound: CI machines are busy)
            assert worst < 2.0, f"/health took {worst:.3f} s while a job ran"
            pid = _worker_pid(srv, jid)
            parent = _parent_checked(srv, pid, start)
            r = c.delete(f"/jobs/{jid}")
            assert r.status_code == 200 and r.json()["state"] == "cancelled"
            assert _pid_gone(pid), "the cancelled job's worker process is still alive"
            assert c.get(f"/jobs/{jid}").json()["state"] == "cancelled"
            assert job["progress"] >= 0.0
            if start == "forkserver":  # a forkserver that died (e.g. the OOM killer) is started again
                os.kill(parent, signal.SIGKILL)
                assert _pid_gone(parent)
                r = c.post("/simulate?async=true", json={"slate_id": slate_id, "n_scenarios": 200, "seed": 1})
                assert _wait(c, r.json()["job_id"], {"done", "failed"})["state"] == "done"
                (parent,) = _forkservers(srv)  # the new one, stopped with the server below
    finally:
        srv.stop()
    if start == "forkserver":  # the server's shutdown stops its forkserver
        assert _pid_gone(parent), "the forkserver outlived its server's shutdown"


@pytest.mark.parametrize("start", STARTS)
def test_killed_server_job_is_failed_with_reason_after_restart(tmp_path, start: str) -> None:
    data = tmp_path / "data"
    srv = start_server(data, {"TAILRACE_JOB_START": start})
    with srv.client() as c:
        slate_id = _upload(c)
        jid = c.post("/optimize?async=true", json={"slate_id": slate_id, **BIG}).json()["job_id"]
        _wait(c, jid, {"running"})
    pid = _worker_pid(srv, jid)
    parent = _parent_checked(srv, pid, start)
    srv.stop(signal.SIGKILL)
    # within a second or so (the kernel's parent-death signal); 10 s is a busy machine's margin
    assert _pid_gone(pid), "the worker outlived its killed server"
    assert start == "spawn" or _pid_gone(parent), "the forkserver outlived its killed server"
    srv2 = start_server(data)
    try:
        with srv2.client() as c:
            job = c.get(f"/jobs/{jid}").json()
            assert job["state"] == "failed"
            assert "server stopped" in job["message"] and "submit it again" in job["message"]
            assert job["error"]["message"] == job["message"]
            # the slate survived the restart
            assert c.get(f"/slates/{slate_id}").status_code == 200
    finally:
        srv2.stop()


def test_failed_job_carries_the_error_a_sync_call_would_give(client: httpx.Client) -> None:
    body = {"slate_id": "sl_unknown", "n_scenarios": 1000, "seed": 1}
    sync = client.post("/simulate", json=body)
    assert sync.status_code == 404
    r = client.post("/simulate?async=true", json=body)
    assert r.status_code == 202
    job = _wait(client, r.json()["job_id"], {"done", "failed", "cancelled"})
    assert job["state"] == "failed"
    assert job["error"]["status"] == 404 and job["error"]["message"] == sync.json()["message"]
    assert "Traceback" not in str(job)
    # a finished job cannot be cancelled; DELETE returns it unchanged
    d = client.delete(f"/jobs/{job['id']}")
    assert d.status_code == 200 and d.json()["state"] == "failed"


def _job_answers(data_dir: Path, start: str) -> list[str]:
    """Each kind's answer as a background job (masked like byte_identity.py), started by ``start``."""
    from fastapi.testclient import TestClient

    from tailrace.api.app import create_app
    from tailrace.api.settings import Settings

    out = []
    with TestClient(create_app(Settings(data_dir=data_dir, job_start=start, explain_binding_limit=1))) as c:
        assert c.app.state.jobs._starter.method == start
        sal, proj = small_demo_files()
        sid = c.post("/slates", data={"site": "dk"}, files={"salaries": ("s.csv", sal), "projections": ("p.csv", proj)}
                     ).json()["slate_id"]
        bodies = [("simulate", {"slate_id": sid, "n_scenarios": 400, "seed": 3}),
                  ("optimize", {"slate_id": sid, "n_scenarios": 300, "seed": 6, "n_lineups": 2,
                                "include_explain": True, "include_distributions": True}),
                  ("plan", {"slate_id": sid, "n_scenarios": 300, "seed": 4, "bankroll": 100, "max_stake": 0.25,
                            "contests": [{"name": "GPP", "kind": "gpp", "entry_fee": 5, "field_size": 300,
                                          "max_entries": 2}]})]
        for kind, body in bodies:
            r = c.post(f"/{kind}?async=true", json=body)
            assert r.status_code == 202, r.text
            job = _wait(c, r.json()["job_id"], {"done", "failed", "cancelled"}, timeout=300)
            assert job["state"] == "done", job
            out.append(json.dumps(masked(job["result"]), sort_keys=True))
    return out


@FORKSERVER
def test_forked_job_answers_equal_spawned_ones_byte_for_byte(tmp_path) -> None:
    forked = _job_answers(tmp_path / "fork", "forkserver")
    spawned = _job_answers(tmp_path / "spawn", "spawn")
    assert len(forked) == 3 and all(len(a) > 200 for a in forked)
    assert forked == spawned
