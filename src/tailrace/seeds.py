"""The seeds tailrace accepts, and the range above them that only a contest's judge stream uses.

Every command and API request that simulates takes a seed in ``[0, MAX_SEED]`` (its fresh
validation set uses ``seed + 1``; ``plan`` takes at most ``MAX_SEED - 2`` and also simulates
``seed + 1`` and ``seed + 2``). A contest judges a portfolio on races simulated with a *judge
seed* (:func:`tailrace.judging.judge_seed`) in ``[JUDGE_LOW, 2**64)``, above all of those, so a
contest never judges on a set any accepted seed optimised on or validated with. One module, free of numpy, so the CLI's flag
declarations and the API's schemas take the bound from the same place as the judge stream.
"""

from __future__ import annotations

__all__ = ["MAX_SEED", "JUDGE_LOW"]

#: The largest seed a simulating command or request accepts (numpy's int64 range).
MAX_SEED = 2**63 - 1
#: The smallest judge seed, 2**63 + 1: above MAX_SEED + 1 (the furthest set an accepted seed simulates).
JUDGE_LOW = MAX_SEED + 2
