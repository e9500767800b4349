"""Real-race backtest: every portfolio method on real slates and results (see run.py)."""
