"""ConstraintSpec: loading (JSON/YAML), errors that name the field, resolution to indices, conflicts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tailrace.errors import InfeasibleError, InputError
from tailrace.optimize.constraints import ConstraintSpec, exposure_counts, parse_blend
from tailrace.optimize.objectives import Objective
from tailrace.sites import DRAFTKINGS, FANDUEL
from tailrace.slate import Driver, Slate

NAMES = [
    "Kyle Larson", "Martin Truex Jr.", "A.J. Allmendinger", "Daniel Suárez", "Chase Elliott",
    "Denny Hamlin", "William Byron", "Ryan Blaney", "Joey Logano", "Tyler Reddick",
    "Ricky Stenhouse Jr.", "Bubba Wallace",
]
SAL = [11000, 9800, 7200, 7600, 9500, 10200, 9000, 8800, 8600, 8400, 6500, 7000]


def make_slate(site=DRAFTKINGS, salaries=SAL) -> Slate:
    drivers = tuple(
        Driver(id=str(30000 + i), name=n, salary=s, start=i + 1) for i, (n, s) in enumerate(zip(NAMES, salaries))
    )
    return Slate(site=site, drivers=drivers)


def test_json_and_yaml_give_the_same_spec_and_resolve_names_tolerantly(tmp_path):
    data = {
        "locks": ["kyle larson"],
        "excludes": ["30003", "Martin Truex"],  # an ID, and a name without its Jr.
        "max_exposure": {"AJ Allmendinger": 0.5, "Chase Elliott (30004)": 0.25},
        "min_exposure": {"DENNY HAMLIN": 0.3},
        "global_max_exposure": 0.7,
        "groups": [{"name": "JGR", "drivers": ["Denny Hamlin", "Ty Reddick", "Bubba Wallace"], "at_most": 2}],
        "min_salary": 48000,
        "max_overlap": 4,
        "objective": {"kind": "blend", "blend": "0.7:upper-cvar:0.01,0.3:upper-cvar:0.05"},
        "n_lineups": 20,
        "mode": "marginal",
    }
    # "Ty Reddick" is not a driver: fix that one to the real name before the happy path
    data["groups"][0]["drivers"][1] = "tyler reddick"
    jp = tmp_path / "spec.json"
    jp.write_text(json.dumps(data))
    yp = tmp_path / "spec.yaml"
    yp.write_text(
        "locks: [kyle larson]\nexcludes: ['30003', Martin Truex]\n"
        "max_exposure: {AJ Allmendinger: 0.5, 'Chase Elliott (30004)': 0.25}\n"
        "min_exposure: {DENNY HAMLIN: 0.3}\nglobal_max_exposure: 0.7\n"
        "groups:\n  - name: JGR\n    drivers: [Denny Hamlin, tyler reddick, Bubba Wallace]\n    at_most: 2\n"
        "min_salary: 48000\nmax_overlap: 4\n"
        "objective:\n  kind: blend\n  blend: 0.7:upper-cvar:0.01,0.3:upper-cvar:0.05\n"
        "n_lineups: 20\nmode: marginal\n"
    )
    a, b = ConstraintSpec.load(jp), ConstraintSpec.load(yp)
    assert a.model_dump() == b.model_dump()
    r = a.resolve(make_slate())
    assert r.rules.locks == frozenset({0})
    assert r.rules.excludes == frozenset({1, 3})
    assert r.rules.roster_size == 6 and r.rules.salary_cap == 50000 and r.rules.min_salary == 48000
    assert r.min_exposure == {5: 0.3}
    # per-driver caps override the global 0.7; the locked driver has none; every other gets 0.7
    assert r.max_exposure[2] == 0.5 and r.max_exposure[4] == 0.25 and 0 not in r.max_exposure
    assert all(r.max_exposure[i] == 0.7 for i in range(1, 12) if i not in (2, 4))
    g = r.rules.groups[0]
    assert g.members == frozenset({5, 9, 11}) and g.max_count == 2 and g.min_count == 0 and g.name == "JGR"
    assert r.max_overlap == 4 and r.n_lineups == 20 and r.mode == "marginal"
    assert r.objective == Objective.blend([(0.7, Objective.upper_cvar(0.01)), (0.3, Objective.upper_cvar(0.05))])
    assert r.tail_beta == 0.01


def test_objective_kinds_map_to_objectives_with_defaults():
    s = make_slate()
    cases = {
        "mean": Objective.mean(),
        "upper-cvar": Objective.upper_cvar(0.01),
        "lower_cvar": Objective.lower_cvar(0.2),
        "Upper CVaR": Objective.upper_cvar(0.01),
    }
    for kind, want in cases.items():
        assert ConstraintSpec.from_data({"objective": {"kind": kind}}).resolve(s).objective == want
    o = ConstraintSpec.from_data({"objective": {"kind": "target-prob", "target": 250}}).resolve(s).objective
    assert o == Objective.target_prob(250.0)
    o = ConstraintSpec.from_data({"objective": {"kind": "lower-cvar", "alpha": 0.1}}).resolve(s).objective
    # hand check on 10 outcomes: worst 10 % of 1..10 is 1
    assert o.evaluate(np.arange(1.0, 11.0)) == pytest.approx(1.0)


def test_min_unique_becomes_max_overlap():
    r = ConstraintSpec.from_data({"min_unique": 2, "n_lineups": 3}).resolve(make_slate())
    assert r.max_overlap == 4  # 6 drivers, at least 2 different => at most 4 shared


def test_parse_blend_errors_are_clear():
    assert parse_blend("0.5:mean, 0.5:upper-cvar:0.05") == [
        {"weight": 0.5, "kind": "mean", "level": None},
        {"weight": 0.5, "kind": "upper-cvar", "level": 0.05},
    ]
    with pytest.raises(ValueError, match="WEIGHT:KIND:LEVEL"):
        parse_blend("0.7-upper-cvar")


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"objective": {"kind": "upper-cvar", "beta": 2}}, "objective.beta", "less than or equal to 1"),
        ({"n_lineups": 151}, "n_lineups", "150"),
        ({"n_lineup": 20}, "n_lineup", "unknown field"),
        ({"groups": [{"drivers": ["Kyle Larson"], "at_most": -1}]}, "groups[0].at_most", "greater than or equal"),
        ({"max_exposure": {"Kyle Larson": 40}}, "max_exposure.Kyle Larson", "share between 0 and 1"),
        ({"objective": {"kind": "blend", "blend": "0.7:upper-cvar:3"}}, "objective.blend[0]", "(0, 1]"),
        ({"objective": {"kind": "target-prob"}}, "objective", "target"),
        ({"mode": "greedy"}, "mode", "independent"),
        ({"min_salary": 50000, "max_salary": 49000}, None, "min_salary (50000) is more than max_salary"),
    ],
)
def test_bad_spec_names_the_field_and_the_file(tmp_path, data, field, words):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(data))
    with pytest.raises(InputError) as ei:
        ConstraintSpec.load(p)
    msg = str(ei.value)
    assert str(p) in msg
    assert words in msg
    if field is not None:
        assert any(pr.field == field for pr in ei.value.problems), [pr.field for pr in ei.value.problems]


def test_all_bad_fields_reported_at_once(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("n_lineups: 0\nobjective:\n  beta: 0\nmode: nope\n")
    with pytest.raises(InputError) as ei:
        ConstraintSpec.load(p)
    assert {pr.field for pr in ei.value.problems} == {"n_lineups", "objective.beta", "mode"}


def test_broken_yaml_and_json_give_the_line(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("locks: [a, b\nn_lineups: 3\n")
    with pytest.raises(InputError) as ei:
        ConstraintSpec.load(p)
    assert ei.value.problems[0].row is not None and "YAML" in str(ei.value)
    q = tmp_path / "broken.json"
    q.write_text('{\n  "n_lineups": 3,\n  "locks": [}\n')
    with pytest.raises(InputError) as ei:
        ConstraintSpec.load(q)
    assert ei.value.problems[0].row == 3
    with pytest.raises(InputError, match="not found"):
        ConstraintSpec.load(tmp_path / "missing.yaml")
    r = tmp_path / "list.yaml"
    r.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="mapping"):
        ConstraintSpec.load(r)


def test_resolve_errors_name_the_spec_file(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("locks: [Kyle Larsen]\n")
    with pytest.raises(InputError) as ei:
        ConstraintSpec.load(p).resolve(make_slate())
    assert ei.value.problems[0].file == str(p) and ei.value.problems[0].field == "locks[0]"
    with pytest.raises(InputError) as ei:
        ConstraintSpec.load(p).with_overrides(n_lineups=2).resolve(make_slate())
    assert ei.value.problems[0].file == f"{p} with overrides"


def test_unknown_and_ambiguous_drivers_name_candidates():
    with pytest.raises(InputError) as ei:
        ConstraintSpec.from_data({"locks": ["Kyle Larsen"], "excludes": ["Nobody Atall"]}).resolve(make_slate())
    probs = {p.field: p for p in ei.value.problems}
    assert "Kyle Larson" in probs["locks[0]"].fix
    assert "unknown driver 'Nobody Atall'" in probs["excludes[0]"].message
    twins = list(make_slate().drivers)
    twins[11] = Driver(id="39999", name="Kyle Larson Jr.", salary=7000)  # same key without the suffix
    slate = Slate(site=DRAFTKINGS, drivers=tuple(twins))
    assert ConstraintSpec.from_data({"locks": ["Kyle Larson"]}).resolve(slate).rules.locks == {0}
    assert ConstraintSpec.from_data({"locks": ["39999"]}).resolve(slate).rules.locks == {11}


def test_site_limits_are_input_errors():
    with pytest.raises(InputError) as ei:
        ConstraintSpec.from_data({"max_salary": 60000, "max_overlap": 6, "min_unique": 7}).resolve(make_slate())
    assert {p.field for p in ei.value.problems} >= {"max_salary", "max_overlap", "min_unique"}
    assert ConstraintSpec.from_data({"mode": "contest"}).resolve(make_slate()).mode == "contest"


def test_exposure_counts_round_as_documented():
    assert exposure_counts(20, 0.0, 0.4) == (0, 8)
    assert exposure_counts(20, 0.35, 1.0) == (7, 20)
    assert exposure_counts(3, 0.34, 0.34) == (2, 1)  # ceil(1.02)=2, floor(1.02)=1
    assert exposure_counts(10, 0.3, 0.3) == (3, 3)  # 0.3*10 is not exactly 3 in floats


def _conflicts(data, slate=None) -> list[str]:
    with pytest.raises(InfeasibleError) as ei:
        ConstraintSpec.from_data(data).resolve(slate or make_slate())
    assert ei.value.conflicts
    return ei.value.conflicts


def test_conflicts_are_named():
    c = _conflicts({"locks": ["Kyle Larson"], "excludes": ["kyle larson"]})
    assert any("Kyle Larson is both locked and excluded" in s for s in c)
    c = _conflicts({"locks": NAMES[:7]})
    assert any("7 drivers are locked but a lineup holds only 6" in s for s in c)
    # Larson 11000 + Hamlin 10200 + Truex 9800 + Elliott 9500 = 40500; cheapest two others 6500+7000
    c = _conflicts({"locks": ["Kyle Larson", "Denny Hamlin", "Martin Truex Jr.", "Chase Elliott"]})
    assert any("$40,500" in s and "$54,000" in s for s in c)
    c = _conflicts({"excludes": NAMES[:7]})
    assert any("only 5 drivers are left" in s for s in c)
    c = _conflicts({"min_exposure": {"Kyle Larson": 0.5}, "max_exposure": {"Kyle Larson": 0.4}, "n_lineups": 10})
    assert any("min exposure 50 % (5 of 10 lineups) is above its max exposure 40 % (4 of 10)" in s for s in c)
    # 7 drivers at 90 % of 10 lineups need 63 spots > 60
    c = _conflicts({"min_exposure": {n: 0.9 for n in NAMES[:7]}, "n_lineups": 10})
    assert any("need 63 roster spots" in s and "only 60" in s for s in c)
    # global cap 0.4 on 12 drivers leaves 12*4 = 48 of 60 spots
    c = _conflicts({"global_max_exposure": 0.4, "n_lineups": 10})
    assert any("room for only 48 of the 60" in s for s in c)
    c = _conflicts({"groups": [{"name": "two", "drivers": ["Kyle Larson", "Bubba Wallace"], "at_least": 3}]})
    assert any("group 'two' needs at least 3 drivers but has only 2" in s for s in c)
    c = _conflicts({"locks": ["Kyle Larson", "Bubba Wallace"], "max_overlap": 1, "n_lineups": 2})
    assert any("max overlap is 1" in s for s in c)
    c = _conflicts({"locks": ["Kyle Larson"], "max_exposure": {"Kyle Larson": 0.5}, "n_lineups": 4})
    assert any("Kyle Larson is locked (in all 4 lineups)" in s for s in c)
    c = _conflicts({"excludes": ["Kyle Larson"], "min_exposure": {"Kyle Larson": 0.1}})
    assert any("excluded but has min exposure" in s for s in c)
    c = _conflicts({"min_salary": 49900, "max_salary": 49950}, make_slate(salaries=[5000] * 12))
    assert any("most expensive possible lineup costs $30,000" in s for s in c)


def test_feasible_edge_cases_are_not_called_conflicts():
    s = make_slate()
    # exactly full: 6 drivers at min 100 % of one lineup
    ConstraintSpec.from_data({"min_exposure": {n: 1.0 for n in NAMES[:1] + NAMES[10:]}}).resolve(s)
    # global cap 0.5 on 12 drivers: 12 * 5 = 60 spots = 10 lineups * 6
    ConstraintSpec.from_data({"global_max_exposure": 0.5, "n_lineups": 10}).resolve(s)
    # locks exactly at max overlap
    ConstraintSpec.from_data({"locks": ["Kyle Larson", "Bubba Wallace"], "max_overlap": 2, "n_lineups": 5}).resolve(s)
    # a per-driver cap above the global one is allowed (it overrides)
    r = ConstraintSpec.from_data({"global_max_exposure": 0.5, "max_exposure": {"Kyle Larson": 0.9},
                                  "n_lineups": 10}).resolve(s)
    assert r.max_exposure[0] == 0.9


def test_fanduel_roster_and_overrides():
    s = make_slate(site=FANDUEL)
    r = ConstraintSpec.from_data({"min_unique": 2}).resolve(s)
    assert r.rules.roster_size == 5 and r.max_overlap == 3
    spec = ConstraintSpec.from_data({"n_lineups": 5, "objective": {"kind": "upper-cvar", "beta": 0.05}})
    spec2 = spec.with_overrides(n_lineups=7, objective={"beta": 0.02}, locks=None)
    assert spec2.n_lineups == 7 and spec2.objective.beta == 0.02 and spec2.objective.kind == "upper-cvar"
    with pytest.raises(InputError) as ei:
        spec.with_overrides(n_lineups=0)
    assert ei.value.problems[0].field == "n_lineups"
