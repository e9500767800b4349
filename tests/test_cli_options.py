"""Issue 27 item 5: the contest defaults in one ``ContestOptions``, the shared flags declared once,
and the command line's per-run state (``--graph``, the command's name) carried by the click
context (``options.CliRun``), never in module globals."""

from __future__ import annotations

import dataclasses
from importlib.resources import files

import pytest
import typer

from tailrace import cli
from tailrace.cli import options
from tailrace.contest_options import CONTEST_DEFAULTS, ContestOptions

DEMO = files("tailrace") / "data" / "demo"


def _params(command: str) -> dict[str, object]:
    """{flag: click parameter} of one command, as the app builds it."""
    cmd = cli._load_command(command)
    return {o: p for p in cmd.params for o in p.opts}


def test_the_contest_defaults_are_a_5_dollar_20000_entry_gpp() -> None:
    # the values the README and the API's schema state: $5, 20,000 entries, 13 % rake, ownership error 0.3
    assert (CONTEST_DEFAULTS.entry_fee, CONTEST_DEFAULTS.field_size, CONTEST_DEFAULTS.rake,
            CONTEST_DEFAULTS.ownership_error, CONTEST_DEFAULTS.field_sharpness) == (5.0, 20_000, 0.13, 0.3, "auto")
    with pytest.raises(dataclasses.FrozenInstanceError):
        CONTEST_DEFAULTS.entry_fee = 3.0  # type: ignore[misc]


def test_every_face_reads_the_defaults_from_contest_options() -> None:
    from tailrace.api.schemas import BacktestRequest, ContestSpecIn
    from tailrace.backtest.run import BacktestOptions
    from tailrace.sites import DEFAULT_ENTRY_FEE, DEFAULT_FIELD_SIZE, DEFAULT_OWNERSHIP_ERROR, DEFAULT_RAKE

    c = ContestSpecIn()
    assert (c.entry_fee, c.field_size, c.rake, c.ownership_error) == (5.0, 20_000, 0.13, 0.3)
    b = BacktestRequest.model_fields
    assert (b["entry_fee"].default, b["field_size"].default) == (5.0, 20_000)
    assert (BacktestOptions.entry_fee, BacktestOptions.field_size) == (5.0, 20_000)
    assert (DEFAULT_ENTRY_FEE, DEFAULT_FIELD_SIZE, DEFAULT_RAKE, DEFAULT_OWNERSHIP_ERROR) == (5.0, 20_000, 0.13, 0.3)
    for command in ("optimize", "contest", "backtest"):
        p = _params(command)
        assert p["--entry-fee"].default == 5.0 and p["--field-size"].default == 20_000, command
    assert _params("contest")["--rake"].default == 0.13 and _params("review")["--rake"].default == 0.13
    for command in ("optimize", "contest", "plan"):
        assert _params(command)["--ownership-error"].default == 0.3, command


def test_with_given_keeps_the_default_for_a_none_rake_and_names_an_unknown_field() -> None:
    o = CONTEST_DEFAULTS.with_given(entry_fee=3.0, rake=None, ownership_error=None, payouts="double-up")
    assert o == ContestOptions(entry_fee=3.0, payouts="double-up")
    assert o.rake == 0.13 and o.ownership_error == 0.3
    with pytest.raises(TypeError, match="entry_fees"):
        CONTEST_DEFAULTS.with_given(entry_fees=3.0)


def test_contest_from_options_takes_the_options_and_keywords_alike() -> None:
    from tailrace.pipeline import contest_from_options
    from tailrace.slate import demo_slate

    slate = demo_slate()
    a = contest_from_options(slate, None, ContestOptions(entry_fee=3.0, field_size=150, payouts="double-up"), seed=1)
    b = contest_from_options(slate, None, entry_fee=3.0, field_size=150, payouts="double-up", seed=1)
    # a double-up pays the top 44 % (66 of 150) 1.8 x the $3 fee, whichever way it was asked for
    for c in (a, b):
        assert c.field_size == 150 and c.entry_fee == 3.0
        assert c.payouts.n_paid == 66 and (c.payouts.prizes.min(), c.payouts.prizes.max()) == pytest.approx((5.4, 5.4))


def test_the_shared_flags_read_the_same_in_every_command() -> None:
    shared = {"--site": "dk (DraftKings) or fd (FanDuel).", "--salaries": "The site's salary export (CSV).",
              "--history": options.HISTORY_HELP, "--history-weight": options.HISTORY_WEIGHT_HELP,
              "--allow-projection-shift": options.ALLOW_SHIFT_HELP, "--dask": options.DASK_HELP}
    for command in ("simulate", "optimize", "contest", "review"):
        p = _params(command)
        for flag, text in shared.items():
            assert p[flag].help == text, (command, flag)
    assert _params("optimize")["--site"].required and _params("contest")["--salaries"].required


def test_the_cli_keeps_no_run_state_in_module_globals() -> None:
    assert not hasattr(options, "GRAPH_URI") and not hasattr(options, "COMMAND")


def test_the_callback_fills_the_run_object_main_hands_in() -> None:
    run = options.CliRun()
    cli.app(args=["--graph", "bolt://127.0.0.1:1", "score", "--help"], standalone_mode=False, obj=run,
            prog_name="tailrace")
    assert run == options.CliRun(command="score", graph_uri="bolt://127.0.0.1:1")


def test_a_library_error_says_the_flag_of_the_command_that_ran() -> None:
    # simulate calls the scenario count --scenarios; the other commands --n-scenarios
    assert options.say_as_flag("n_scenarios", "10000", command="simulate") == "--scenarios 10000"
    assert options.say_as_flag("n_scenarios", "10000", command="optimize") == "--n-scenarios 10000"
    assert options.say_as_flag("n_scenarios", "10000") == "--n-scenarios 10000"


def test_the_root_graph_flag_reaches_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    # nothing listens on port 1: the error names the address given with tailrace --graph, so the
    # command opened the graph the callback was told of (no module global between them)
    rc = cli.main(["--graph", "bolt://127.0.0.1:1", "simulate", "--site", "dk", "--salaries",
                   str(DEMO / "dk_salaries.csv"), "--projections", str(DEMO / "projections.csv"),
                   "--history", "graph", "--scenarios", "100"])
    err = " ".join(capsys.readouterr().err.split())
    assert rc == 2
    assert "cannot use the graph at bolt://neo4j@127.0.0.1:1" in err


def test_without_a_graph_the_history_graph_error_names_the_flag(capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAILRACE_GRAPH_URI", raising=False)
    rc = cli.main(["simulate", "--site", "dk", "--salaries", str(DEMO / "dk_salaries.csv"), "--projections",
                   str(DEMO / "projections.csv"), "--history", "graph", "--scenarios", "100"])
    err = " ".join(capsys.readouterr().err.split())
    assert rc == 2
    assert "field '--history': --history graph needs a graph database, and none is configured" in err


def test_commands_are_module_level_functions() -> None:
    import importlib

    for name in cli._COMMANDS:
        if name == "graph":
            continue
        mod = importlib.import_module(f"tailrace.cli.{name}")
        app = typer.Typer()
        mod.register(app)
        fn = app.registered_commands[0].callback
        assert fn.__qualname__ == fn.__name__ and getattr(mod, fn.__name__) is fn, name
