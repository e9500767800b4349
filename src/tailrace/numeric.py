"""Small numeric helpers shared by the model fits and the contest model."""

from __future__ import annotations

from collections.abc import Callable


def bisect_increasing(f: Callable[[float], float], target: float, lo: float, hi: float, iters: int) -> float:
    """x in [lo, hi] with f(x) = target for increasing f: ``iters`` halvings, then the midpoint.

    The caller handles a target outside [f(lo), f(hi)] (each does so differently).
    """
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
