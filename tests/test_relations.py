"""Relation rules (team_max, manufacturer_max, teammates, max_from_start_band) against brute force.

The reference is independent of the resolution code: every 6-of-12 lineup is filtered by a
predicate written here from the drivers' team / make / start labels, and the optimiser's
answers (independent, marginal, contest) must match that set's best or stay inside it.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from _bruteforce import scores, values
from tailrace.contest import Contest, Field, PayoutTable
from tailrace.errors import InfeasibleError, InputError
from tailrace.explain import constraint_binding
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.optimize.contest_mode import generate_contest_portfolio
from tailrace.optimize.lineup import solve_lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.portfolio import build_portfolio, generate_portfolio
from tailrace.optimize.relations import fill_affiliations
from tailrace.sites import DRAFTKINGS
from tailrace.slate import Driver, Slate

# 12 drivers: (name, salary, team, make); start = index + 1
ROWS = [
    ("Kyle Larson", 11000, "Hendrick", "Chevrolet"),
    ("Chase Elliott", 9500, "Hendrick", "Chevrolet"),
    ("William Byron", 9000, "Hendrick", "Chevrolet"),
    ("Alex Bowman", 7600, "Hendrick", "Chevrolet"),
    ("Denny Hamlin", 10200, "Joe Gibbs Racing", "Toyota"),
    ("Martin Truex Jr.", 9800, "Joe Gibbs Racing", "Toyota"),
    ("Christopher Bell", 8800, "Joe Gibbs Racing", "Toyota"),
    ("Ryan Blaney", 8600, "Team Penske", "Ford"),
    ("Joey Logano", 8400, "Team Penske", "Ford"),
    ("Tyler Reddick", 8200, "23XI Racing", "Toyota"),
    ("Bubba Wallace", 7000, "23XI Racing", "Toyota"),
    ("Ricky Stenhouse Jr.", 6500, "JTG Daugherty", "Chevrolet"),
]
N = len(ROWS)
SAL = np.array([r[1] for r in ROWS], np.int64)
TEAM = [r[2] for r in ROWS]
MAKE = [r[3] for r in ROWS]
START = list(range(1, N + 1))


def slate(with_labels: bool = True) -> Slate:
    return Slate(site=DRAFTKINGS, drivers=tuple(
        Driver(id=str(40000 + i), name=r[0], salary=r[1], start=i + 1,
               team=r[2] if with_labels else None, manufacturer=r[3] if with_labels else None)
        for i, r in enumerate(ROWS)))


def points(seed: int = 3, S: int = 400) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.linspace(40, 20, N)
    return (base + rng.gamma(2.0, 8.0, (S, N)) * rng.choice([0.3, 1.0, 2.5], (S, N))).astype(np.float32)


def hand_ok(lu, team_any=None, team_named=None, make_any=None, apart=(), together=(), band=None) -> bool:
    """The relation rules checked straight from the labels (not from GroupRules)."""
    if sum(SAL[list(lu)]) > 50000:
        return False
    teams = Counter(TEAM[i] for i in lu)
    makes = Counter(MAKE[i] for i in lu)
    named = dict(team_named or {})
    if team_any is not None and any(c > team_any for t, c in teams.items() if t not in named):
        return False
    if any(teams.get(t, 0) > k for t, k in named.items()):
        return False
    if make_any is not None and any(c > make_any for c in makes.values()):
        return False
    for pair in apart:
        if sum(i in lu for i in pair) > 1:
            return False
    for grp in together:
        if sum(i in lu for i in grp) not in (0, len(grp)):
            return False
    if band is not None:
        a, b, k = band
        if sum(a <= START[i] <= b for i in lu) > k:
            return False
    return True


CASES = [
    ({"team_max": 2}, dict(team_any=2)),
    ({"team_max": [{"max": 2}, {"team": "joe gibbs racing", "max": 1}]}, dict(team_any=2, team_named={"Joe Gibbs Racing": 1})),
    ({"manufacturer_max": {"max": 3}}, dict(make_any=3)),
    ({"teammates": [{"drivers": ["Kyle Larson", "Chase Elliott"], "rule": "apart"}]}, dict(apart=[(0, 1)])),
    ({"teammates": [{"drivers": ["Denny Hamlin", "Christopher Bell"], "rule": "together"}]}, dict(together=[(4, 6)])),
    ({"max_from_start_band": {"first": 1, "last": 5, "max": 2}}, dict(band=(1, 5, 2))),
    ({"team_max": 2, "teammates": [{"drivers": ["Tyler Reddick", "Bubba Wallace", "Ryan Blaney"], "rule": "together"}],
      "max_from_start_band": [{"first": 1, "last": 3, "max": 1}]},
     dict(team_any=2, together=[(9, 10, 7)], band=(1, 3, 1))),
]


@pytest.mark.parametrize("data, hand", CASES)
def test_resolved_rules_admit_exactly_the_hand_checked_lineups_and_the_optimum_matches(data, hand):
    resolved = ConstraintSpec.from_data({**data, "objective": {"kind": "upper-cvar", "beta": 0.05}}).resolve(slate())
    every = list(itertools.combinations(range(N), 6))
    want = [lu for lu in every if hand_ok(lu, **hand)]
    got = [lu for lu in every if resolved.rules.admits(lu, SAL)]
    assert got == want and want, (len(got), len(want))
    P = points()
    obj = resolved.objective
    ref = values(P, want, obj)
    res = solve_lineup(P, SAL, resolved.rules, obj)
    assert res.optimal and res.value == pytest.approx(float(ref.max()), rel=1e-9)
    assert hand_ok(res.lineup, **hand)


@pytest.mark.parametrize("mode", ["independent", "marginal"])
def test_portfolio_modes_keep_the_relation_rules(mode):
    data, hand = CASES[-1]
    resolved = ConstraintSpec.from_data({**data, "n_lineups": 6, "mode": mode}).resolve(slate())
    port = generate_portfolio(points(), SAL, resolved.rules, resolved.objective, 6, mode=mode)
    lineups = [tuple(sorted(r.lineup)) for r in port.lineups]
    assert len(set(lineups)) == 6 and all(hand_ok(lu, **hand) for lu in lineups)
    # independent: the first lineup is the brute-force best of the hand-filtered set
    if mode == "independent":
        want = [lu for lu in itertools.combinations(range(N), 6) if hand_ok(lu, **hand)]
        v = values(points(), want, resolved.objective)
        assert lineups[0] == want[int(np.argmax(v))]


def test_contest_mode_keeps_the_relation_rules():
    data, hand = CASES[1]
    resolved = ConstraintSpec.from_data({**data, "n_lineups": 5, "mode": "contest"}).resolve(slate())
    rng = np.random.default_rng(0)
    field_lu = np.sort(np.array([rng.choice(N, 6, replace=False) for _ in range(60)]), axis=1).astype(np.int32)
    contest = Contest(entry_fee=2.0, field_size=65, payouts=PayoutTable(np.array([50.0, 25.0, 10.0, 5.0, 5.0])),
                      field=Field(field_lu, source="given"))
    port = generate_contest_portfolio(points(), SAL, resolved.rules, 5, contest)
    assert len(port.lineups) == 5 and all(hand_ok(tuple(lu), **hand) for lu in port.lineups)


def _small_contest() -> Contest:
    rng = np.random.default_rng(0)
    field_lu = np.sort(np.array([rng.choice(N, 6, replace=False) for _ in range(60)]), axis=1).astype(np.int32)
    return Contest(entry_fee=2.0, field_size=65, payouts=PayoutTable(np.array([50.0, 25.0, 10.0, 5.0, 5.0])),
                   field=Field(field_lu, source="given"))


@pytest.mark.parametrize("mode", ["independent", "marginal", "contest"])
def test_build_portfolio_dispatches_on_the_mode_and_every_mode_answers_a_portfolio(mode):
    """optimize.portfolio.build_portfolio: one entry for every mode; its Portfolio's figures by hand."""
    data, hand = CASES[1]
    resolved = ConstraintSpec.from_data({**data, "n_lineups": 4, "mode": mode,
                                         "global_max_exposure": 0.75}).resolve(slate())
    pts = points()
    port = build_portfolio(pts, SAL, resolved, contest=_small_contest() if mode == "contest" else None, cap_place=1)
    lineups = [r.lineup for r in port.lineups]
    assert port.mode == mode and len(set(lineups)) == 4 and all(hand_ok(lu, **hand) for lu in lineups)
    assert all(lu == tuple(sorted(lu)) for lu in lineups)
    counts = np.zeros(N)
    for lu in lineups:
        counts[list(lu)] += 1
    assert np.array_equal(port.exposures, counts / 4) and port.exposures.max() <= 0.75
    x = scores(pts, lineups)  # (S, 4), float64 sums
    assert port.portfolio_value == pytest.approx(float(resolved.objective.evaluate(x.max(axis=1))), rel=1e-12)
    assert [r.value for r in port.lineups] == pytest.approx(list(values(pts, lineups, resolved.objective)), rel=1e-12)
    if mode == "independent":  # the first lineup is the brute-force best of the hand-filtered set
        want = [lu for lu in itertools.combinations(range(N), 6) if hand_ok(lu, **hand)]
        assert lineups[0] == want[int(np.argmax(values(pts, want, resolved.objective)))]
    if mode == "contest":  # the contest engine's lineups, its figures kept; no bound claimed
        assert port.selection is not None and port.selection.cap_place == 1
        assert [tuple(sorted(int(i) for i in row)) for row in port.selection.lineups] == lineups
        assert all(r.status == "contest" and not r.optimal and r.gap == 0.0 for r in port.lineups)
    else:
        assert port.selection is None


