"""POST /plan: the contest-day plan as a job against the real server, on a small demo slate."""

from __future__ import annotations

import time

import httpx
import pytest

from .conftest import small_demo_files

pytestmark = pytest.mark.service

DAY = [
    {"name": "GPP", "kind": "gpp", "entry_fee": 5, "field_size": 300, "max_entries": 3},
    {"name": "Double Up", "kind": "double-up", "entry_fee": 10, "field_size": 40, "max_entries": 2},
]


def _wait(c: httpx.Client, jid: str, timeout: float = 600.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = c.get(f"/jobs/{jid}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"plan job {jid} not finished after {timeout} s")


@pytest.fixture(scope="module")
def slate_id(client: httpx.Client) -> str:
    sal, proj = small_demo_files()
    r = client.post("/slates", data={"site": "dk"}, files={"salaries": ("DKSalaries.csv", sal),
                                                           "projections": ("proj.csv", proj)})
    assert r.status_code == 201, r.text
    return r.json()["slate_id"]


def test_plan_job(client: httpx.Client, slate_id: str) -> None:
    body = {"slate_id": slate_id, "contests": DAY, "bankroll": 100, "max_stake": 0.25, "n_scenarios": 300, "seed": 4,
            "max_overlap_day": 4}
    r = client.post("/plan", json=body)
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "plan"
    job = _wait(client, r.json()["job_id"])
    assert job["state"] == "done", job["error"]
    doc = job["result"]
    rows = doc["contests"]
    assert [c["name"] for c in rows] == ["GPP", "Double Up"]
    assert doc["stake"] == pytest.approx(5 * rows[0]["entries"] + 10 * rows[1]["entries"])
    assert doc["stake"] <= 25 + 1e-9
    assert doc["scenarios"]["report"]["seed"] == 6 and doc["scenarios"]["build"]["seed"] == 4
    assert len(doc["day"]["profit_histogram"]["counts"]) == 40
    for c in rows:
        assert len(c["lineups"]) == c["entries"]
        if c["entries"]:
            # the upload CSV holds the same lineups, row for row
            ids = [line.split(",") for line in c["upload_csv"].strip().splitlines()[1:]]
            assert [sorted(x) for x in ids] == [sorted(lu["driver_ids"]) for lu in c["lineups"]]
    assert all(c["upload_csv"] is None or c["upload_csv"].startswith("D,D,D,D,D,D") for c in rows)
    # the day's overlap rule: lineups of different contests share at most 4 drivers, counted here
    assert doc["max_overlap_day"] == 4
    assert rows[0]["entries"] and rows[1]["entries"], "both contests entered, so the pair count below is not empty"
    shared = [len(set(a["driver_ids"]) & set(b["driver_ids"])) for a in rows[0]["lineups"] for b in rows[1]["lineups"]]
    assert max(shared) <= 4
    assert doc["overlap_across_contests"] == max(shared)
    # the race it planned for, as /optimize names it (the demo export's Game Info: Kansas Speedway 09/27/2026)
    assert (doc["race"]["track"], doc["race"]["date"], doc["race"]["season"]) == ("Kansas Speedway", "2026-09-27", 2026)


def test_plan_bad_requests(client: httpx.Client, slate_id: str) -> None:
    r = client.post("/plan", json={"slate_id": "nope", "contests": DAY, "bankroll": 100})
    assert r.status_code == 404, r.text
    bad = [dict(DAY[0], max_entries=300), DAY[1]]
    r = client.post("/plan", json={"slate_id": slate_id, "contests": bad, "bankroll": 100})
    assert r.status_code == 422 and "max_entries" in r.text
    r = client.post("/plan", json={"slate_id": slate_id, "contests": DAY, "bankroll": 100, "max_stake": 1.5})
    assert r.status_code == 422 and "max_stake" in r.text
