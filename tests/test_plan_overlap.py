"""The day's overlap rule (issue 26): lineups entered in *different* contests share at most
``max_overlap_day`` drivers. Every check counts shared drivers directly (incidence matrices or
Python sets), never through ``plan.overlap``."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.contest import make_contest
from tailrace.errors import InputError
from tailrace.plan.contests import DayContest, parse_day, read_day
from tailrace.plan.overlap import cross_contest_overlap, overlap_admission
from tailrace.plan.run import check_day_options, run_plan
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import demo_paths, demo_slate, match_names


MID = 8_250  # a sixth of DraftKings' cap: six of the drivers nearest it fill a lineup near the cap


def _most_shared(a: np.ndarray, b: np.ndarray, n: int) -> int:
    """The most drivers a lineup of ``a`` (m, r) shares with one of ``b`` (k, r): incidence products."""
    x = np.zeros((a.shape[0], n), dtype=np.int64)
    x[np.arange(a.shape[0])[:, None], a] = 1
    y = np.zeros((b.shape[0], n), dtype=np.int64)
    y[np.arange(b.shape[0])[:, None], b] = 1
    return int((x @ y.T).max())


def _across(groups: list[np.ndarray], n: int) -> int:
    """The most drivers two lineups of different groups share, over every pair of groups."""
    return max(_most_shared(groups[i], groups[j], n) for i, j in combinations(range(len(groups)), 2)
               if groups[i].shape[0] and groups[j].shape[0])


def _small(drivers: int | None = None) -> tuple:
    """A small slate (every other demo driver, 16; or the ``drivers`` nearest $8,250, a sixth of the cap), three random
    scenario sets and a quick field model (contest mode's engine, not the calibrated sampler)."""
    full = demo_slate()
    ds = full.drivers[::2][:16] if drivers is None else tuple(sorted(full.drivers, key=lambda d: abs(d.salary - MID))[:drivers])
    slate = dataclasses.replace(full, drivers=ds)
    sets = [Scenarios(points=np.random.default_rng(s).gamma(2.0, 12.0, (300, slate.n)).astype(np.float32),
                      driver_ids=tuple(slate.ids), meta={"seed": s}) for s in (1, 2, 3)]

    def mk(i, dc, points, rng):
        return make_contest(slate.salaries(), 6, 50_000, entry_fee=dc.entry_fee, field_size=dc.field_size, rng=rng,
                            projections=points.mean(axis=0))
    return slate, sets, mk


# ---------------------------------------------------------------------------- the admission rule


def test_admission_against_a_direct_count():
    rng = np.random.default_rng(3)
    n = 70  # two bit words
    cands = np.array([rng.choice(n, 6, replace=False) for _ in range(400)])
    fixed = np.array([rng.choice(n, 6, replace=False) for _ in range(30)])
    # near copies of a fixed lineup, so every count 0..6 turns up
    cands[:30] = fixed
    cands[30:60, :3] = fixed[:, :3]
    for k in range(7):
        want = np.array([max(len(set(c) & set(f)) for f in fixed) <= k for c in cands.tolist()])
        np.testing.assert_array_equal(overlap_admission(fixed, n, k)(cands), want)
    assert overlap_admission(fixed, n, 2)(np.zeros((0, 6), dtype=np.int64)).shape == (0,)
    assert overlap_admission(np.zeros((0, 6), dtype=np.int64), n, 0)(cands).all()
    groups = [cands[:5], fixed[7:9], cands[100:104]]
    want = max(len(set(a) & set(b)) for g, h in combinations(groups, 2) for a in g.tolist() for b in h.tolist())
    assert cross_contest_overlap(groups, n) == want
    assert cross_contest_overlap([cands[:3], np.zeros((0, 6), dtype=np.int64)], n) is None


# ---------------------------------------------------------------------------- the plan under the rule


@pytest.fixture(scope="module")
def plans():
    slate, sets, mk = _small()
    day = [DayContest("A", "gpp", 1.0, 200, 4), DayContest("B", "gpp", 1.0, 200, 4)]
    free = run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, contest_cap=1, make_contest=mk)
    held = run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, contest_cap=1, make_contest=mk,
                    max_overlap_day=2)
    return slate, free, held


def test_the_rule_holds_pair_by_pair_and_changes_the_plan(plans):
    slate, free, held = plans
    n = slate.n
    # without the rule this day's contests share more than 2 drivers between some pair ...
    assert _across(free.lineups, n) > 2 and free.result["max_overlap_day"] is None
    # ... with it, every pair of lineups entered in different contests shares at most 2
    assert all(x.shape[0] for x in held.lineups)
    assert _across(held.lineups, n) <= 2
    # every build keeps it too, so whatever prefixes the allocation takes keep it
    assert _across(held.built, n) <= 2
    assert held.result["max_overlap_day"] == 2
    assert held.result["overlap_across_contests"] == _across(held.lineups, n)
    assert free.result["overlap_across_contests"] == _across(free.lineups, n)
    # A (built first: the ties go in file order) is as free; B's lineups are another set
    np.testing.assert_array_equal(held.built[0], free.built[0])
    as_sets = [{tuple(sorted(x)) for x in run.lineups[1].tolist()} for run in (free, held)]
    assert as_sets[0] != as_sets[1]
    info = [c["build"] for c in held.result["contests"]]
    assert info[0]["overlap_day_against"] == [] and info[1]["overlap_day_against"] == ["A"]


