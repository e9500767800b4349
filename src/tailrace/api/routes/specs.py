"""Stored constraint specs: POST /constraint-specs, GET /constraint-specs, GET /constraint-specs/{id}.

Kept in SQLite, or in the graph when TAILRACE_GRAPH_URI is set (then the CLI's
``tailrace graph save-spec`` and these endpoints see the same specs).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tailrace.api.deps import SpecStoreDep
from tailrace.api.routes.common import errors
from tailrace.api.schemas import SpecCreate, SpecList, SpecResponse

router = APIRouter(tags=["constraint specs"])


@router.post("/constraint-specs", response_model=SpecResponse, status_code=201, responses=errors(401, 413, 422, 503))
def create_spec(body: SpecCreate, store: SpecStoreDep) -> dict[str, Any]:
    """Store a ConstraintSpec (validated field by field) under an optional name."""
    spec_id = store.put_spec(body.spec.model_dump(mode="json"), body.name)
    return store.get_spec(spec_id)


@router.get("/constraint-specs", response_model=SpecList, responses=errors(401, 503))
def list_specs(store: SpecStoreDep) -> dict[str, Any]:
    """All stored specs, newest first."""
    return {"specs": store.list_specs()}


@router.get("/constraint-specs/{spec_id}", response_model=SpecResponse, responses=errors(401, 404, 503))
def get_spec(spec_id: str, store: SpecStoreDep) -> dict[str, Any]:
    """One stored spec."""
    return store.get_spec(spec_id)
