"""Service settings: limits, data directory, API key, CORS — read from TAILRACE_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field


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
    cache_memory_bytes: int = Field(512_000_000, description="TAILRACE_CACHE_MEMORY_BYTES: in-memory scenario cache")
    calibration_races: int = Field(
        6, ge=1, le=100, description="TAILRACE_CALIBRATION_RACES: recent races of the track type in calibration_metrics")
    explain_binding_limit: int = Field(
        3, ge=0, description="TAILRACE_EXPLAIN_BINDING_LIMIT: lineups that get constraint_binding (each re-solves)")

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "scenario-cache"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Settings from TAILRACE_* variables (unset ones keep their defaults); bad values raise ValueError."""
        e = os.environ if env is None else env
        kw: dict[str, object] = {}
        simple = {
            "TAILRACE_DATA_DIR": "data_dir",
            "TAILRACE_API_KEY": "api_key",
            "TAILRACE_HISTORY": "history_path",
            "TAILRACE_GRAPH_URI": "graph_uri",
            "TAILRACE_MAX_UPLOAD_BYTES": "max_upload_bytes",
            "TAILRACE_MAX_SCENARIOS": "max_scenarios",
            "TAILRACE_MAX_LINEUPS": "max_lineups",
            "TAILRACE_SYNC_TIME_LIMIT": "sync_time_limit",
            "TAILRACE_JOB_WORKERS": "job_workers",
            "TAILRACE_CACHE_MEMORY_BYTES": "cache_memory_bytes",
            "TAILRACE_EXPLAIN_BINDING_LIMIT": "explain_binding_limit",
            "TAILRACE_CALIBRATION_RACES": "calibration_races",
        }
        for var, name in simple.items():
            v = e.get(var)
            if v not in (None, ""):
                kw[name] = v
        origins = e.get("TAILRACE_CORS_ORIGINS", "")
        if origins.strip():
            kw["cors_origins"] = tuple(o.strip() for o in origins.split(",") if o.strip())
        s = cls.model_validate(kw)
        if not 1 <= s.max_lineups <= 150:
            raise ValueError("TAILRACE_MAX_LINEUPS must be between 1 and 150")
        return s
