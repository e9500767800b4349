"""Service settings: limits, data directory, API key, CORS — read from TAILRACE_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from tailrace.sim.cache_prune import DEFAULT_MAX_BYTES, parse_max_bytes


class Settings(BaseModel):
    """Everything the service can be configured with; every field has an environment variable."""

    data_dir: Path = Field(Path("tailrace-data"), description="TAILRACE_DATA_DIR: SQLite store and scenario cache")
    api_key: str | None = Field(None, description="TAILRACE_API_KEY: when set, required (X-API-Key) on all but /health")
    cors_origins: tuple[str, ...] = Field((), description="TAILRACE_CORS_ORIGINS: comma-separated; empty = CORS off")
    history_path: Path | None = Field(None, description="TAILRACE_HISTORY: race-history CSV for calibration_metrics")
    graph_uri: str | None = Field(None, description="TAILRACE_GRAPH_URI: keep constraint specs in this graph "
                                  "(Neo4j 5, bolt:// or neo4j://) instead of SQLite; user/password from "
                                  "TAILRACE_GRAPH_USER / TAILRACE_GRAPH_PASSWORD")
    max_upload_bytes: int = Field(5_000_000, description="TAILRACE_MAX_UPLOAD_BYTES: per request body")
    max_scenarios: int = Field(200_000, description="TAILRACE_MAX_SCENARIOS")
    max_lineups: int = Field(150, description="TAILRACE_MAX_LINEUPS (never above 150)")
    sync_time_limit: float = Field(60.0, description="TAILRACE_SYNC_TIME_LIMIT: seconds a synchronous call may take")
    job_workers: int = Field(2, description="TAILRACE_JOB_WORKERS: worker processes for async jobs")
    job_start: Literal["auto", "forkserver", "spawn"] = Field(
        "auto", description="TAILRACE_JOB_START: how a job's worker process starts: forkserver (forked from a "
        "process that has already imported everything a job needs, so no interpreter start-up per job), spawn "
        "(a new interpreter per job) or auto (forkserver on Linux, spawn elsewhere); the answers are the same")
    cache_memory_bytes: int = Field(512_000_000, description="TAILRACE_CACHE_MEMORY_BYTES: in-memory scenario cache")
    cache_max_bytes: int | None = Field(
        DEFAULT_MAX_BYTES, ge=1, description="TAILRACE_CACHE_MAX_BYTES: bound on the scenario cache directory on disk "
        "(least recently used entries deleted after each write; e.g. 2GB, 500MB; default 2 GB; 0 or none: no bound)")
    calibration_races: int = Field(
        6, ge=1, le=100, description="TAILRACE_CALIBRATION_RACES: recent races of the track type in calibration_metrics")
    explain_binding_limit: int = Field(
        3, ge=0, description="TAILRACE_EXPLAIN_BINDING_LIMIT: lineups that get constraint_binding (each re-solves)")

    @field_validator("cache_max_bytes", mode="before")
    @classmethod
    def _size(cls, v: object) -> object:
        """A size as ``TAILRACE_CACHE_MAX_BYTES`` says it (``2GB``, ``none``); 0 is no bound."""
        if isinstance(v, str):
            try:
                return parse_max_bytes(v)
            except ValueError:  # InputError (names the variable; pydantic names the field)
                raise ValueError(f"{v!r} is not a size in bytes: give e.g. 2000000000, 2GB, 500MB or 4GiB, "
                                 "or 0 or none for no bound") from None
        return None if v == 0 else v

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "scenario-cache"

    @classmethod
    def env_var(cls, name: str) -> str:
        """The environment variable of field ``name``: ``TAILRACE_`` + its name in capitals
        (``history_path`` keeps its historical ``TAILRACE_HISTORY``)."""
        return _ENV_EXCEPTIONS.get(name, "TAILRACE_" + name.upper())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from TAILRACE_* variables (unset or empty ones keep their defaults); bad
        values raise ValueError. ``env`` replaces ``os.environ`` (tests pass their own)."""
        e = os.environ if env is None else env
        kw: dict[str, object] = {}
        for name in cls.model_fields:
            v = e.get(cls.env_var(name))
            if v is None or not v.strip():
                continue
            kw[name] = tuple(o.strip() for o in v.split(",") if o.strip()) if name == "cors_origins" else v
        s = cls.model_validate(kw)
        if not 1 <= s.max_lineups <= 150:
            raise ValueError("TAILRACE_MAX_LINEUPS must be between 1 and 150")
        return s


_ENV_EXCEPTIONS = {"history_path": "TAILRACE_HISTORY"}
