"""Usage errors: a message and exit code 2, never a traceback (issue 12, defect 2).

typer >= 0.20 vendors its own click, whose exceptions are not ``click.ClickException``;
before the fix every case below ended in a traceback with exit 1.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tailrace.cli import main

CASES = [
    (["nosuchcmd"], "No such command"),
    (["optimize", "--bogus"], "No such option"),
    (["optimize", "--site", "dk"], "Missing option"),
    (["simulate", "--site", "dk", "--salaries", "x.csv", "--scenarios", "0"], "--scenarios"),
    (["simulate", "--site", "dk", "--salaries", "x.csv", "--scenarios", "many"], "--scenarios"),
    (["score"], "Missing"),
    (["optimize", "--site", "dk", "--salaries", "x.csv", "--time-limit", "-1"], "--time-limit"),
    (["simulate", "--site", "dk", "--salaries", "x.csv", "--scenarios", "1000000000"], "--scenarios"),
]


@pytest.mark.parametrize("argv,needle", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_usage_error_is_a_message_and_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture) -> None:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert needle in err
    assert "Traceback" not in err


def test_usage_error_through_the_installed_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "tailrace.cli", "optimize", "--bogus"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "No such option" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_still_exits_0(capsys: pytest.CaptureFixture) -> None:
    assert main(["--help"]) == 0
    assert "optimize" in capsys.readouterr().out
