"""Optimizers: proximal training for exact sparsity."""

from kreg.optimizers.proximal import Proximal

__all__ = ["Proximal"]
