"""Callbacks: early stopping on data loss, schedules, monitoring, SWA."""

from kreg.callbacks.early_stopping import EarlyStopping

__all__ = [
    "EarlyStopping",
]
