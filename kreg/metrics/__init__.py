"""Metrics that keep the data loss apart from the penalty."""

from kreg.metrics.data_loss import DataLoss

__all__ = ["DataLoss"]
