"""Driver strengths: the simulator's log-strength per driver, from what the user has.

Strength is the race model's log-strength (``tailrace.sim.race``: performance = strength +
start_weight * start_term(start) - noise * Gumbel). Four modules, one job each:

``from_slate``
    Strengths from the slate's own numbers: projections (fitted so simulated means match),
    odds (de-vigged, fitted to every market jointly), ratings, or salary as a fallback
    (``resolve_strengths``, ``devig``, ``strength_from_start``).
``cache``
    ``resolve_strengths`` cached on disk by content (``cached_strengths``), so a slate's fit
    runs once per seed.
``ratings``
    The reversed Plackett–Luce rating fit on a results history (``fit_ratings``), its two
    calibration baselines, and ``to_strength`` (ratings → simulator strength).
``from_history``
    A history file as a fitted model (``HistoryModel``, memoised by content), the race's
    starting grid from it, and the blend of history and user strengths (``blend``).

One blend convention: ``weight`` is always the history's share (``w h + (1 - w) u``), in
``from_history.blend``, ``ratings.blend_strengths`` and ``--history-weight``.

The package imports nothing itself, so ``tailrace.sim.strength.ratings`` (the calibration
report's road) never loads the race kernels; import the module you need.
"""
