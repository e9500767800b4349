"""The SQLite store on its own: content ids, job state transitions, orphaned jobs, concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from tailrace.slate import demo_slate
from tailrace.store import NotFound, Store, slate_from_dict, slate_to_dict

pytestmark = pytest.mark.service


def test_slate_round_trip_and_one_copy(tmp_path) -> None:
    st = Store(tmp_path)
    slate = demo_slate()
    d = slate_to_dict(slate)
    a = st.put_slate(d)
    b = st.put_slate(slate_to_dict(demo_slate()))
    assert a == b
    assert slate_from_dict(st.get_slate(a)) == slate
    with pytest.raises(NotFound):
        st.get_slate("sl_missing")
    # a second Store on the same directory (another process would do the same) sees it
    assert Store(tmp_path).get_slate(a) == d


def test_job_transitions_are_conditional(tmp_path) -> None:
    st = Store(tmp_path)
    j = st.create_job("simulate", {"x": 1})
    assert st.get_job(j)["state"] == "queued"
    assert not st.set_progress(j, 0.5, "not running yet")
    assert st.start_job(j, 123)
    assert not st.start_job(j, 456)  # only once
    assert st.set_progress(j, 0.4, "a")
    assert st.set_progress(j, 0.2, "b")  # progress never goes backwards
    job = st.get_job(j)
    assert job["progress"] == 0.4 and job["message"] == "b"
    assert st.cancel_job(j)
    assert not st.finish_job(j, {"late": True})  # a late writer cannot resurrect it
    job = st.get_job(j)
    assert job["state"] == "cancelled" and job["result"] is None


def test_orphaned_jobs_are_failed_with_reason(tmp_path) -> None:
    st = Store(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    j1 = st.create_job("optimize", {}, owner_pid=dead_pid)
    st.start_job(j1, 1)
    j2 = st.create_job("optimize", {}, owner_pid=dead_pid)
    mine = st.create_job("optimize", {})  # owned by this live process
    done = st.create_job("optimize", {}, owner_pid=dead_pid)
    st.start_job(done, 1)
    st.finish_job(done, {"ok": 1})
    failed = st.fail_orphaned_jobs("server gone")
    assert sorted(failed) == sorted([j1, j2])
    for j in (j1, j2):
        job = st.get_job(j)
        assert job["state"] == "failed" and job["message"] == "server gone"
    assert st.get_job(mine)["state"] == "queued"
    assert st.get_job(done)["state"] == "done"


def test_concurrent_writers(tmp_path) -> None:
    st = Store(tmp_path)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            s = Store(tmp_path)
            for i in range(20):
                s.put_spec({"n_lineups": 1 + (k * 20 + i) % 150}, name=f"w{k}-{i}")
                jid = s.create_job("simulate", {"k": k, "i": i})
                s.start_job(jid, 1)
                s.finish_job(jid, {"i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(st.list_specs()) == 160
    assert len(st.jobs_in_state("done")) == 160
