"""The `tailrace` command line: one Typer app; each command lives in its own module.

A command module defines ``register(app)``. Modules load when their command is asked for
(``_LazyCommands``): ``tailrace simulate`` imports the simulate module only; ``tailrace --help``,
shell completion and a mistyped command load them all, so what they print is unchanged. A command
module only declares (flags, help, cheap imports); its body imports its runner,
``tailrace.cli.runners.<name>``, where the work and every heavy import live. Errors a
user can fix (InputError, InfeasibleError) print as one clear message without a traceback and
exit with code 2, the library's parameters said as flags (``options.say_as_flag``).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from functools import partial
from typing import Any

import typer
import typer.main
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from tailrace.cli.options import CliRun, say_as_flag
from tailrace.errors import InfeasibleError, InputError, TailraceError

# Command modules, in the order they appear in --help (groups such as graph last, as typer lists them). Each has register(app) and registers the
# command (or command group) of its own name.
_COMMANDS = ("score", "simulate", "optimize", "contest", "plan", "review", "calibrate", "backtest", "serve", "demo",
             "cache", "graph")


def _load_command(name: str) -> TyperCommand | TyperGroup | None:
    """The click command that module ``tailrace.cli.<name>`` registers, or None when it is not built."""
    try:
        mod = importlib.import_module(f"tailrace.cli.{name}")
    except ModuleNotFoundError as exc:  # a command not built yet
        if exc.name != f"tailrace.cli.{name}":
            raise
        return None
    sub = typer.Typer()  # receives the module's registration; converted as typer.main.get_group would
    mod.register(sub)
    kw = {"pretty_exceptions_short": app.pretty_exceptions_short, "rich_markup_mode": app.rich_markup_mode}
    for info in sub.registered_commands:
        return typer.main.get_command_from_info(info, **kw)
    for group in sub.registered_groups:
        return typer.main.get_group_from_info(group, suggest_commands=app.suggest_commands, **kw)
    return None


class _LazyCommands(MutableMapping):
    """The top-level group's ``commands``, each module imported when its command is looked up.

    Looking up one name (``get``, ``[]``, ``in``), as running a command does, imports that
    command's module only. Going over them all (iteration, ``keys``, ``items``, ``len``), as help,
    completion and the suggestions for a mistyped command do, imports every module, in
    ``_COMMANDS`` order, so all of those read exactly as with every module imported at start.
    """

    def __init__(self, given: Mapping[str, Any]) -> None:
        self._d: dict[str, Any] = dict(given)

    def _one(self, name: str) -> None:
        if name in _COMMANDS and name not in self._d:
            cmd = _load_command(name)
            if cmd is not None:
                self._d[name] = cmd

    def _ordered(self) -> list[str]:
        for name in _COMMANDS:
            self._one(name)
        return [n for n in _COMMANDS if n in self._d] + [n for n in self._d if n not in _COMMANDS]

    def __getitem__(self, name: str) -> Any:
        self._one(name)
        return self._d[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._one(name)
        return name in self._d

    def __setitem__(self, name: str, cmd: Any) -> None:
        self._d[name] = cmd

    def __delitem__(self, name: str) -> None:
        del self._d[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ordered())

    def __len__(self) -> int:
        return len(self._ordered())


class _LazyGroup(TyperGroup):
    """The top-level group, its ``commands`` a :class:`_LazyCommands`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands(self.commands)


app = typer.Typer(
    name="tailrace",
    help="NASCAR DFS portfolios aimed at the tail of the score distribution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_LazyGroup,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    graph: str | None = typer.Option(None, "--graph", help="Graph database URI (bolt:// or neo4j://) for "
                                     "--history graph and stored specs; default TAILRACE_GRAPH_URI."),
) -> None:
    """NASCAR DFS portfolios aimed at the tail of the score distribution."""
    # lazy: a command is about to run; --help alone never loads the preloads (nor importlib.abc under them)
    from tailrace.startup import preload_numba_blas, preload_special_ufuncs

    run = ctx.ensure_object(CliRun)  # main's, or a new one when the app is invoked directly
    run.graph_uri = graph
    run.command = ctx.invoked_subcommand
    ctx.call_on_close(_close_graph)
    preload_numba_blas()  # a command is about to run: numba's BLAS check without all of scipy.linalg
    preload_special_ufuncs()  # the simulator's two scipy.special ufuncs without the package's __init__ (startup.py)


def _close_graph() -> None:
    """Close every graph driver this command opened, when the command's context ends (errors too).

    A Bolt driver left open at exit can leave the server mid-handshake for the next client (seen
    with FalkorDB: every second ``tailrace graph load`` failed). Nothing is imported when no graph
    was used.
    """
    mod = sys.modules.get("tailrace.store.graph.connection")
    if mod is not None:
        mod.close_all()

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
    run = CliRun()  # this run's --graph and command, filled by the callback; read here after the command ended
    try:
        app(args=argv, standalone_mode=False, obj=run)
    except (InputError, InfeasibleError, TailraceError) as exc:
        exc = exc.worded(partial(say_as_flag, command=run.command))  # the library's parameters as this command's flags
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
