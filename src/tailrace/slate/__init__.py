"""Driver and Slate: one race on one site; readers for the sites' salary exports and projections.

The dataclasses (``model``) are the contract every other module uses. The readers, one job per
module: ``cells`` (a file's text, CSV records, headers, value parsers), ``names`` (the tolerant
name matcher), ``salaries`` (``read_salaries``: DraftKings export, FanDuel player list),
``projections`` (``read_projections``), ``read`` (``read_slate``: both, names matched
tolerantly; ``demo_paths``/``demo_slate``). Every public name is importable from here.
"""

from __future__ import annotations

from tailrace.slate.cells import MAX_SLATE_ROWS, parse_odds
from tailrace.slate.left_out_refs import find_left_out, left_out_reason
from tailrace.slate.model import Driver, LeftOut, Slate
from tailrace.slate.names import NameMatch, match_names, normalize_name, ref_site_id
from tailrace.slate.projections import PROJECTION_RANGE, ProjectionRow, read_projections
from tailrace.slate.read import demo_paths, demo_slate, read_slate
from tailrace.slate.salaries import DK_HEADER, FD_HEADER, read_salaries

__all__ = [
    "DK_HEADER", "FD_HEADER", "MAX_SLATE_ROWS", "PROJECTION_RANGE", "Driver", "LeftOut", "NameMatch",
    "ProjectionRow", "Slate", "demo_paths", "demo_slate", "match_names", "normalize_name",
    "find_left_out", "left_out_reason", "parse_odds", "read_projections", "ref_site_id", "read_salaries", "read_slate",
]
