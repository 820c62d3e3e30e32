"""Layers, losses and containers, each with a hand-derived backward pass."""
from nnedu.nn.parameter import Parameter
from nnedu.nn.module import Module
from nnedu.nn.container import Sequential
from nnedu.nn.linear import Linear
from nnedu.nn import init
