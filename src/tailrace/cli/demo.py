"""`tailrace demo`: the main job on the bundled demo slate, end to end.

Reads the bundled DraftKings salary export and projections through the same readers a
user's files go through, simulates the race (through the scenario cache), prints each
driver's tail metrics, builds a 20-lineup tournament portfolio (upper CVaR 1 %), writes its
upload CSV and JSON result, and prints the contest figures of that portfolio, judged on a
fresh scenario set (another seed) so over-fitting to the optimisation scenarios shows.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tailrace.cli.options import MAX_SCENARIOS, MAX_SEED, HistoryWeight


def demo(
    ctx: typer.Context,
    out: Path = typer.Option(Path("out"), help="Folder for the upload CSV and JSON results."),
    n_scenarios: int = typer.Option(10_000, "--n-scenarios", min=1000, max=MAX_SCENARIOS, help="Scenarios to optimise on."),
    seed: int = typer.Option(7, min=0, max=MAX_SEED, help="Random seed (the fresh evaluation set uses seed + 1)."),
    lineups: int = typer.Option(20, min=1, max=150, help="Lineups in the tournament portfolio."),
    history: str | None = typer.Option(
        None, "--history",
        help="Race results CSV to fit ratings on and blend with the projections; 'demo' for the bundled "
             "made-up season of the demo drivers."),
    history_weight: HistoryWeight = None,
) -> None:
    """Run the whole pipeline on the bundled demo slate."""
    # lazy: the runner imports what the command needs (numpy, the engines); --help must not load them
    from tailrace.cli.runners.demo import run

    run(ctx=ctx, out=out, n_scenarios=n_scenarios, seed=seed, lineups=lineups, history=history,
        history_weight=history_weight)


def register(app: typer.Typer) -> None:
    """Add `tailrace demo` to the app."""
    app.command("demo")(demo)
