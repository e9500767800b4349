"""Contest mode's engine (``tailrace.optimize.contest_mode`` runs it and re-exports its public
names): the candidate pool (``pool``), candidates' paid standings (``paid``, with the grid
kernel in ``standings``), the greedy selection (``selection``), the cross-validated cap (``cv``),
the result and shared constants (``result``), the fields it selects and validates against
(``fields``), the honest estimate of its ROI (``estimate``) and the duplicate admission
(``duplicates``)."""
