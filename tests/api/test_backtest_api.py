"""POST /backtest: the backtest as a job against the real server. Its result is the very JSON
``tailrace backtest --json`` writes for the same history and options (compared key for key,
timings aside); bad requests are refused before queueing, each problem naming its field."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from _tinyhistory import history_csv, tiny_history

pytestmark = pytest.mark.service

SMALL = {"methods": ["marginal", "hvz"], "n_lineups": 2, "n_scenarios": 300, "field_size": 200,
         "cash_field_size": 40, "field_draws": 2, "min_history_races": 10, "params_refit_every": 2}
CLI_SMALL = ["--methods", "marginal,hvz", "--lineups", "2", "--scenarios", "300", "--field-size", "200",
             "--cash-field-size", "40", "--field-draws", "2", "--min-history", "10", "--params-refit-every", "2"]


def _wait(c: httpx.Client, jid: str, timeout: float = 600.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = c.get(f"/jobs/{jid}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"backtest job {jid} not finished after {timeout} s: {job}")


def _timeless(doc: dict) -> dict:
    """The document without wall-clock seconds and the history's label (a path on the CLI, the
    upload's name on the API)."""
    d = {k: v for k, v in doc.items() if k not in ("seconds", "history")}
    d["races"] = [{k: v for k, v in r.items() if k != "seconds"} for r in doc["races"]]
    return d


@pytest.fixture(scope="module")
def tiny(client: httpx.Client) -> tuple[str, str]:
    text = history_csv(tiny_history())
    r = client.post("/histories", files={"history": ("tiny.csv", text.encode())})
    assert r.status_code == 201, r.text
    return r.json()["history_id"], text


def test_backtest_job_returns_the_cli_json(client: httpx.Client, tiny: tuple[str, str], tmp_path: Path) -> None:
    from tailrace.cli import main

    hid, text = tiny
    r = client.post("/backtest", json={"history_id": hid, "synthetic_salaries": True, "seasons": [2020], **SMALL})
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "backtest"
    job = _wait(client, r.json()["job_id"])
    assert job["state"] == "done", job["error"]
    doc = job["result"]
    # races 11 and 12 have 10 and 11 complete races before them; 1..10 too few
    assert [(x["season"], x["race_num"]) for x in doc["races"]] == [(2020, 11), (2020, 12)]
    assert len(doc["skipped"]) == 10 and doc["skipped"][0]["reason"].startswith("only 0 complete races before it")
    assert set(doc["pooled"]) == {"synthetic"} and all(x["salaries"] == "synthetic" for x in doc["races"])
    for x in doc["races"]:  # one fit, on races 1..10, for both
        assert x["params_fitted_through"] == [2020, 10] and not x["params_in_sample"]
    assert "field draws only" in doc["se_notes"]["race"]
    # the CLI on the same file and options writes the same document
    path, out = tmp_path / "tiny.csv", tmp_path / "bt.json"
    path.write_text(text)
    assert main(["backtest", "--synthetic-salaries", "--seasons", "2020", "--history", str(path), *CLI_SMALL,
                 "--json", str(out)]) == 0
    assert _timeless(doc) == _timeless(json.loads(out.read_text()))


def _detail(r: httpx.Response) -> str:
    return json.dumps(r.json())


def test_bad_backtest_requests_name_the_field(client: httpx.Client, tiny: tuple[str, str]) -> None:
    hid, _ = tiny
    base = {"history_id": hid, **SMALL}
    r = client.post("/backtest", json={**base, "history_id": "hi_nope"} | {"synthetic_salaries": True,
                                                                           "seasons": [2020]})
    assert r.status_code == 404
    r = client.post("/backtest", json=base)
    assert r.status_code == 422 and "nothing to backtest" in _detail(r) and "slates" in _detail(r)
    r = client.post("/backtest", json={**base, "synthetic_salaries": True})
    assert r.status_code == 422 and "needs seasons" in _detail(r)
    r = client.post("/backtest", json={**base, "synthetic_salaries": True, "seasons": [2020], "n_scenarios": 50_000})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "n_scenarios"
    r = client.post("/backtest", json={**base, "synthetic_salaries": True, "seasons": [1999]})
    assert r.status_code == 422
    d = r.json()["detail"][0]
    assert d["field"] == "seasons" and "1999" in d["msg"] and "2020" in d["fix"]
    slate = {"season": 2020, "race_num": 11, "file_name": "week 11.csv", "salaries": "Name,Salary\nA,abc\n"}
    r = client.post("/backtest", json={**base, "slates": [slate, {**slate, "race_num": 40}]})
    assert r.status_code == 422
    fields = [d["field"] or "" for d in r.json()["detail"]]
    assert any(f.startswith("slates[0].salaries") for f in fields) and "slates[1].race_num" in fields
    assert "tailrace-backtest" not in r.text  # no server path in a message
    r = client.post("/backtest", json={**base, "slates": [slate] * 41})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "slates"
