"""Uncertainty estimates: Monte Carlo dropout prediction."""

from kreg.uncertainty.mc_predict import MCPrediction, mc_predict

__all__ = ["MCPrediction", "mc_predict"]