def test_build_portfolio_contest_mode_refuses_min_exposures():
    resolved = ConstraintSpec.from_data({"n_lineups": 3, "mode": "contest",
                                         "min_exposure": {"Kyle Larson": 0.5}}).resolve(slate())
    with pytest.raises(InputError) as e:
        build_portfolio(points(), SAL, resolved, contest=_small_contest(), cap_place=1)
    assert e.value.problems[0].field == "min_exposure"
    assert "does not take min exposures" in str(e.value)


def test_groups_show_in_constraint_binding():
    resolved = ConstraintSpec.from_data({"team_max": 2, "teammates": [
        {"drivers": ["Denny Hamlin", "Christopher Bell"], "rule": "together"}]}).resolve(slate())
    P = points()
    res = solve_lineup(P, SAL, resolved.rules, Objective.mean())
    items = constraint_binding(P, SAL, resolved.rules, Objective.mean(), res, names=[r[0] for r in ROWS])
    names = {it["constraint"] for it in items if it["kind"] == "group"}
    # a team group is listed when the lineup holds 2 of that team (its limit)
    full = {t for t, c in Counter(TEAM[i] for i in res.lineup).items() if c == 2 and TEAM.count(t) > 2}
    assert {f"group team {t}" for t in full} <= names
    assert "group teammates Denny Hamlin + Christopher Bell together" in names
    assert (4 in res.lineup) == (6 in res.lineup)


