"""The strengths subpackage (issue 27 item 6): moved files keep the strength cache's keys, the one
README-documented old name still works (with a warning), and the package imports light."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import tailrace

SRC = Path(tailrace.__file__).parent


def test_strength_code_digest_hashes_the_fit_files_by_content() -> None:
    """The key's code digest is the sha256 of these files' bytes, in this order (the order
    and files of the pre-move ``sim/strength.py``, then the two modules split out of ``sim/params.py``
    that hold what the fit and the race run): not the package's ``__init__.py``."""
    from tailrace.sim.strength.cache import _code_digest

    files = ["sim/strength/from_slate.py", "sim/race.py", "sim/params.py", "sim/scoring.py", "sites.py", "rng.py",
             "sim/track_params.py", "sim/pool_model.py"]
    h = hashlib.sha256()
    for f in files:
        h.update((SRC / f).read_bytes())
    assert _code_digest() == h.hexdigest()


def test_history_strength_alias_warns_and_gives_the_moved_function() -> None:
    from tailrace.sim.strength import from_history

    import tailrace.sim.history_strength as old

    with pytest.warns(DeprecationWarning, match="moved to tailrace.sim.strength.from_history"):
        fn = old.slate_from_history_grid
    assert fn is from_history.slate_from_history_grid
    with pytest.raises(AttributeError):
        old.history_model  # noqa: B018  (only the README-documented name is kept)


def test_ratings_import_does_not_load_the_race_kernels() -> None:
    code = ("import sys, tailrace.sim.strength, tailrace.sim.strength.ratings, tailrace.sim.strength.from_history\n"
            "print('tailrace.sim.race' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC.parent), "PATH": ""})
    assert out.stdout.split() == ["False", "False"]


def test_contest_simulate_is_the_module_and_run_contest_the_function() -> None:
    import tailrace.contest as contest

    assert isinstance(contest.simulate, types.ModuleType)
    assert callable(contest.run_contest) and "run_contest" in contest.__all__ and "simulate" not in contest.__all__
