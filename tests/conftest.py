"""Shared fixtures: the real race data in ../shared/data (CI always has it)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "cup_results_2019_2023.csv"


@pytest.fixture(scope="session")
def shared_results_path() -> Path:
    """Path to the real 2019–2023 Cup results; skips (with the reason) only where absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"real race data not found at {SHARED_DATA} (CI always has it)")
    return SHARED_DATA


@pytest.fixture(params=["default", "excess", "lists"])
def screen(request):
    """The search config to run a test with, three ways: as shipped; with the scenario-major
    excess pass at every solve (small slates never reach its size threshold); and with it
    off (triple splits and the list screen, the path for slates too large for its
    accumulators). Pass it on as ``search=screen``."""
    from tailrace.optimize.search import SearchConfig

    return {"default": SearchConfig(), "excess": SearchConfig(excess_min=-1),
            "lists": SearchConfig(upper_strategy="lists")}[request.param]