def test_conflicts_are_named():
    with pytest.raises(InfeasibleError) as ei:
        ConstraintSpec.from_data({"team_max": 1, "locks": ["Kyle Larson", "Chase Elliott"]}).resolve(slate())
    assert any("group 'team Hendrick' allows at most 1 but 2 of its drivers are locked" in c
               for c in ei.value.conflicts)
    with pytest.raises(InfeasibleError) as ei:
        ConstraintSpec.from_data({"locks": ["Denny Hamlin"], "excludes": ["Christopher Bell"], "teammates": [
            {"drivers": ["Denny Hamlin", "Christopher Bell"], "rule": "together"}]}).resolve(slate())
    assert any("Denny Hamlin is locked and Christopher Bell excluded" in c for c in ei.value.conflicts)
    with pytest.raises(InfeasibleError) as ei:
        ConstraintSpec.from_data({"max_from_start_band": {"first": 1, "last": 4, "max": 1},
                                  "locks": ["Kyle Larson", "Alex Bowman"]}).resolve(slate())
    assert any("'start 1-4' allows at most 1 but 2" in c for c in ei.value.conflicts)


def test_absent_team_and_driver_are_named():
    with pytest.raises(InputError) as ei:
        ConstraintSpec.from_data({"team_max": {"team": "Hendrik", "max": 1},
                                  "teammates": [{"drivers": ["Kyle Larson", "Kyle Busch"], "rule": "apart"}]}
                                 ).resolve(slate())
    msg = str(ei.value)
    assert "team 'Hendrik' has no driver on this slate" in msg and "'Hendrick'" in msg
    assert "unknown driver 'Kyle Busch'" in msg
    assert {p.field for p in ei.value.problems} == {"team_max[0].team", "teammates[0].drivers[1]"}


