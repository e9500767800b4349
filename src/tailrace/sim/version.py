"""The race model's version, in a module of its own so a cache key can be made without loading
the race kernels (``tailrace.sim.keys``; a cache hit then costs no numba import).

Part of every cache key, so scenarios or fits made by another model are never served. Bump it
whenever the kernel's numbers change.
"""

from __future__ import annotations

MODEL_VERSION = "race-model-4"  # 2: the winner leads at least one lap; 3: pace with the trouble cap; 4: start-only
# curve, track position, winner and lapped-car pool terms, every car capped at its laps (issue 11)
