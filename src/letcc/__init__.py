"""LeTCC: learning-theoretic coded computing with smoothing-spline codes."""

__version__ = "0.1.0"
