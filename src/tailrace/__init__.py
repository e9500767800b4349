"""tailrace: NASCAR DFS portfolios aimed at the tail of the score distribution."""

__version__ = "0.1.0"
