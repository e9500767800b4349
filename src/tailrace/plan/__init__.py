"""The contest-day plan: a race day's contests and a bankroll (above the pipeline, below the faces).

``contests`` reads the day's contests file, ``allocate`` decides the entries per contest by
expected log-growth, ``run`` builds, allocates and reports, one step a module: ``fields`` draws
each contest's field per role, ``contest_mode`` builds one contest under the day's overlap rule
(``overlap``), ``build`` builds every contest and rebuilds for the exposure rules (``exposure``),
``decide`` decides the entries on the allocation set, ``report`` computes the figures on the
report set, ``result`` assembles the JSON document.
"""
