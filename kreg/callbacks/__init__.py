"""Callbacks: early stopping on data loss, schedules, monitoring, SWA."""

from kreg.callbacks.augmentation_schedule import AugmentationSchedule
from kreg.callbacks.dropout_schedule import DropoutSchedule
from kreg.callbacks.early_stopping import EarlyStopping
from kreg.callbacks.penalty_monitor import PenaltyMonitor
from kreg.callbacks.regularization_schedule import RegularizationSchedule
from kreg.callbacks.swa import SWA

__all__ = [
    "AugmentationSchedule",
    "DropoutSchedule",
    "EarlyStopping",
    "PenaltyMonitor",
    "RegularizationSchedule",
    "SWA",
]
