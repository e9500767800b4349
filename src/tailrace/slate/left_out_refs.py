"""Whether a reference in another input (an ownership or field file row, a spec's lock) names a
driver the slate left out, so the command can say that instead of "not on the slate".

A slate built on a race's starting grid, or matched to a scenario set that records its
non-starters (``tailrace.sim.left_out``), keeps those salary-file drivers in ``Slate.left_out``.
Real ownership lists and field files still name them (a non-starter at ~0 %); calling them
"not in the salary file" would be false, since they are in it.
"""

from __future__ import annotations

from tailrace.slate.model import LeftOut, Slate
from tailrace.slate.names import match_names, ref_site_id

__all__ = ["find_left_out", "left_out_reason"]

def find_left_out(ref: str, slate: Slate) -> LeftOut | None:
    """The left-out driver ``ref`` names, or None.

    ``ref`` is matched as the slate's own drivers are: a site ID, DraftKings ``Name (ID)``,
    FanDuel ``ID:Name``, or a name through the tolerant matcher (``match_names``; an ambiguous
    name matches nobody).

    Parameters
    ----------
    ref : str
        The cell or spec entry as given.
    slate : Slate
        Its ``left_out`` is searched (not its drivers: call this only for a ref that matched none).

    Returns
    -------
    LeftOut or None
    """
    if not slate.left_out:
        return None
    by_id = {d.id: d for d in slate.left_out}
    if (sid := ref_site_id(ref, by_id)) is not None:
        return by_id[sid]
    hit = match_names([str(ref).strip()], [d.name for d in slate.left_out])[0]
    return slate.left_out[hit.index] if hit.index is not None else None


def left_out_reason(d: LeftOut) -> str:
    """``"Chase Elliott (ID 123) is left out of the slate: not on the starting grid of ..."``."""
    return f"{d.name} (ID {d.id}) is left out of the slate: {d.reason}"
