"""Stateless functions that the layers use and the notebooks show.

Each concept lives in its own file; they are all importable from here,
e.g. ``from nnedu.functional import im2col, softmax``.
"""
from nnedu.functional.activation import relu, leaky_relu, sigmoid, tanh
from nnedu.functional.softmax import softmax, log_softmax, logsumexp
from nnedu.functional.batchnorm import (
    batchnorm_forward, batchnorm_backward, batchnorm_forward_steps, batchnorm_backward_steps,
)
from nnedu.functional.conv import (
    conv_output_size, pad2d, im2col, col2im, conv2d, conv2d_im2col_forward, conv2d_im2col_backward,
    conv2d_naive, conv2d_naive_backward,
)
from nnedu.functional.pooling import (
    max_pool2d, max_pool2d_backward, avg_pool2d, avg_pool2d_backward,
)
