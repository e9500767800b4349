"""Stored portfolios: GET /portfolios/{id}, the upload CSV, and filling a DKEntries.csv."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tailrace.api.deps import StoreDep
from tailrace.api.routes.common import errors
from tailrace.api.records import export_csv, fill_entries

router = APIRouter(tags=["portfolios"])

_CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "the CSV file"}}


@router.get("/portfolios/{portfolio_id}", responses=errors(401, 404))
def get_portfolio(portfolio_id: str, store: StoreDep) -> dict[str, Any]:
    """A stored portfolio: its slate id, lineups (site driver ids) and how it was made."""
    return {"portfolio_id": portfolio_id, **store.get_portfolio(portfolio_id)}


@router.get("/portfolios/{portfolio_id}/export", response_class=Response, responses={**_CSV, **errors(401, 404, 422)})
def export(portfolio_id: str, store: StoreDep,
           site: Literal["dk", "fd"] | None = Query(None, description="default: the slate's site")) -> Response:
    """The site's upload CSV for the portfolio (cells neutralised against formula injection)."""
    name, text = export_csv(store, portfolio_id, site)
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/portfolios/{portfolio_id}/entries", response_class=Response,
             responses={**_CSV, **errors(401, 404, 413, 422)})
async def entries(portfolio_id: str, store: StoreDep,
                  file: UploadFile = File(..., description="DKEntries.csv as downloaded from DraftKings")) -> Response:
    """Fill an uploaded DKEntries.csv with the portfolio's lineups, keeping its entry columns."""
    data = await file.read()
    name, text = await run_in_threadpool(fill_entries, store, portfolio_id, data, file.filename)
    return Response(text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
