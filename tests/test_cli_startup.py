"""Start-up of a tailrace process: command modules imported on demand, numba's BLAS check without
all of scipy.linalg (cli/__init__.py, startup.py). Nothing a user sees may change."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from tailrace import cli


def _eager_app() -> typer.Typer:
    """The CLI as built before: every command module imported and registered at start."""
    app = typer.Typer(name="tailrace", help="NASCAR DFS portfolios aimed at the tail of the score distribution.",
                      no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
    app.registered_callback = cli.app.registered_callback
    for name in cli._COMMANDS:
        importlib.import_module(f"tailrace.cli.{name}").register(app)
    return app


ARGS = [["--help"], [], ["simulat"], ["graph"], ["graph", "--help"], ["simulate", "--site", "xx"],
        ["optimize", "--nope"]] + [[c, "--help"] for c in cli._COMMANDS]


@pytest.mark.parametrize("args", ARGS, ids=[" ".join(a) or "no-args" for a in ARGS])
def test_help_usage_and_errors_read_as_with_every_module_loaded(args: list[str]) -> None:
    runner = CliRunner()
    lazy = runner.invoke(cli.app, args, prog_name="tailrace", env={"COLUMNS": "100"})
    eager = runner.invoke(_eager_app(), args, prog_name="tailrace", env={"COLUMNS": "100"})
    assert lazy.output == eager.output
    assert lazy.exit_code == eager.exit_code
    assert lazy.output.strip()


def test_a_command_imports_its_own_module_only() -> None:
    code = ("import sys\nfrom tailrace.cli import main\n"
            "rc = main(['simulate', '--help'])\n"
            "print(rc, sorted(m for m in sys.modules if m.startswith('tailrace.cli.') and m != 'tailrace.cli.options'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 ['tailrace.cli.simulate']"


def test_every_command_is_listed_in_order() -> None:
    root = typer.main.get_command(cli.app)
    assert list(root.commands) == list(cli._COMMANDS)
    assert "simulate" in root.commands and "nope" not in root.commands
    assert root.commands.get("nope") is None


_BLAS_CHECK = """
import sys
from tailrace.startup import preload_numba_blas
first = preload_numba_blas()
second = preload_numba_blas()
import numba, numpy as np

@numba.njit
def total(x):
    return x.sum()

s = total(np.arange(10.0))  # compiling loads numba's registries, numba.np.arraymath's BLAS check among them
import numba.np.arraymath as am
linalg_before = "scipy.linalg" in sys.modules
import scipy.linalg
from scipy.linalg import blas
c = blas.dgemm(1.0, np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0], [6.0]]))
print(first, second, am._HAVE_BLAS, linalg_before, s, scipy.linalg.cython_blas is sys.modules["scipy.linalg.cython_blas"],
      c.ravel().tolist())
"""


def test_numba_sees_blas_without_loading_scipy_linalg_and_scipy_linalg_still_works() -> None:
    out = subprocess.run([sys.executable, "-c", _BLAS_CHECK], capture_output=True, text=True, check=True)
    # preloaded once; numba finds BLAS as it would by importing scipy.linalg; scipy.linalg stayed
    # unloaded until asked for, then adopted the module; a BLAS call gives 1*5+2*6=17, 3*5+4*6=39
    assert out.stdout.split() == ["True", "False", "True", "False", "45.0", "True", "[17.0,", "39.0]"]


def test_without_the_preload_numba_sees_the_same_blas() -> None:
    code = _BLAS_CHECK.replace("preload_numba_blas()", "None")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # numba's own import loads all of scipy.linalg; its BLAS flag is the same as with the preload
    assert out.stdout.split()[2:4] == ["True", "True"]
