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


def test_cache_max_bytes_reads_sizes_and_reaches_the_cache(tmp_path: Path) -> None:
    from tailrace.api.context import _make_cache

    assert Settings.from_env({}).cache_max_bytes == 2_000_000_000
    assert Settings.from_env({"TAILRACE_CACHE_MAX_BYTES": "500MB"}).cache_max_bytes == 500_000_000
    assert Settings.from_env({"TAILRACE_CACHE_MAX_BYTES": "1GiB"}).cache_max_bytes == 2**30
    assert Settings.from_env({"TAILRACE_CACHE_MAX_BYTES": "none"}).cache_max_bytes is None
    assert Settings.from_env({"TAILRACE_CACHE_MAX_BYTES": "0"}).cache_max_bytes is None
    with pytest.raises(ValueError, match="'lots' is not a size in bytes") as ei:
        Settings.from_env({"TAILRACE_CACHE_MAX_BYTES": "lots"})
    assert "cache_max_bytes" in str(ei.value)
    s = Settings(data_dir=tmp_path, cache_max_bytes=123_456)
    assert _make_cache(s).disk_bound() == 123_456 and _make_cache(Settings(data_dir=tmp_path, cache_max_bytes=0)
                                                                 ).disk_bound() is None
