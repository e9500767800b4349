"""Lineups as parts: the drivers a set of lineups holds, and the splits of a lineup's positions
into parts of up to three that the subadditivity bound sums over (coded for the kernels)."""

from __future__ import annotations

import math

import numpy as np

from tailrace.optimize.search_config import DEFAULT_CONFIG


def drivers_in(masks: np.ndarray) -> np.ndarray:
    """Driver indices that appear in at least one of the lineups (bit sets)."""
    allbits = np.bitwise_or.reduce(masks) if len(masks) else np.uint64(0)
    return np.flatnonzero((allbits >> np.arange(64, dtype=np.uint64)) & np.uint64(1))


def set_partitions(r: int, size: int = 3, limit: int = DEFAULT_CONFIG.max_splits) -> list[list[list[int]]]:
    """Partitions of positions 0..r-1 into ceil(r/size) blocks of at most ``size`` (the first
    ``limit`` of them)."""
    nb = max(1, math.ceil(r / size))
    out: list[list[list[int]]] = []

    def rec(pos: int, blocks: list[list[int]]) -> None:
        if len(out) >= limit:
            return
        if pos == r:
            if len(blocks) == nb:
                out.append([list(b) for b in blocks])
            return
        for b in blocks:
            if len(b) < size:
                b.append(pos)
                rec(pos + 1, blocks)
                b.pop()
        if len(blocks) < nb:
            blocks.append([pos])
            rec(pos + 1, blocks)
            blocks.pop()

    rec(0, [])
    return out


def _split_array(parts: list[list[list[int]]]) -> np.ndarray:
    nparts = max(len(p) for p in parts)
    arr = -np.ones((len(parts), nparts, 3), np.int64)
    for q, sp in enumerate(parts):
        for p, blk in enumerate(sp):
            arr[q, p, : len(blk)] = blk
    return arr


def _part_code(drivers: tuple[int, ...], n: int) -> int:
    code = 0
    for j in range(3):
        d = drivers[j] if j < len(drivers) else n
        code = code * (n + 1) + d
    return code
