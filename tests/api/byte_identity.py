"""Post the same requests through TestClient and print the masked answers (not a test: a tool).

Run it against two versions of the code and diff the outputs, e.g.::

    PYTHONPATH=/old/src python tests/api/byte_identity.py > old.jsonl
    PYTHONPATH=src      python tests/api/byte_identity.py > new.jsonl
    diff old.jsonl new.jsonl

Every answer is one line: the request, the status and the JSON body with wall-clock fields
(``timings``, ``seconds``, job times) and job ids masked; the OpenAPI document comes last.
Each run uses a fresh data directory, so the scenario cache hits and misses the same way.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

MASK = {"timings", "seconds", "created", "started", "finished", "job_id", "url",
        "disk_bytes"}  # disk_bytes: varies by a few bytes between runs of the same code


def masked(x):
    if isinstance(x, dict):
        return {k: ("<masked>" if k in MASK or (k == "id" and str(v).startswith("job_")) else masked(v))
                for k, v in x.items()}
    if isinstance(x, list):
        return [masked(v) for v in x]
    return x


def standings_text(drivers: list[dict], lineups: list[list[str]]) -> str:
    """A DraftKings standings file: our lineups and two others, with made-up points per driver."""
    pts = {d["name"]: round(60.0 - 3.1 * k, 2) for k, d in enumerate(drivers)}
    by_id = {d["id"]: d["name"] for d in drivers}
    others = [[d["name"] for d in drivers[k:k + 6]] for k in (1, 5)]
    entries = [("me", [by_id[i] for i in lu]) for lu in lineups] + [("bob", others[0]), ("carol", others[1])]
    entries.sort(key=lambda e: -sum(pts[n] for n in e[1]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Rank", "EntryId", "EntryName", "TimeRemaining", "Points", "Lineup", "", "Player",
                "Roster Position", "%Drafted", "FPTS"])
    right = [[d["name"], "D", f"{10.0 + k:.2f}%", f"{pts[d['name']]:.2f}"] for k, d in enumerate(drivers)]
    left = [[str(k + 1), str(900 + k), name, "0", f"{sum(pts[n] for n in lu):.2f}", " ".join(f"D {n}" for n in lu)]
            for k, (name, lu) in enumerate(entries)]
    for k in range(max(len(left), len(right))):
        w.writerow((left[k] if k < len(left) else [""] * 6) + [""] + (right[k] if k < len(right) else [""] * 4))
    return buf.getvalue()


def main() -> None:
    from fastapi.testclient import TestClient

    from conftest import small_demo_files
    from tailrace.api.app import create_app
    from tailrace.api.settings import Settings

    out = sys.stdout

    def say(what: str, r) -> dict:
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text
        out.write(json.dumps({"request": what, "status": r.status_code, "body": masked(body)}) + "\n")
        return body

    def wait(c, jid: str) -> object:
        end = time.monotonic() + 600
        while time.monotonic() < end:
            r = c.get(f"/jobs/{jid}")
            if r.json()["state"] in ("done", "failed", "cancelled"):
                return r
            time.sleep(0.2)
        raise SystemExit(f"job {jid} did not finish")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", sync_time_limit=600, explain_binding_limit=2)
        with TestClient(create_app(settings)) as c:
            sal, proj = small_demo_files()
            s = say("POST /slates multipart", c.post("/slates", data={"site": "dk"},
                                                     files={"salaries": ("DKSalaries.csv", sal),
                                                            "projections": ("proj.csv", proj)}))
            sid = s["slate_id"]
            say("GET /slates/{id}", c.get(f"/slates/{sid}"))
            keep = ("id", "name", "salary", "start", "projection")
            js = {"site": "dk", "track": "Kansas", "drivers": [{k: d[k] for k in keep} for d in s["drivers"]]}
            say("POST /slates json", c.post("/slates", json=js))
            say("POST /simulate", c.post("/simulate", json={"slate_id": sid, "n_scenarios": 400, "seed": 3}))
            say("POST /simulate again (cache hit)", c.post("/simulate", json={"slate_id": sid, "n_scenarios": 400,
                                                                               "seed": 3}))
            say("POST /simulate bad", c.post("/simulate", json={"slate_id": sid, "n_scenarios": 400,
                                                                 "strengths": [0.0]}))
            opt = say("POST /optimize classic", c.post("/optimize", json={
                "slate_id": sid, "n_scenarios": 400, "seed": 3, "n_lineups": 3, "include_explain": True,
                "include_tail_validation": True, "include_distributions": True, "validation_scenarios": 300}))
            say("POST /optimize inline slate", c.post("/optimize", json={"slate": js, "n_scenarios": 300, "seed": 5,
                                                                         "n_lineups": 2}))
            say("POST /optimize contest", c.post("/optimize", json={
                "slate_id": sid, "n_scenarios": 300, "seed": 4, "n_lineups": 2, "mode": "contest",
                "contest": {"field_size": 200, "entry_fee": 5}}))
            say("POST /optimize infeasible", c.post("/optimize", json={
                "slate_id": sid, "n_scenarios": 300, "seed": 4, "n_lineups": 2,
                "spec": {"global_max_exposure": 0.1}}))
            r = c.post("/optimize?async=true", json={"slate_id": sid, "n_scenarios": 300, "seed": 6, "n_lineups": 2})
            say("POST /optimize async", r)
            say("GET /jobs/{id} optimize", wait(c, r.json()["job_id"]))
            pid = opt["portfolio_id"]
            say("GET /portfolios/{id}", c.get(f"/portfolios/{pid}"))
            say("GET /portfolios/{id}/export", c.get(f"/portfolios/{pid}/export"))
            say("POST /contest", c.post("/contest", json={"portfolio_id": pid, "n_scenarios": 300, "seed": 2,
                                                           "contest": {"field_size": 150, "entry_fee": 3}}))
            r = c.post("/plan", json={"slate_id": sid, "n_scenarios": 300, "seed": 4, "bankroll": 100,
                                      "max_stake": 0.25,
                                      "contests": [{"name": "GPP", "kind": "gpp", "entry_fee": 5, "field_size": 300,
                                                    "max_entries": 2}]})
            say("POST /plan", r)
            say("GET /jobs/{id} plan", wait(c, r.json()["job_id"]))
            text = standings_text(s["drivers"], opt["portfolio"]["lineups"] if "portfolio" in opt
                                  else [lu["driver_ids"] for lu in opt["lineups"]])
            say("POST /review", c.post("/review", json={"slate_id": sid, "standings": text, "user": "me",
                                                         "entry_fee": 10}))
            say("POST /review bad", c.post("/review", json={"slate_id": sid, "standings": text}))
            from _tinyhistory import history_csv, tiny_history

            h = say("POST /histories", c.post("/histories", files={"history": ("tiny.csv",
                                                                                history_csv(tiny_history()).encode())}))
            say("GET /histories/{id}", c.get(f"/histories/{h['history_id']}"))
            r = c.post("/backtest", json={"history_id": h["history_id"], "synthetic_salaries": True, "seasons": [2020],
                                          "methods": ["marginal"], "n_lineups": 2, "n_scenarios": 200,
                                          "field_size": 100, "cash_field_size": 40, "field_draws": 2,
                                          "min_history_races": 10, "params_refit_every": 2})
            say("POST /backtest", r)
            say("GET /jobs/{id} backtest", wait(c, r.json()["job_id"]))
            say("GET /health", c.get("/health"))
            say("GET /openapi.json", c.get("/openapi.json"))


if __name__ == "__main__":
    main()
