"""Persistence for the service: slates, constraint specs, scenario-set metadata, portfolios, jobs."""

from tailrace.store.db import JOB_STATES, NotFound, Store, content_id
from tailrace.store.serialize import slate_from_dict, slate_to_dict

__all__ = ["JOB_STATES", "NotFound", "Store", "content_id", "slate_from_dict", "slate_to_dict"]
