"""Layers: the dropout family, tabular augmentation, stacked members and ensembles."""

from kreg.layers.batch_ensemble_dense import BatchEnsembleDense
from kreg.layers.concrete_dropout import ConcreteDropout
from kreg.layers.drop_block import DropBlock2D
from kreg.layers.drop_connect import DropConnectDense
from kreg.layers.drop_path import DropPath, drop_path_rates
from kreg.layers.ensemble_mlp import EnsembleMLP
from kreg.layers.feature_noise import FeatureNoise
from kreg.layers.locked_dropout import LockedDropout
from kreg.layers.mc_dropout import MCDropout
from kreg.layers.member_average import MemberAverage
from kreg.layers.mixup import TabularMixUp
from kreg.layers.stacked_dense import StackedDense
from kreg.layers.stacked_dropout import StackedDropout
from kreg.layers.swap_noise import SwapNoise
from kreg.layers.variable_rate import VariableRate

__all__ = [
    "BatchEnsembleDense",
    "ConcreteDropout",
    "DropBlock2D",
    "DropConnectDense",
    "DropPath",
    "EnsembleMLP",
    "FeatureNoise",
    "LockedDropout",
    "MCDropout",
    "MemberAverage",
    "StackedDense",
    "StackedDropout",
    "SwapNoise",
    "TabularMixUp",
    "VariableRate",
    "drop_path_rates",
]