def test_a_rebuild_for_exposure_reapplies_the_rule():
    slate, sets, mk = _small()
    # A allows any exposure of its own; the day's cap (50 %) makes both contests rebuild
    day = [DayContest("A", "gpp", 1.0, 200, 4, max_exposure=1.0), DayContest("B", "gpp", 1.0, 200, 4)]
    run = run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, contest_cap=1, make_contest=mk,
                   max_exposure=0.5, max_overlap_day=3)
    assert [c["lineups_source"] for c in run.result["contests"]] == ["rebuilt at its entries for the exposure rules"] * 2
    assert all(x.shape[0] for x in run.lineups)
    assert _across(run.lineups, slate.n) <= 3


def test_a_rule_that_leaves_too_few_lineups_is_a_clear_error():
    # eight drivers ($7,300 .. $9,000): two 6-driver lineups share at least 6 + 6 - 8 = 4, so under 3 the second contest has none
    slate, sets, mk = _small(8)
    day = [DayContest("A", "gpp", 1.0, 200, 2), DayContest("B", "gpp", 1.0, 200, 2)]
    with pytest.raises(InputError) as ei:
        run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, contest_cap=1, make_contest=mk, max_overlap_day=3)
    (p,) = ei.value.problems
    assert p.param == "max_overlap_day"
    msg = str(ei.value)
    assert "contest 'B'" in msg and "'A'" in msg and "max_overlap_day=4" in msg
    # at 4 the same day plans, and keeps it
    run = run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, contest_cap=1, make_contest=mk, max_overlap_day=4)
    assert _across(run.built, slate.n) == 4


def test_day_options_are_checked_in_one_place():
    with pytest.raises(InputError) as ei:
        check_day_options(0, 1.5, 2, 0, -1)
    assert [p.param for p in ei.value.problems] == ["bankroll", "max_stake", "kelly", "max_exposure", "max_overlap_day"]
    for bad in (1.5, True, "2"):
        with pytest.raises(InputError, match="max overlap day"):
            check_day_options(100, 0.3, max_overlap_day=bad)
    check_day_options(100, 0.3, 1.0, 0.5, 0)


# ---------------------------------------------------------------------------- the file, the command, the API


def test_contests_file_reads_the_days_rule(tmp_path):
    body = "contests:\n  - {name: A, entry_fee: 5, field_size: 100, max_entries: 2}\n"
    (tmp_path / "day.yaml").write_text("max_overlap_day: 4\n" + body)
    day = read_day(tmp_path / "day.yaml")
    assert day.max_overlap_day == 4 and [c.name for c in day.contests] == ["A"]
    assert parse_day({"contests": [{"name": "A", "entry_fee": 5, "field_size": 100, "max_entries": 2}]}).max_overlap_day \
        is None
    (tmp_path / "bad.yaml").write_text("max_overlap_day: -1\nmax_overlap: 3\n" + body.replace("max_entries: 2", "max_entries: 0"))
    with pytest.raises(InputError) as ei:
        read_day(tmp_path / "bad.yaml")
    msg = str(ei.value)
    for bit in ("bad.yaml", "field 'max_overlap_day'", "not a whole number >= 0", "unknown top-level key 'max_overlap'",
                "contests[0].max_entries"):
        assert bit in msg, bit


def _subset_files(tmp_path: Path, k: int) -> tuple[Path, Path]:
    """The ``k`` demo drivers nearest $8,250 as a DK salary file and a projections file (starts 1..k)."""
    sal, proj = demo_paths()
    rows = list(csv.reader(io.StringIO(sal.read_text(encoding="utf-8-sig"))))
    si = rows[0].index("Salary")
    keep = sorted(rows[1:], key=lambda r: abs(int(r[si]) - MID))[:k]
    names = [r[rows[0].index("Name")] for r in keep]
    prows = list(csv.reader(io.StringIO(proj.read_text(encoding="utf-8-sig"))))
    matches = match_names([r[0] for r in prows[1:]], names)  # the readers' own tolerant matching
    chosen = sorted((r for r, m in zip(prows[1:], matches) if m.index is not None), key=lambda r: int(r[1]))
    assert len(chosen) == k
    for j, r in enumerate(chosen):
        r[1] = str(j + 1)
    drop = prows[0].index("ownership")  # eight drivers' shares cannot fill a field: tailrace's ownership model
    prows = [r[:drop] + r[drop + 1:] for r in [prows[0], *chosen]]
    out = []
    for name, table in (("DKSalaries.csv", [rows[0], *keep]), ("proj.csv", prows)):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(table)
        (tmp_path / name).write_text(buf.getvalue())
        out.append(tmp_path / name)
    return out[0], out[1]


