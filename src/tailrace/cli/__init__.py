"""The `tailrace` command line: one Typer app; each command lives in its own module.

A command module defines ``register(app)``. Errors a user can fix (InputError,
InfeasibleError) print as one clear message without a traceback and exit with code 2, the
library's parameters said as flags (``options.say_as_flag``).
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.console import Console
from rich.markup import escape

from tailrace.errors import InfeasibleError, InputError, TailraceError

app = typer.Typer(
    name="tailrace",
    help="NASCAR DFS portfolios aimed at the tail of the score distribution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command modules, in the order they appear in --help. Each has register(app).
_COMMANDS = ("score", "simulate", "optimize", "contest", "plan", "review", "calibrate", "backtest", "serve", "demo",
             "graph")


@app.callback()
def _global_options(
    ctx: typer.Context,
    graph: str | None = typer.Option(None, "--graph", help="Graph database URI (bolt:// or neo4j://) for "
                                     "--history graph and stored specs; default TAILRACE_GRAPH_URI."),
) -> None:
    """NASCAR DFS portfolios aimed at the tail of the score distribution."""
    from tailrace.cli import options

    options.GRAPH_URI = graph
    options.COMMAND = ctx.invoked_subcommand
    ctx.call_on_close(_close_graph)


def _close_graph() -> None:
    """Close every graph driver this command opened, when the command's context ends (errors too).

    A Bolt driver left open at exit can leave the server mid-handshake for the next client (seen
    with FalkorDB: every second ``tailrace graph load`` failed). Nothing is imported when no graph
    was used.
    """
    mod = sys.modules.get("tailrace.store.graph.connection")
    if mod is not None:
        mod.close_all()

for _name in _COMMANDS:
    try:
        _mod = importlib.import_module(f"tailrace.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command not built yet
        if exc.name != f"tailrace.cli.{_name}":
            raise
        continue
    _mod.register(app)

err_console = Console(stderr=True, soft_wrap=True)


def _click_kind(exc: BaseException) -> str | None:
    """``"usage"`` for a click usage/parameter error, ``"abort"`` for Ctrl-C at a prompt, else None.

    Matched by class name along the MRO, not by ``isinstance``: typer >= 0.20 ships its own copy
    of click (``typer._click``), whose exceptions are not ``click.exceptions.ClickException``,
    and pip may resolve either layout. Every click error a user can cause is a usage error
    here, so it exits 2.
    """
    names = {cls.__name__ for cls in type(exc).__mro__ if "click" in cls.__module__}
    if "ClickException" in names and hasattr(exc, "show"):
        return "usage"
    if "Abort" in names:
        return "abort"
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning user-fixable errors into a message and exit code 2."""
    from tailrace.cli import options

    options.GRAPH_URI = None  # per run: set by --graph
    options.COMMAND = None
    try:
        app(args=argv, standalone_mode=False)
    except (InputError, InfeasibleError, TailraceError) as exc:
        exc = exc.worded(options.say_as_flag)  # the library's parameters as this command's flags
        kind = "infeasible" if isinstance(exc, InfeasibleError) else "error"
        # soft_wrap: no line breaks inside a message (a row number must not land on the next
        # line of a log); escape: a message's own brackets are text, not markup
        err_console.print(f"[bold red]{kind}:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        if isinstance(exc, InfeasibleError) and exc.conflicts:
            for c in exc.conflicts:
                err_console.print(f"  - {c}", highlight=False, markup=False, soft_wrap=True)
        return 2
    except FileNotFoundError as exc:
        err_console.print(f"[bold red]error:[/] file not found: {escape(str(exc.filename))}. Fix: check the path.",
                          soft_wrap=True)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception as exc:  # click's usage errors etc.
        kind = _click_kind(exc)
        if kind == "usage":
            exc.show()  # type: ignore[attr-defined]  # click's own "Usage: ... Error: ..." text
            return 2
        if kind == "abort":
            return 130
        if os.environ.get("TAILRACE_DEBUG"):
            raise
        # Not the user's fault, but still no traceback: say what broke and how to see more.
        err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}. This is a bug in "
                          "tailrace, not in your input; rerun with TAILRACE_DEBUG=1 for the traceback and report it.",
                          highlight=False, soft_wrap=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