def test_team_rules_need_teams_and_take_them_from_a_history():
    bare = slate(with_labels=False)
    with pytest.raises(InputError, match="no team is known for Kyle Larson"):
        ConstraintSpec.from_data({"team_max": 2}).resolve(bare)
    filled = fill_affiliations(bare, [(r[2], r[3]) for r in ROWS])
    r = ConstraintSpec.from_data({"team_max": 2}).resolve(filled)
    assert {g.name: len(g.members) for g in r.rules.groups} == {"team Hendrick": 4, "team Joe Gibbs Racing": 3}
    # the slate's own labels win over the filler's
    kept = fill_affiliations(slate(), [("Other", "Other")] * N)
    assert kept.drivers[0].team == "Hendrick"


def test_bad_relation_fields_name_the_field():
    with pytest.raises(InputError) as ei:
        ConstraintSpec.from_data({"teammates": [{"drivers": ["Kyle Larson"], "rule": "near"}],
                                  "max_from_start_band": {"first": 5, "last": 2, "max": 1},
                                  "team_max": {"teem": "x", "max": 1}})
    fields = {p.field for p in ei.value.problems}
    assert {"teammates[0].drivers", "teammates[0].rule", "max_from_start_band[0]", "team_max[0].teem"} <= fields


def test_pipeline_fills_teams_from_a_history_and_asks_the_graph_only_for_the_rest():
    # the one filler both faces call (CLI --history, API history_id): history first, then the graph
    from tailrace.pipeline import fill_team_and_make
    from tailrace.sim.strength.from_history import history_model_from_text

    head = "season,race_num,track,driver,start,finish,laps,laps_led,status,team,manufacturer\n"
    rows = "".join(f"2024,1,Kansas,{r[0]},{i + 1},{i + 1},267,{267 if i == 0 else 0},running,{r[2]},{r[3]}\n"
                   for i, r in enumerate(ROWS))
    model = history_model_from_text(head + rows, "h.csv")
    spec = ConstraintSpec.from_data({"team_max": 2})
    calls: list[int] = []

    def graph():
        calls.append(1)
        return None

    filled = fill_team_and_make(slate(with_labels=False), spec, model, graph=graph)
    assert [d.team for d in filled.drivers] == TEAM and [d.manufacturer for d in filled.drivers] == MAKE
    assert calls == []  # nothing left unknown: the graph is never opened
    bare = fill_team_and_make(slate(with_labels=False), spec, None, graph=graph)
    assert calls == [1] and all(d.team is None for d in bare.drivers)  # asked once; it had nothing
    untouched = slate(with_labels=False)
    assert fill_team_and_make(untouched, ConstraintSpec(), model, graph=graph) is untouched  # no team rule


def test_teammates_naming_one_driver_twice_is_refused_not_ignored():
    with pytest.raises(InputError, match="names one driver") as ei:
        ConstraintSpec.from_data({"teammates": [{"drivers": ["Kyle Larson", "kyle larson"], "rule": "apart"}]}
                                 ).resolve(slate())
    assert {p.field for p in ei.value.problems} == {"teammates[0].drivers"}
