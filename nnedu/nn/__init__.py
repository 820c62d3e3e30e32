"""Layers, losses and containers, each with a hand-derived backward pass."""
from nnedu.nn.parameter import Parameter
from nnedu.nn.module import Module
from nnedu.nn.container import Sequential
from nnedu.nn.linear import Linear
from nnedu.nn import init
from nnedu.nn.activation import ReLU, LeakyReLU, Sigmoid, Tanh
from nnedu.nn.flatten import Flatten
from nnedu.nn.dropout import Dropout
from nnedu.nn.batchnorm import BatchNorm1d, BatchNorm2d
from nnedu.nn.loss import CrossEntropyLoss, MSELoss
from nnedu.nn.conv import Conv2d
from nnedu.nn.pooling import MaxPool2d, AvgPool2d
from nnedu.nn.padding import ZeroPad2d
