"""The blend of history and user strengths: ``w h + (1 - w) u`` for the drivers the history knows.

Its own module so the simulator imports the blend without the history model (the rating fit and
scipy.sparse under it); ``tailrace.sim.strength.from_history`` re-exports both functions and says
why the weight is not fitted.
"""

from __future__ import annotations

import numpy as np

DEFAULT_WEIGHT = 0.5  # the history's share in a blend unless the user sets it


def blend(history: np.ndarray, user: np.ndarray, known: np.ndarray, weight: float) -> np.ndarray:
    """``weight * h + (1 - weight) * u`` for drivers the history knows, ``u`` for the others.

    Parameters
    ----------
    history, user : ndarray of shape (n,)
        Log-strengths (each is centred first; the simulator ignores a common shift).
    known : ndarray of shape (n,), bool
        Drivers the history knows; the others keep the user's strength alone.
    weight : float
        The history's share, in [0, 1] (the convention of ``tailrace.sim.strength.ratings.blend_strengths``
        and ``--history-weight``): 1 = the history alone for known drivers, 0 = the user's numbers.

    Returns
    -------
    ndarray of shape (n,), centred to mean 0
    """
    h = np.asarray(history, np.float64)
    u = np.asarray(user, np.float64)
    w = np.where(np.asarray(known, bool), float(weight), 0.0)
    out = w * (h - h.mean()) + (1.0 - w) * (u - u.mean())
    return out - out.mean()


def blend_weight(weight: float | None = None) -> tuple[float, str]:
    """The history's share in the blend and how it was chosen: ``weight`` if given (checked to
    lie in [0, 1]), else :data:`DEFAULT_WEIGHT` (``tailrace.sim.strength.from_history``'s docstring: why it is not fitted)."""
    if weight is None:
        return DEFAULT_WEIGHT, "default even split (the history weight sets it)"
    if not 0.0 <= weight <= 1.0:
        raise ValueError("the history weight must lie in [0, 1]")
    return float(weight), "given"
