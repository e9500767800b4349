"""Settings from the environment: defaults, parsing, limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tailrace.api.settings import Settings

pytestmark = pytest.mark.service


def test_defaults_and_parsing() -> None:
    s = Settings.from_env({})
    assert s.data_dir == Path("tailrace-data") and s.max_scenarios == 200_000 and s.max_lineups == 150
    assert s.api_key is None and s.cors_origins == () and s.history_path is None
    s = Settings.from_env({"TAILRACE_DATA_DIR": "/x", "TAILRACE_API_KEY": "k", "TAILRACE_MAX_SCENARIOS": "5000",
                           "TAILRACE_CORS_ORIGINS": "http://a.example, http://b.example", "TAILRACE_API_KEY_": "no"})
    assert s.data_dir == Path("/x") and s.api_key == "k" and s.max_scenarios == 5000
    assert s.cors_origins == ("http://a.example", "http://b.example")
    assert s.cache_dir == Path("/x/scenario-cache")


def test_bad_values_are_rejected() -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"TAILRACE_MAX_SCENARIOS": "lots"})
    with pytest.raises(ValueError, match="150"):
        Settings.from_env({"TAILRACE_MAX_LINEUPS": "151"})


def test_every_field_has_the_environment_variable_its_description_names():
    # one rule maps fields to variables; the descriptions users read must say the same
    for name, f in Settings.model_fields.items():
        assert re.match(re.escape(Settings.env_var(name)) + r"(?![A-Z_])", f.description or ""), (name, f.description)
