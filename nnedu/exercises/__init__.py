"""Automatic checks for the exercises of the notebooks, and the student-copy generator.

In a notebook the student writes a small function, then runs the matching
check, which compares it with the nnedu reference implementation and with
numerical gradients on several seeded inputs (edge cases included) and prints
``PASS``, ``FAIL`` (with the largest error and a hint) or ``not implemented yet``::

    from nnedu.exercises import check_relu_backward
    check_relu_backward(relu_backward)

Each check also returns a truthy/falsy :class:`~nnedu.exercises.report.CheckResult`.

=================================  ==========================================
notebook                           checks
=================================  ==========================================
01_linear_relu                     :func:`check_relu_backward`, :func:`check_linear_backward`
02_softmax_cross_entropy           :func:`check_softmax`, :func:`check_softmax_ce_backward`
03_batchnorm                       :func:`check_batchnorm_backward`
04_convolution                     :func:`check_conv2d_naive`
05_pooling_padding                 :func:`check_maxpool_backward`, :func:`check_avgpool_backward`
06_optimizers_schedulers           :func:`check_momentum_step`, :func:`check_adam_step`
07_mlp_mnist                       :func:`check_accuracy`, :func:`check_confusion_matrix`
08_lenet5_mnist                    :func:`check_conv2d_param_count`, :func:`check_receptive_field`
=================================  ==========================================

Student copies (solutions replaced by ``raise NotImplementedError``) are written
by :mod:`nnedu.exercises.student`, or ``python -m nnedu exercises student SRC OUT``.
"""
from nnedu.exercises.report import CheckResult, gradcheck_report
from nnedu.exercises.linear_relu import check_linear_backward, check_relu_backward
from nnedu.exercises.softmax import check_softmax, check_softmax_ce_backward
from nnedu.exercises.batchnorm import check_batchnorm_backward
from nnedu.exercises.conv import check_conv2d_naive
from nnedu.exercises.pooling import check_avgpool_backward, check_maxpool_backward
from nnedu.exercises.optim import check_adam_step, check_momentum_step
from nnedu.exercises.training import check_accuracy, check_confusion_matrix
from nnedu.exercises.cnn import check_conv2d_param_count, check_receptive_field

__all__ = [
    "CheckResult", "gradcheck_report",
    "check_relu_backward", "check_linear_backward",
    "check_softmax", "check_softmax_ce_backward",
    "check_batchnorm_backward",
    "check_conv2d_naive",
    "check_maxpool_backward", "check_avgpool_backward",
    "check_momentum_step", "check_adam_step",
    "check_accuracy", "check_confusion_matrix",
    "check_conv2d_param_count", "check_receptive_field",
]
