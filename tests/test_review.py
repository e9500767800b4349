"""`tailrace review`: lineups placed in real standings (brute force), and end to end on the real
2023 Phoenix DraftKings slate with a hand-made standings file of real DraftKings points."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tailrace.contest.payouts import PayoutTable
from tailrace.review import place_lineups

from conftest import REAL_SLATES

PHOENIX = REAL_SLATES / "dk_2023_r04_phoenix.csv"


def test_place_lineups_against_a_brute_force() -> None:
    rng = np.random.default_rng(3)
    prizes = PayoutTable(np.array([50.0, 30.0, 20.0, 10.0, 10.0, 5.0, 5.0, 5.0]))
    for _ in range(30):
        field = rng.integers(0, 12, 25) * 0.25 + rng.choice([0.0, 1e-12], 25)  # many ties; float noise below a cent
        ours = rng.integers(0, 12, 4) * 0.25
        rank, tied, pay = place_lineups(field, ours, prizes)
        everyone = [(p, "f", k) for k, p in enumerate(field)] + [(p, "o", k) for k, p in enumerate(ours)]
        for k, p in enumerate(ours):
            above = sum(1 for q, *_ in everyone if round(q, 2) > round(p, 2))
            same = sum(1 for q, *_ in everyone if round(q, 2) == round(p, 2))
            places = range(above + 1, above + same + 1)  # the places the tied entries cover
            prize = sum(prizes.prizes[r - 1] for r in places if r <= prizes.n_paid) / same
            assert (rank[k], tied[k]) == (above + 1, same)
            assert pay[k] == pytest.approx(round(prize, 2), abs=1e-9)


# ---------------------------------------------------------------------------- Phoenix, 2023 race 4


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory, shared_results_path: Path):
    if not PHOENIX.exists():
        pytest.skip(f"real DraftKings slate not found at {PHOENIX}")
    d = tmp_path_factory.mktemp("review")
    res = [r for r in csv.DictReader(shared_results_path.open(newline="", encoding="utf-8"))
           if r["season"] == "2023" and r["race_num"] == "4"]
    real = {r["driver"]: float(r["dk_points"]) for r in res}
    start = {r["driver"]: int(r["start"]) for r in res}
    sal = list(csv.DictReader(PHOENIX.open(newline="", encoding="utf-8-sig")))
    ids = {r["Name"]: r["ID"] for r in sal}
    # DraftKings' names differ from the results' (Martin Truex Jr / Martin Truex Jr., AJ / A.J.)
    from tailrace.slate import match_names

    to_res = {m.query: list(real)[m.index] for m in match_names(list(ids), list(real))}
    assert None not in to_res.values() and len(to_res) == 36
    with (d / "proj.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "start", "projection"])
        for r in sal:
            w.writerow([r["Name"], start[to_res[r["Name"]]], r["AvgPointsPerGame"]])

    A = ["Kyle Larson", "William Byron", "Chase Briscoe", "Ryan Preece", "Ricky Stenhouse Jr.", "Ty Dillon"]
    B = ["Kevin Harvick", "Tyler Reddick", "Christopher Bell", "Josh Berry", "Austin Dillon", "Noah Gragson"]
    C = ["Denny Hamlin", "Ross Chastain", "Joey Logano", "Ty Gibbs", "Harrison Burton", "B.J. McLeod"]
    E1 = ["Kyle Larson", "William Byron", "Kevin Harvick", "Chase Briscoe", "Tyler Reddick", "Ryan Preece"]
    E3 = ["William Byron", "Kevin Harvick", "Chase Briscoe", "Tyler Reddick", "Ryan Blaney", "Christopher Bell"]
    E4 = ["Alex Bowman", "Ryan Preece", "Josh Berry", "Austin Dillon", "Kyle Busch", "Joey Logano"]
    E6 = ["Denny Hamlin", "Ross Chastain", "Ty Gibbs", "Harrison Burton", "B.J. McLeod", "Cody Ware"]

    def cell(names: list[str]) -> str:
        return " ".join(f"D {n}" for n in names)

    def pts(names: list[str]) -> str:
        return f"{sum(real[n] for n in names):.2f}"

    # the contest as DraftKings ranks it: us ("me") with A, B, C, and six other entries
    left = [["1", "501", "whale (1/2)", "0", pts(E1), cell(E1)],
            ["2", "502", "bob", "0", pts(E3), cell(E3)],
            ["3", "503", "whale (2/2)", "0", pts(A), cell(A)],
            ["3", "504", "me (1/3)", "0", pts(A), cell(A)],
            ["5", "505", "me (2/3)", "0", pts(B), cell(B)],
            ["6", "506", "carol", "0", pts(E4), cell(E4)],
            ["7", "507", "me (3/3)", "0", pts(C), cell(C)],
            ["8", "508", "erin", "0", pts(E6), cell(E6)],
            ["9", "509", "dave", "0", "0", ""]]
    drafted = {"Kyle Larson": "60.00%", "William Byron": "50.00%", "Kevin Harvick": "40.00%",
               "Chase Briscoe": "30.00%", "Tyler Reddick": "20.00%", "Ryan Preece": "10.00%", "Denny Hamlin": "30.00%"}
    right = [[n, "D", drafted.get(n, "0.00%"), f"{p:.2f}"] for n, p in real.items()]  # all 36: longer than the entries
    with (d / "standings.csv").open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["Rank", "EntryId", "EntryName", "TimeRemaining", "Points", "Lineup", "", "Player",
                    "Roster Position", "%Drafted", "FPTS"])
        for k in range(max(len(left), len(right))):
            w.writerow((left[k] if k < len(left) else [""] * 6) + [""] + (right[k] if k < len(right) else [""] * 4))
    with (d / "upload.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["D"] * 6)
        for lu in (A, B, C):
            w.writerow([ids[next(k for k, v in to_res.items() if v == n)] for n in lu])
    (d / "payouts.csv").write_text("place,prize\n1,30\n2,20\n3,12\n4,8\n5,6\n6,4\n")
    # projected ownership: 100 % on each of E1's six drivers (sums to 600, so it is not rescaled)
    (d / "own.csv").write_text("name,ownership\n" + "".join(f"{n},100\n" for n in E1))
    return d


def run(d: Path, *extra: str) -> tuple[int, dict]:
    from tailrace.cli import main

    args = ["review", "--site", "dk", "--salaries", str(PHOENIX), "--projections", str(d / "proj.csv"),
            "--track", "Phoenix", "--standings", str(d / "standings.csv"), "--entry-fee", "10",
            "--json", str(d / "review.json"), *extra]
    code = main(args)
    return code, (json.loads((d / "review.json").read_text()) if code == 0 else {})


@pytest.mark.shared_data
def test_phoenix_review_by_hand(phoenix: Path) -> None:
    code, r = run(phoenix, "--portfolio", str(phoenix / "upload.csv"), "--user", "me", "--payouts",
                  str(phoenix / "payouts.csv"), "--ownership", str(phoenix / "own.csv"), "--plots", str(phoenix / "plots"))
    assert code == 0
    # Real DK points (2023 race 4): A = Larson 111.55 + Byron 84.15 + Briscoe 58.05 + Preece 44.00
    # + Stenhouse 32.05 + Ty Dillon 17.00 = 346.80; B = Harvick 80.05 + Reddick 56.75 + Bell 45.55 + Berry 42.35
    # + A. Dillon 41.00 + Gragson 16.45 = 282.15; C = Hamlin 3.85 + Chastain 3.40 + Logano 37.90 + Gibbs 0.90
    # - Burton 1.55 + McLeod 2.00 = 46.50. Field without "me": 434.55, 377.50, 346.80 (whale's copy of A),
    # 248.50, 17.60, 0. So A ties whale at places 3-4: (12 + 8) / 2 = 10; B is 5th: 6; C is 7th: 0.
    assert [x["points"] for x in r["lineups"]] == [346.80, 282.15, 46.50]
    assert [(x["rank"], x["tied"]) for x in r["lineups"]] == [(3, 2), (5, 1), (7, 1)]
    assert [x["payout"] for x in r["lineups"]] == [10.0, 6.0, 0.0]
    assert (r["fees"], r["won"], r["profit"], r["cashed"], r["best_rank"]) == (30.0, 16.0, -14.0, 2, 3)
    assert r["roi"] == pytest.approx(-14 / 30)
    c = r["contest"]
    assert (c["n_entries"], c["n_field"], c["n_removed"]) == (9, 6, 3)
    assert (c["winning_points"], c["cash_line"]) == (434.55, 248.50)  # 6th place, the last paid
    # ownership: modelled 100 on E1's six, real 60/50/40/30/20/10 there and Hamlin 30: |error| sums to
    # 40+50+60+70+80+90+30 = 420 over the 36 drivers
    assert r["ownership"]["mae"] == pytest.approx(420 / 36)
    by = {x["name"]: x for x in r["ownership"]["drivers"]}
    assert by["Kyle Larson"]["error"] == pytest.approx(40.0) and by["Denny Hamlin"]["error"] == pytest.approx(-30.0)
    assert by["Harrison Burton"]["fpts"] == -1.55
    assert sorted(p.name for p in (phoenix / "plots").iterdir()) == ["ownership.png", "standings.png"]
    assert (phoenix / "plots" / "ownership.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.shared_data
def test_phoenix_users_entries_are_the_default_portfolio(phoenix: Path) -> None:
    code, r = run(phoenix, "--user", "ME", "--payouts", str(phoenix / "payouts.csv"))
    assert code == 0
    assert [x["points"] for x in r["lineups"]] == [346.80, 282.15, 46.50] and r["won"] == 16.0
    # ownership modelled from the projections' points (the field model, as `tailrace contest` uses)
    mod = np.array([x["modelled"] for x in r["ownership"]["drivers"]])
    real = np.array([x["real"] for x in r["ownership"]["drivers"]])
    assert mod.sum() == pytest.approx(600.0) and r["ownership"]["mae"] == pytest.approx(np.abs(mod - real).mean())


@pytest.mark.shared_data
def test_phoenix_without_user_counts_the_copies(phoenix: Path, capsys) -> None:
    # the portfolio placed as three more entries (12 in all): each lineup ties with its own entry
    code, r = run(phoenix, "--portfolio", str(phoenix / "upload.csv"), "--payouts", str(phoenix / "payouts.csv"))
    assert code == 0
    # A ties whale's copy and its own (places 3-5): (12 + 8 + 6) / 3 = 8.67; B ties its own at places 6-7:
    # (4 + 0) / 2 = 2; carol's 248.50 is 8th, so C and its copy share places 9-10: 0
    assert [(x["rank"], x["tied"]) for x in r["lineups"]] == [(3, 3), (6, 2), (9, 2)]
    assert [x["payout"] for x in r["lineups"]] == [8.67, 2.0, 0.0]
    assert any("counted twice" in w for w in r["warnings"])
    assert "counted twice" in capsys.readouterr().err


@pytest.mark.shared_data
def test_phoenix_parametric_payouts_use_the_contest_size(phoenix: Path) -> None:
    from tailrace.contest import parametric_payouts

    code, r = run(phoenix, "--user", "me", "--rake", "0.1")
    assert code == 0
    table = parametric_payouts(10.0, 9, 0.1)  # 6 others + our 3
    assert r["contest"]["payouts"]["total"] == pytest.approx(81.0) == pytest.approx(table.total)


@pytest.mark.shared_data
def test_review_errors(phoenix: Path, capsys) -> None:
    code, _ = run(phoenix, "--user", "nobodyy")
    err = capsys.readouterr().err
    assert code == 2 and "no entry with a lineup by user 'nobodyy'" in err and "field 'EntryName'" in err
    code, _ = run(phoenix)
    assert code == 2 and "field '--portfolio'" in capsys.readouterr().err


@pytest.mark.shared_data
@pytest.mark.slow  # fits strengths and simulates twice: ~25 s of CPU
def test_phoenix_ownership_from_simulated_means(phoenix: Path) -> None:
    # projections with starts only: the field model is fed the simulated mean points, as `tailrace contest` does
    rows = list(csv.reader((phoenix / "proj.csv").open(newline="")))
    (phoenix / "starts.csv").write_text("\n".join(f"{r[0]},{r[1]}" for r in rows) + "\n")
    from tailrace.cli import main

    args = ["review", "--site", "dk", "--salaries", str(PHOENIX), "--projections", str(phoenix / "starts.csv"),
            "--track", "Phoenix", "--standings", str(phoenix / "standings.csv"), "--user", "me",
            "--n-scenarios", "200", "--seed", "5", "--json", str(phoenix / "sim.json")]
    assert main(args) == 0
    first = (phoenix / "sim.json").read_bytes()
    mod = np.array([x["modelled"] for x in json.loads(first)["ownership"]["drivers"]])
    assert mod.sum() == pytest.approx(600.0) and mod.max() <= 80.0 + 1e-9
    assert main(args) == 0 and (phoenix / "sim.json").read_bytes() == first  # same inputs and seed, same bytes


# ---------------------------------------------------------------------------- POST /review


@pytest.fixture()
def api(tmp_path: Path):
    from fastapi.testclient import TestClient

    from tailrace.api.app import create_app
    from tailrace.api.settings import Settings

    with TestClient(create_app(Settings(data_dir=tmp_path / "data", sync_time_limit=600))) as c:
        yield c


def _phoenix_slate_id(api, d: Path) -> str:
    r = api.post("/slates", data={"site": "dk", "track": "Phoenix"},
                 files={"salaries": (PHOENIX.name, PHOENIX.read_bytes()),
                        "projections": ("proj.csv", (d / "proj.csv").read_bytes())})
    assert r.status_code == 201, r.text
    return r.json()["slate_id"]


@pytest.mark.shared_data
def test_review_endpoint_equals_the_cli_json(phoenix: Path, api) -> None:
    code, cli = run(phoenix, "--portfolio", str(phoenix / "upload.csv"), "--user", "me", "--payouts",
                    str(phoenix / "payouts.csv"))
    assert code == 0
    sid = _phoenix_slate_id(api, phoenix)
    lineups = [r for r in csv.reader((phoenix / "upload.csv").open(newline=""))][1:]
    prizes = [30, 20, 12, 8, 6, 4]  # payouts.csv, place by place
    body = {"slate_id": sid, "standings": (phoenix / "standings.csv").read_text(encoding="utf-8-sig"),
            "lineups": lineups, "user": "me", "entry_fee": 10,
            "payouts": [{"min_rank": k + 1, "max_rank": k + 1, "prize": p} for k, p in enumerate(prizes)]}
    r = api.post("/review", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["standings"].pop("file") == "standings.csv"
    cli["standings"].pop("file")
    assert got["contest"]["payouts"].pop("source") is not None and cli["contest"]["payouts"].pop("source")
    assert got == cli
    # and the hand calculation of test_phoenix_review_by_hand
    assert [x["payout"] for x in got["lineups"]] == [10.0, 6.0, 0.0] and got["won"] == 16.0


@pytest.mark.shared_data
def test_review_endpoint_names_the_bad_row(phoenix: Path, api) -> None:
    sid = _phoenix_slate_id(api, phoenix)
    lines = (phoenix / "standings.csv").read_text(encoding="utf-8-sig").splitlines()
    cells = next(csv.reader([lines[2]]))
    cells[4] = "lots"  # Points of the second entry (file row 3)
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    lines[2] = buf.getvalue()
    r = api.post("/review", json={"slate_id": sid, "standings": "\n".join(lines) + "\n", "user": "me",
                                  "standings_name": "contest-standings.csv"})
    assert r.status_code == 422, r.text
    (d,) = r.json()["detail"]
    assert d["row"] == 3 and d["field"] == "Points" and "contest-standings.csv" in d["file"]
    assert "Traceback" not in r.text
    r = api.post("/review", json={"slate_id": sid, "standings": "x", "lineups": [["1", "2"]], "bogus": 1})
    assert r.status_code == 422 and "bogus" in r.text


@pytest.mark.shared_data
def test_review_endpoint_refuses_what_the_cli_refuses(phoenix: Path, api) -> None:
    """A driver twice in a lineup, no lineups at all, and a parametric table the library cannot
    build (fee 0, no payouts) are 422s naming the request's own fields, as the CLI refuses them."""
    sid = _phoenix_slate_id(api, phoenix)
    standings = (phoenix / "standings.csv").read_text(encoding="utf-8-sig")
    lu = next(r for r in csv.reader((phoenix / "upload.csv").open(newline="")) if r and r[0].isdigit())
    twice = [lu[0]] * 2 + lu[2:]
    r = api.post("/review", json={"slate_id": sid, "standings": standings, "lineups": [lu, twice]})
    assert r.status_code == 422, r.text
    assert [d["field"] for d in r.json()["detail"]] == ["lineups[1]"] and "twice" in r.text
    r = api.post("/review", json={"slate_id": sid, "standings": standings, "lineups": []})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "lineups", r.text
    r = api.post("/review", json={"slate_id": sid, "standings": standings, "lineups": [lu], "entry_fee": 0})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "entry_fee" and "Traceback" not in r.text
