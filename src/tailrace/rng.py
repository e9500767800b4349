"""One way to turn a seed into a random generator, and the table of tailrace's streams.

Every stochastic stage takes ``seed`` (an int, a ``SeedSequence``, or a ready
``numpy.random.Generator``) and calls :func:`as_generator`, in the spirit of
``numpy.random.default_rng``. Stages that must not share draws take child streams of one
user seed through :func:`stream`, so adding draws to one stage never shifts another.

Streams (what each draws, which bit generator, and the seed it starts from):

======================  ==========  ===================================================
use                     generator   seed
======================  ==========  ===================================================
race simulation, block  SFC64       ``SeedSequence(seed, spawn_key=(b,))``, block b of
                                    ``sim.simulate.BLOCK`` scenarios (``sim/simulate.py``)
strength fitting        SFC64       ``SeedSequence(seed, spawn_key=(2**30,))``
                                    (projections / odds, ``sim/strength.py``)
contest field           PCG64       the contest's ``seed`` (``contest/field.py``)
field ensemble          PCG64       one integer drawn from the contest field's generator
                                    after the field; member i its i-th child seed
                                    (``contest/ensemble.py``, ``make_contest``)
bootstrap intervals     PCG64       ``tail.bootstrap_ci``'s ``rng``
calibration PIT         PCG64       ``[seed, race id, 1]`` (``calibration.py``)
track-parameter fit     PCG64       20190217, fixed (``sim/params.py``)
======================  ==========  ===================================================

SFC64 is the race model's generator (fast for the many small draws of the block setup);
PCG64 is numpy's default. Each stream keeps the generator it was published with, so results
stay byte-identical across releases. Inside the race kernel, per-car draws come from a
counter-based hash keyed by the block generator; its per-car streams are the
``STREAM_*`` constants of ``sim/race.py``.
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np

Seed = int | Sequence[int] | np.random.SeedSequence | np.random.Generator | None

_BIT_GENERATORS = {"pcg64": np.random.PCG64, "sfc64": np.random.SFC64}


def as_generator(seed: Seed, bit_generator: Literal["pcg64", "sfc64"] = "pcg64") -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``seed``; a Generator passes through unchanged.

    Parameters
    ----------
    seed : int, sequence of int, SeedSequence, Generator or None
        ``None`` draws fresh entropy (not reproducible; tailrace's faces always pass a seed).
    bit_generator : {"pcg64", "sfc64"}
        The bit generator for a new Generator (see the stream table in the module docstring).

    Returns
    -------
    numpy.random.Generator
        For ``"pcg64"`` the same stream as ``numpy.random.default_rng(seed)``.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.Generator(_BIT_GENERATORS[bit_generator](seed))


def stream(seed: int | np.random.SeedSequence, key: int) -> np.random.SeedSequence:
    """Child stream ``key`` of a user seed: ``SeedSequence(seed, spawn_key=(key,))``.

    A SeedSequence passed in keeps its entropy and gets ``key`` appended to its spawn key.
    """
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key))
    return np.random.SeedSequence(seed, spawn_key=(key,))
