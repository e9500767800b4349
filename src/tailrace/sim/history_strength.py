"""Deprecated: moved to :mod:`tailrace.sim.strength.from_history`.

Kept only for the name README.md documents, ``slate_from_history_grid``; reading it warns
(``DeprecationWarning``) and gives the moved function. Import from
``tailrace.sim.strength.from_history`` instead.
"""

from __future__ import annotations

import warnings
from tailrace.sim.strength import from_history

_MOVED = ("slate_from_history_grid",)


def __getattr__(name: str):
    if name in _MOVED:
        warnings.warn(f"tailrace.sim.history_strength.{name} moved to tailrace.sim.strength.from_history.{name}",
                      DeprecationWarning, stacklevel=2)
        return getattr(from_history, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
