"""Contest mode's parts beside ``tailrace.optimize.contest_mode``: the fields it selects and
validates against (``fields``) and the honest estimate of its ROI (``estimate``)."""
