"""Stateless functions that the layers use and the notebooks show.

Each concept lives in its own file; they are all importable from here,
e.g. ``from nnedu.functional import im2col, softmax``.
"""
from nnedu.functional.activation import relu, leaky_relu, sigmoid, tanh
from nnedu.functional.softmax import softmax, log_softmax, logsumexp
from nnedu.functional.batchnorm import (
    batchnorm_forward, batchnorm_backward, batchnorm_forward_steps, batchnorm_backward_steps,
)
