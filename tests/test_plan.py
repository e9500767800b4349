"""The contest-day plan: the contests file, the multi-contest DKEntries file, the payout arrays
behind the allocation, and `tailrace plan` end to end on the demo slate (small)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.contest import make_contest, run_contest, scenario_payouts
from tailrace.errors import InputError
from tailrace.export import (DayEntries, contest_entry_counts, dk_entry_rows, fill_dk_entries_by_contest_text,
                             read_upload_text)
from tailrace.plan.contests import parse_contests, read_contests
from tailrace.slate import demo_paths, demo_slate

DEMO = Path(demo_paths()[0]).parent


def _lineups(slate, k, seed):
    rng = np.random.default_rng(seed)
    sal = slate.salaries()
    out = []
    while len(out) < k:
        lu = tuple(sorted(rng.choice(slate.n, 6, replace=False).tolist()))
        if sal[list(lu)].sum() <= 50_000 and lu not in out:
            out.append(lu)
    return out


# ---------------------------------------------------------------------------- the contests file


def test_demo_contests_file_reads():
    day = read_contests(DEMO / "contests.yaml")
    assert [(c.kind, c.entry_fee, c.field_size, c.max_entries) for c in day] == [
        ("gpp", 5.0, 11890, 20), ("double-up", 10.0, 200, 3)]
    assert day[1].payouts == "double-up" and day[1].cash and day[0].payouts is None
    assert day[0].contest_id == "170000001" and day[0].max_exposure == 0.6


def test_contests_file_errors_name_row_and_field(tmp_path):
    data = {"contests": [
        {"name": "A", "kind": "gpp", "entry_fee": 5, "field_size": 100, "max_entries": 200},
        {"name": "A", "kind": "nope.csv", "entry_fee": -1, "field_size": 10, "max_entries": 3, "colour": 1},
    ]}
    with pytest.raises(InputError) as ei:
        parse_contests(data, "day.yaml", base_dir=tmp_path)
    msg = str(ei.value)
    for bit in ("row 1", "contests[0].max_entries", "row 2", "contests[1].name", "used twice",
                "contests[1].kind", "contests[1].entry_fee", "contests[1].colour"):
        assert bit in msg, bit
    with pytest.raises(InputError, match="no 'contests' list"):
        parse_contests({"contest": []}, "day.yaml")
    (tmp_path / "pay.csv").write_text("rank,prize\n1,100\n")
    day = parse_contests({"contests": [{"name": "F", "kind": "pay.csv", "entry_fee": 2, "field_size": 60,
                                        "max_entries": 5}]}, "d.yaml", base_dir=tmp_path)
    assert day[0].kind == "payouts file" and day[0].payouts == str(tmp_path / "pay.csv")
    # a contest's own ownership file, relative to the contests file; a missing one is named
    (tmp_path / "own.csv").write_text("name,ownership\nRiley Marchetti,40\n")
    (tmp_path / "day.yaml").write_text("contests:\n  - {name: G, entry_fee: 5, field_size: 100, max_entries: 2, "
                                       "ownership: own.csv}\n  - {name: H, entry_fee: 5, field_size: 100, "
                                       "max_entries: 2, ownership: gone.csv}\n")
    with pytest.raises(InputError) as ei:
        read_contests(tmp_path / "day.yaml")
    assert "row 2" in str(ei.value) and "contests[1].ownership" in str(ei.value) and "gone.csv" in str(ei.value)
    (tmp_path / "day.yaml").write_text("contests:\n  - {name: G, entry_fee: 5, field_size: 100, max_entries: 2, "
                                       "ownership: own.csv}\n")
    assert read_contests(tmp_path / "day.yaml")[0].ownership == str(tmp_path / "own.csv")


# ---------------------------------------------------------------------------- DKEntries, several contests


def test_dk_entries_with_two_contests_round_trips():
    slate = demo_slate()
    text = (DEMO / "DKEntries_day.csv").read_text()
    gpp = DayEntries("NASCAR $50K Kansas Crown Jewel [$10K to 1st]", None, _lineups(slate, 7, 1))
    du = DayEntries("x", "170000002", _lineups(slate, 3, 2))  # matched by Contest ID, the name ignored
    assert contest_entry_counts(text, [gpp, du]) == [20, 3]
    filled, notes = fill_dk_entries_by_contest_text(text, [gpp, du], slate)
    assert len(notes) == 1 and "13 of its 20 entries" in notes[0]
    # every row's lineup read back by its contest: the GPP's first 7 rows, the double-up's 3
    rows = dk_entry_rows(filled)
    back = read_upload_text(filled, slate)
    assert back == [tuple(sorted(x)) for x in gpp.lineups] + [tuple(sorted(x)) for x in du.lineups]
    filled_rows = [r for r in rows if r[2] == "170000001"][:7] + [r for r in rows if r[2] == "170000002"]
    assert len(filled_rows) == 10
    # every other line is kept as it was (instructions, player pool, the 13 empty GPP rows)
    a, b = text.splitlines(), filled.splitlines()
    assert len(a) == len(b)
    changed = [k for k, (x, y) in enumerate(zip(a, b)) if x != y]
    assert changed == [1 + k for k in range(7)] + [21, 22, 23]
    with pytest.raises(InputError, match="has 4 lineups but the entries file has 3 entries"):
        fill_dk_entries_by_contest_text(text, [DayEntries("x", "170000002", _lineups(slate, 4, 3))], slate)


# ---------------------------------------------------------------------------- the payout arrays


def test_scenario_payouts_agree_with_the_contest_simulator():
    slate = demo_slate()
    rng = np.random.default_rng(5)
    pts = rng.gamma(2.0, 12.0, (300, slate.n)).astype(np.float32)
    c = make_contest(slate.salaries(), 6, 50_000, entry_fee=4.0, field_size=150, rng=1)
    lus = np.array(_lineups(slate, 4, 9))
    pay, above, n = scenario_payouts(c, pts, lus)
    assert n == 150
    np.testing.assert_allclose(pay.sum(axis=1) - 4 * 4.0, run_contest(c, pts, lus).profit, rtol=0, atol=1e-9)
    # alone: each column is that lineup entered by itself
    pay1, _, n1 = scenario_payouts(c, pts, lus, alone=True)
    assert n1 == 150
    for j in range(4):
        np.testing.assert_allclose(pay1[:, j], run_contest(c, pts, lus[j:j + 1]).profit + 4.0, atol=1e-9)


# ---------------------------------------------------------------------------- the command


def _day(tmp_path):
    (tmp_path / "day.yaml").write_text(
        "contests:\n"
        "  - {name: 'NASCAR $50K Kansas Crown Jewel [$10K to 1st]', contest_id: '170000001', kind: gpp,\n"
        "     entry_fee: 5, field_size: 300, max_entries: 3}\n"
        "  - {name: 'NASCAR $10 Double Up', kind: double-up, entry_fee: 10, field_size: 40, max_entries: 2}\n")
    return tmp_path / "day.yaml"


def _args(tmp_path, *extra):
    sal, proj = demo_paths()
    return ["plan", "--salaries", str(sal), "--projections", str(proj), "--contests", str(_day(tmp_path)),
            "--bankroll", "100", "--max-stake", "0.25", "--n-scenarios", "300", "--contest-cap", "1", *extra]


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    d = tmp_path_factory.mktemp("plan")
    rc = main(_args(d, "--out", str(d / "out"), "--json", str(d / "plan.json"), "--entries",
                    str(DEMO / "DKEntries_day.csv")))
    return rc, d


def test_plan_command_end_to_end(planned):
    rc, d = planned
    assert rc == 0
    res = json.loads((d / "plan.json").read_text())
    rows = res["contests"]
    fees = [5.0, 10.0]
    # stake is the entries times the fees, within the cap
    assert res["stake"] == pytest.approx(sum(r["entries"] * f for r, f in zip(rows, fees)))
    assert res["stake"] <= 0.25 * 100 + 1e-9
    assert [r["entries"] for r in rows] == list(res["allocation"]["entries"].values())
    # each entered contest's upload holds its lineups, and the filled DKEntries holds them all, per contest
    slate = demo_slate()
    filled = (d / "out" / "DKEntries_filled.csv").read_text()
    per_row = {r[0]: r for r in dk_entry_rows(filled)}
    assert per_row
    back = read_upload_text(filled, slate) if res["entries"] else []
    want = []
    for i, r in enumerate(rows, start=1):
        lus = [tuple(sorted(slate.index_of(x) for x in lu["driver_ids"])) for lu in r["lineups"]]
        assert len(lus) == r["entries"]
        if lus:
            up = list((d / "out").glob(f"{i:02d}_*.csv"))
            assert len(up) == 1 and read_upload_text(up[0].read_text(), slate) == lus
        want += lus
    assert back == want
    # the day's figures are on the report set; its profit quantiles are ordered
    assert res["scenarios"]["report"]["seed"] == 3 and res["scenarios"]["allocate"]["seed"] == 2
    q = list(res["day"]["profit_quantiles"].values())
    assert q == sorted(q)
    if res["stake"]:
        assert -res["stake"] - 1e-9 <= res["day"]["profit_cvar"] <= res["day"]["expected_profit"]
        assert 0 <= res["day"]["p_loss"] <= 1


def test_plan_bad_input_exits_2_without_work(tmp_path, capsys):
    assert main(_args(tmp_path, "--max-stake", "1.5")) == 2
    assert "--max-stake" in capsys.readouterr().err
    (tmp_path / "bad.yaml").write_text("contests:\n  - {name: A, kind: gpp, entry_fee: 5, field_size: 10}\n")
    sal, proj = demo_paths()
    assert main(["plan", "--salaries", str(sal), "--projections", str(proj), "--contests", str(tmp_path / "bad.yaml"),
                 "--bankroll", "100"]) == 2
    err = capsys.readouterr().err
    assert "row 1" in err and "max_entries" in err
    (tmp_path / "afile").write_text("x")
    assert main(_args(tmp_path, "--out", str(tmp_path / "afile"))) == 2
    assert "is a file" in capsys.readouterr().err


@pytest.mark.slow
def test_plan_same_seed_same_bytes(planned, tmp_path):
    rc, d = planned
    assert main(_args(tmp_path, "--out", str(d / "out2"), "--json", str(tmp_path / "again.json"), "--entries",
                      str(DEMO / "DKEntries_day.csv"))) == 0
    a = json.loads((d / "plan.json").read_text())
    b = json.loads((tmp_path / "again.json").read_text())
    a.pop("files"), b.pop("files")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert (d / "out" / "DKEntries_filled.csv").read_bytes() == (d / "out2" / "DKEntries_filled.csv").read_bytes()


def test_plan_table_is_whole_when_stdout_is_not_a_terminal(planned, capsys):
    """Printed to a pipe (as here), the per-contest table keeps every column heading and the
    day's row whole: rich's default cuts a table to 80 columns there ("ent…", "s…")."""
    from tailrace.cli.runners.plan import print_plan

    rc, d = planned
    res = json.loads((d / "plan.json").read_text())
    capsys.readouterr()
    print_plan(res)
    out = capsys.readouterr().out
    for heading in ("contest", "entries", "stake", "exp. profit", "ROI", "P(loss)", "CVaR 5%", "top 1%"):
        assert heading in out, heading
    for r in res["contests"]:  # names are cut to 24 characters by design, never the figures
        assert r["name"][:20] in out
    assert f"${res['day']['expected_profit']:,.2f} ± {res['day']['expected_profit_se']:,.2f}" in out


def test_plan_figures_add_up(planned):
    rc, d = planned
    res = json.loads((d / "plan.json").read_text())
    entered = [r for r in res["contests"] if r["figures"]]
    day = res["day"]
    assert day["expected_profit"] == pytest.approx(sum(r["figures"]["expected_profit"] for r in entered), abs=1e-9)
    assert day["p_top1"] >= max([r["figures"]["p_top1"] for r in entered] + [0.0])
    if res["stake"]:
        assert day["roi"] == pytest.approx(day["expected_profit"] / res["stake"])
    # the greedy path's steps are one entry each, and the search is at least as good as its end
    a = res["allocation"]
    assert sum(a["greedy_entries"].values()) == len(a["steps"])
    assert a["growth_objective"] >= (a["steps"][-1]["growth_after"] if a["steps"] else 0.0) - 1e-12


def test_day_exposure_cap_holds_across_contests():
    from tailrace.plan.contests import DayContest
    from tailrace.plan.run import run_plan
    from tailrace.sim.scenarios import Scenarios

    slate = demo_slate()
    sets = [Scenarios(points=np.random.default_rng(s).gamma(2.0, 12.0, (300, slate.n)).astype(np.float32),
                      driver_ids=tuple(slate.ids), meta={"seed": s}) for s in (1, 2, 3)]
    # contest A allows any exposure of its own, so only the day's cap (25 %) holds it back
    day = [DayContest("A", "gpp", 1.0, 200, 4, max_exposure=1.0), DayContest("B", "gpp", 1.0, 200, 4)]
    run = run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, max_exposure=0.25, contest_cap=1)
    built = np.concatenate(run.built)
    lus = np.concatenate(run.lineups)
    n = lus.shape[0]
    cap = max(1, int(np.floor(0.25 * n + 1e-9)))
    assert n == 8  # this day enters everything (an edge against a random field)
    assert np.bincount(built.ravel(), minlength=slate.n).max() > cap  # the builds broke the day's cap ...
    assert np.bincount(lus.ravel(), minlength=slate.n).max() <= cap  # ... what is entered keeps it
    assert run.result["day_max_exposure_count"] == cap
    assert "rebuilt" in run.result["contests"][0]["lineups_source"]


@pytest.mark.slow
def test_max_duplicates_holds_for_every_contest_of_the_day():
    """Issue 26 item 3 in the plan: every entered lineup's expected field copies (as contest mode
    counts them for its contest) is at or under ``max_duplicates``; without the limit, some exceed it."""
    from tailrace.plan.contests import DayContest
    from tailrace.plan.run import run_plan
    from tailrace.sim.scenarios import Scenarios

    slate = demo_slate()
    proj = np.array([d.projection for d in slate.drivers])  # races near the projections: chalk lineups win
    sets = [Scenarios(points=(proj * np.random.default_rng(s).gamma(8.0, 1 / 8.0, (300, slate.n))).astype(np.float32),
                      driver_ids=tuple(slate.ids), meta={"seed": s}) for s in (1, 2, 3)]
    day = [DayContest("A", "gpp", 1.0, 20_000, 4), DayContest("B", "gpp", 1.0, 5_000, 4)]
    free = run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, contest_cap=1)
    seen = [lu["expected_duplicates"] for c in free.result["contests"] for lu in c["lineups"]]
    assert seen and all(x is not None for x in seen)
    limit = float(np.median(seen))
    assert max(seen) > limit
    held = run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, contest_cap=1, max_duplicates=limit)
    got = [lu["expected_duplicates"] for c in held.result["contests"] for lu in c["lineups"]]
    assert got and max(got) <= limit + 1e-12


@pytest.mark.slow
def test_plan_on_a_real_slate_from_the_history_grid(tmp_path, real_slates_dir, shared_results_path):
    """A real DraftKings export with no projections: the plan takes the race's starting grid from
    the history (as `optimize` does), leaves out the driver who did not start (Chase Elliott,
    Las Vegas 2023) and plans every contest with drivers of that grid only."""
    import csv

    out = tmp_path / "plan.json"
    rc = main(["plan", "--site", "dk", "--salaries", str(real_slates_dir / "dk_2023_r03_las_vegas.csv"),
               "--history", str(shared_results_path), "--contests", str(_day(tmp_path)), "--bankroll", "500",
               "--max-stake", "0.3", "--n-scenarios", "300", "--contest-cap", "1", "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    with open(shared_results_path, newline="", encoding="utf-8") as f:  # the grid, read here
        grid = {r["driver"] for r in csv.DictReader(f) if r["season"] == "2023" and r["race_num"] == "3"}
    with open(real_slates_dir / "dk_2023_r03_las_vegas.csv", newline="", encoding="utf-8") as f:
        salary_names = {r["Name"] for r in csv.DictReader(f)}
    assert "Chase Elliott" in salary_names and "Chase Elliott" not in grid
    assert any("Chase Elliott" in w and "left out" in w for w in res["warnings"])
    def key(name: str) -> str:  # the files spell some names apart ("A.J." / "AJ")
        return "".join(ch for ch in name.lower() if ch.isalpha())

    # the plan names the race it was for, as `optimize` does: read here from the results file
    with open(shared_results_path, newline="", encoding="utf-8") as f:
        track = {r["track"] for r in csv.DictReader(f) if r["season"] == "2023" and r["race_num"] == "3"}
    assert [res["race"]["track"]] == sorted(track) == ["Las Vegas Motor Speedway"]
    assert (res["race"]["season"], res["race"]["race_num"]) == (2023, 3)
    entered = {key(n) for c in res["contests"] for lu in c["lineups"] for n in lu["names"]}
    assert res["entries"] > 0 and entered <= {key(n) for n in salary_names} & {key(n) for n in grid}
    # without projections and without a history the command stops before any work
    assert main(["plan", "--site", "dk", "--salaries", str(real_slates_dir / "dk_2023_r03_las_vegas.csv"),
                 "--contests", str(_day(tmp_path)), "--bankroll", "100"]) == 2


def test_contest_command_on_a_real_slate_from_the_history_grid(tmp_path, real_slates_dir, shared_results_path):
    """`tailrace contest` takes a real export with no projections as optimize and plan do: the race's
    grid from --history (Las Vegas 2023: Chase Elliott on the salary file, not on the grid)."""
    sal, hist = str(real_slates_dir / "dk_2023_r03_las_vegas.csv"), str(shared_results_path)
    up, out = tmp_path / "up.csv", tmp_path / "contest.json"
    assert main(["optimize", "--site", "dk", "--salaries", sal, "--history", hist, "--lineups", "2",
                 "--n-scenarios", "300", "--no-explain", "--out", str(up)]) == 0
    assert main(["contest", "--site", "dk", "--salaries", sal, "--history", hist, "--portfolio", str(up),
                 "--n-scenarios", "300", "--field-size", "500", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert len(res["lineups"]) == 2 and res["portfolio"]["roi"] == res["portfolio"]["roi"]  # a number, not NaN
    names = {n for lu in res["lineups"] for n in lu["names"]}
    assert names and "Chase Elliott" not in names
