"""Small in-process stores keyed by the content of their inputs: the enumerations
(``lineup.enumerate_feasible``) and the scenario optima (``scenario_optimal.scenario_optima``)
are kept here between calls of one process, least recently used dropped first.

Same inputs, same key, same arrays: a hit can only save time, never change an answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np


def add_array(h: Any, a: np.ndarray) -> None:
    """Feed array ``a`` to hash ``h``: its shape, dtype and bytes (C order), so arrays that differ
    in any of them give different keys."""
    a = np.ascontiguousarray(a)
    h.update(str(a.shape).encode() + a.dtype.str.encode() + a.tobytes())


class LruMemo:
    """At most ``size`` values by key (bytes), least recently used dropped first; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = int(size)
        self._items: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Any:
        """The value kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: bytes, value: Any) -> None:
        """Keep ``value`` under ``key``, dropping the least recently used beyond ``size``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items
