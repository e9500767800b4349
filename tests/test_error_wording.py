"""Library errors name the parameter; the CLI says it as its flag, the API as its request field.

The library writes ``Problem(param="track", fix="... e.g. {track=Kansas}")``; ``str()`` says
``track='Kansas'``, the CLI ``--track Kansas``, the API ``"track": "Kansas"`` and never a ``--``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tailrace.api.errors import FIELDS, error_body, say_as_field
from tailrace.cli.options import COMMAND_FLAGS, FLAGS, say_as_flag
from tailrace.errors import PARAMS, GraphUnavailable, InfeasibleError, InputError, Problem, word

DEMO = Path(__file__).resolve().parents[1] / "src" / "tailrace" / "data" / "demo"

# Parameters only the library and the CLI take: the API keeps their names.
NOT_IN_API = {"dask", "scenarios", "field_file", "contest_cap", "graph_uri"}
# Form fields of the API's uploads (POST /slates, /histories, /portfolios/{id}/entries).
UPLOAD_FIELDS = {"site", "salaries", "projections", "track", "grid_complete", "season", "history", "file"}


def test_placeholders_in_each_face() -> None:
    p = Problem("rake 2 must lie in [0, 1)", param="rake", fix="e.g. {rake=0.13}; {site=fd} or {track}")
    assert str(p) == "field 'rake': rake 2 must lie in [0, 1). Fix: e.g. rake=0.13; site='fd' or track"
    cli = p.worded(say_as_flag)
    assert (cli.field, cli.fix) == ("--rake", "e.g. --rake 0.13; --site fd or --track")
    api = p.worded(say_as_field)
    assert (api.field, api.fix) == ("contest.rake", 'e.g. "contest": {"rake": 0.13}; "site": "fd" or track')
    # a value with a space is quoted for the shell; braces that name no parameter are text
    assert word("{track=Talladega Superspeedway} {drivers} {x=1}", say_as_flag) == \
        "--track 'Talladega Superspeedway' {drivers} {x=1}"
    # a field given (a CSV column, a JSON path) stays the field; param does not replace it
    assert Problem("bad", field="Salary", param="site").worded(say_as_flag).field == "Salary"


def test_every_error_kind_is_worded() -> None:
    e = InputError([Problem("a", param="entry_fee", fix="{entry_fee=5}"), Problem("b", fix="{n_lineups=3}")])
    assert "--entry-fee 5" in str(e.worded(say_as_flag)) and "--lineups 3" in str(e.worded(say_as_flag))
    assert "--" not in str(e) and "--" not in str(e.worded(say_as_field))
    g = GraphUnavailable("cannot use the graph; drop {graph_uri} to work without it").worded(say_as_flag)
    assert isinstance(g, GraphUnavailable) and "drop --graph to" in str(g)
    i = InfeasibleError("raise {n_lineups}", ["{n_lineups=2} or fewer"]).worded(say_as_flag)
    assert str(i) == "raise --lineups" and i.conflicts == ["--lineups 2 or fewer"]


def _cli_options() -> dict[str, set[str]]:
    import typer

    from tailrace.cli import app

    root = typer.main.get_command(app)
    out = {"": {o for p in root.params for o in p.opts}}
    for name, cmd in root.commands.items():
        subs = getattr(cmd, "commands", None) or {name: cmd}
        for c in subs.values():
            out.setdefault(name, set()).update(o for p in c.params for o in p.opts)
    return out


def test_every_parameter_has_a_real_flag() -> None:
    opts = _cli_options()
    every = set().union(*opts.values())
    assert set(FLAGS) == PARAMS
    for param, flag in FLAGS.items():
        assert flag in every, (param, flag)
    for command, flags in COMMAND_FLAGS.items():
        for param, flag in flags.items():
            assert param in PARAMS and flag in opts[command], (command, param, flag)


def test_every_parameter_has_a_real_request_field() -> None:
    from pydantic import BaseModel

    from tailrace.api import schemas

    requests = [schemas.OptimizeRequest, schemas.SimulateRequest, schemas.ContestRequest, schemas.PlanRequest]

    def has(model: type[BaseModel], path: list[str]) -> bool:
        f = model.model_fields.get(path[0])
        if f is None:
            return False
        if len(path) == 1:
            return True
        inner = [a for a in getattr(f.annotation, "__args__", (f.annotation,)) if isinstance(a, type)
                 and issubclass(a, BaseModel)]
        return any(has(m, path[1:]) for m in inner)

    assert set(FIELDS) <= PARAMS
    for param in PARAMS - NOT_IN_API:
        name = say_as_field(param, None)
        assert name in UPLOAD_FIELDS or any(has(m, name.split(".")) for m in requests), (param, name)


# ------------------------------------------------------------------ the same error on both faces


def _salaries_without_track(tmp_path: Path) -> Path:
    rows = list(csv.reader((DEMO / "dk_salaries.csv").open(newline="")))
    g = rows[0].index("Game Info")
    for r in rows[1:]:
        r[g] = ""
    out = tmp_path / "DKSalaries.csv"
    with out.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return out


def _without_track(err: str) -> None:
    assert "field '--track'" in err and "pass --track with" in err and "--track 'Talladega Superspeedway'" in err


def test_missing_track_through_the_cli_names_the_flag(tmp_path: Path, capsys) -> None:
    from tailrace.cli import main

    sal = _salaries_without_track(tmp_path)
    assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--projections", str(DEMO / "projections.csv"),
                 "--scenarios", "100"]) == 2
    _without_track(capsys.readouterr().err)


def test_contest_numbers_through_the_cli_name_the_flags(tmp_path: Path, capsys) -> None:
    from tailrace.cli import main

    assert main(["optimize", "--site", "dk", "--salaries", str(DEMO / "dk_salaries.csv"), "--projections",
                 str(DEMO / "projections.csv"), "--n-scenarios", "100", "--mode", "contest", "--entry-fee", "0",
                 "--field-size", "1", "--rake", "1.5", "--no-explain"]) == 2
    err = capsys.readouterr().err
    for part in ("field '--entry-fee'", "e.g. --entry-fee 5", "field '--field-size'", "e.g. --field-size 20000",
                 "field '--rake'", "e.g. --rake 0.13"):
        assert part in err, part


def test_contest_numbers_in_the_api_words() -> None:
    from tailrace.pipeline import contest_from_options
    from tailrace.slate import demo_slate

    with pytest.raises(InputError) as ei:
        contest_from_options(demo_slate(), None, entry_fee=0, field_size=1, rake=1.5)
    status, body = error_body(ei.value)
    assert status == 422 and "--" not in body["message"]
    assert [d["field"] for d in body["detail"]] == ["contest.entry_fee", "contest.field_size", "contest.rake"]
    assert body["detail"][0]["fix"] == 'e.g. "contest": {"entry_fee": 5}'


@pytest.fixture()
def api(tmp_path: Path):
    from fastapi.testclient import TestClient

    from tailrace.api.app import create_app
    from tailrace.api.settings import Settings

    with TestClient(create_app(Settings(data_dir=tmp_path / "data", sync_time_limit=600))) as c:
        yield c


def test_missing_track_through_the_api_names_the_json_field(api) -> None:
    drivers = [{"id": str(100 + i), "name": f"D{i}", "salary": 6000 + 200 * i, "start": i + 1} for i in range(12)]
    r = api.post("/optimize", json={"slate": {"site": "dk", "drivers": drivers}, "n_scenarios": 100})
    assert r.status_code == 422, r.text
    body = r.json()
    assert "--" not in r.text
    (d,) = body["detail"]
    assert d["field"] == "track" and "the track is not known" in d["msg"]
    assert d["fix"].startswith("pass track with a track name") and '"track": "Talladega Superspeedway"' in d["fix"]
    assert body["message"].startswith("field 'track': the track is not known")


def test_wrong_site_upload_through_the_api_names_the_form_field(api, tmp_path: Path, capsys) -> None:
    sal = (DEMO / "dk_salaries.csv").read_bytes()
    r = api.post("/slates", data={"site": "fd"}, files={"salaries": ("DKSalaries.csv", sal)})
    assert r.status_code == 422, r.text
    assert "--" not in r.text and '"site": "dk"' in r.json()["detail"][0]["fix"]
    # the same file on the command line
    from tailrace.cli import main

    assert main(["simulate", "--site", "fd", "--salaries", str(DEMO / "dk_salaries.csv"), "--scenarios", "100"]) == 2
    assert "pass --site dk for this file" in capsys.readouterr().err


def test_errors_pickle_whole() -> None:
    """An error raised in a Dask worker is pickled back to the client: it must arrive with its
    problems (not one problem per character of the message) and its conflicts."""
    import pickle

    from tailrace.errors import InfeasibleError, InputError, Problem

    err = InputError([Problem("bad salary", file="s.csv", row=3, field="Salary", fix="use a number"),
                      Problem("no {track}", param="track")])
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and str(back) == str(err)
    inf = InfeasibleError("cannot hold", ["lock A", "exclude A"])
    back2 = pickle.loads(pickle.dumps(inf))
    assert back2.conflicts == ["lock A", "exclude A"] and str(back2) == str(inf)


def test_a_switch_is_said_as_the_bare_flag() -> None:
    from tailrace.cli.options import say_as_flag
    from tailrace.errors import word

    assert word("pass {allow_projection_shift=true}", say_as_flag) == "pass --allow-projection-shift"


def test_user_text_with_braces_is_shown_as_given(tmp_path) -> None:
    """A path holding ``{track}`` is the user's text, not a placeholder: it must reach every
    face unchanged, and an error is worded once (a worded error's str() is what was shown)."""
    from tailrace.cli.options import say_as_flag
    from tailrace.errors import InputError, Problem, as_text
    from tailrace.outputs import check_output_path

    folder = tmp_path / "{track}" / "{site}"
    folder.mkdir(parents=True)
    try:
        check_output_path(folder, "--out")
    except InputError as exc:
        for text in (str(exc), str(exc.worded(say_as_flag))):
            assert str(folder) in text, text
    else:
        raise AssertionError("a directory is not an output file")
    err = InputError(Problem(f"file '{as_text('/data/{site}/x.csv')}' has no {{site}} column", file="/d/{track}.csv"))
    shown = err.worded(say_as_flag)
    assert str(shown) == "/d/{track}.csv: file '/data/{site}/x.csv' has no --site column."
    assert str(err) == "/d/{track}.csv: file '/data/{site}/x.csv' has no site column."
