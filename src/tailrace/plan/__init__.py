"""The contest-day plan: a race day's contests and a bankroll (above the pipeline, below the faces).

``contests`` reads the day's contests file, ``allocate`` decides the entries per contest by
expected log-growth, ``run`` builds, allocates and reports.
"""