def _cli(tmp_path: Path, yaml_head: str, *extra: str, name: str = "day.yaml") -> list[str]:
    sal, proj = _subset_files(tmp_path, 8)
    (tmp_path / name).write_text(yaml_head + "contests:\n"
                                       "  - {name: A, kind: gpp, entry_fee: 5, field_size: 300, max_entries: 2}\n"
                                       "  - {name: B, kind: gpp, entry_fee: 5, field_size: 300, max_entries: 2}\n")
    return ["plan", "--salaries", str(sal), "--projections", str(proj), "--allow-projection-shift", "--contests",
            str(tmp_path / name), "--bankroll", "100", "--max-stake", "0.25", "--n-scenarios", "200",
            "--contest-cap", "1", *extra]


def test_command_bad_options_name_their_flags_before_any_work(tmp_path, capsys):
    sal, proj = demo_paths()
    assert main(["plan", "--salaries", str(sal), "--projections", str(proj), "--contests", "nowhere.yaml",
                 "--bankroll", "100", "--max-overlap-day", "-1", "--max-duplicates", "-1"]) == 2
    err = capsys.readouterr().err
    assert "field '--max-overlap-day'" in err and "e.g. --max-overlap-day 4" in err
    assert "field '--max-duplicates'" in err and "----" not in err


def test_command_impossible_rule_exits_2_naming_the_option(tmp_path, capsys):
    assert main(_cli(tmp_path, "max_overlap_day: 3\n")) == 2
    err = capsys.readouterr().err
    assert "field '--max-overlap-day'" in err and "contest 'B'" in err and "--max-overlap-day 4" in err
    assert "Traceback" not in err


def test_command_round_trip_and_same_bytes(tmp_path, capsys):
    """The file's rule, the flag replacing it, the JSON saying it, and the same bytes twice."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(_cli(tmp_path, "max_overlap_day: 3\n", "--max-overlap-day", "4", "--json", str(a), name="a.yaml")) == 0
    assert "replaces the contests file's max_overlap_day 3" in capsys.readouterr().err
    assert main(_cli(tmp_path, "max_overlap_day: 4\n", "--json", str(b), name="b.yaml")) == 0
    doc = json.loads(a.read_text())
    assert doc["max_overlap_day"] == 4
    ids = sorted({i for c in doc["contests"] for lu in c["lineups"] for i in lu["driver_ids"]})
    groups = [np.array([[ids.index(i) for i in lu["driver_ids"]] for lu in c["lineups"]], dtype=np.int64).reshape(-1, 6)
              for c in doc["contests"]]
    assert [g.shape[0] for g in groups] == [c["entries"] for c in doc["contests"]]
    assert all(g.shape[0] for g in groups), "this day enters both contests, so the count below is not empty"
    assert _across(groups, len(ids)) <= 4 and doc["overlap_across_contests"] == _across(groups, len(ids))
    x = json.loads(b.read_text())
    doc.pop("files"), x.pop("files")
    assert json.dumps(doc, sort_keys=True) == json.dumps(x, sort_keys=True)


def test_api_request_takes_the_rule():
    from pydantic import ValidationError

    from tailrace.api.schemas import PlanRequest

    base = {"slate_id": "s", "bankroll": 100,
            "contests": [{"name": "A", "entry_fee": 5, "field_size": 300, "max_entries": 2}]}
    assert PlanRequest(**base, max_overlap_day=3).max_overlap_day == 3
    assert PlanRequest(**base).max_overlap_day is None
    for bad in (-1, 7, "3", 2.5):
        with pytest.raises(ValidationError, match="max_overlap_day"):
            PlanRequest(**base, max_overlap_day=bad)


def test_a_rule_at_the_roster_size_is_accepted_and_said_to_be_off():
    """k = 6 on a 6-driver roster turns no lineup away: the day is planned as without the rule,
    and a warning says the rule cannot act (accepted, never silent)."""
    slate, sets, mk = _small()
    day = [DayContest("A", "gpp", 1.0, 200, 2), DayContest("B", "gpp", 1.0, 200, 2)]
    off = run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, contest_cap=1, make_contest=mk, max_overlap_day=6)
    free = run_plan(slate, day, *sets, bankroll=1000, max_stake=0.5, contest_cap=1, make_contest=mk)
    for a, b in zip(off.lineups, free.lineups):
        np.testing.assert_array_equal(a, b)
    said = [w for w in off.result["warnings"] if "max_overlap_day 6" in w]
    assert len(said) == 1 and "at most 5" in said[0]
    assert not any("max_overlap_day" in w for w in free.result["warnings"])
