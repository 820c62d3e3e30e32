"""The exercises: automatic checks, the student's workspace, and the tools around them.

In a notebook the student writes a function, then runs its check::

    from nnedu.exercises import check_relu_backward
    check_relu_backward(relu_backward)

which compares it with :mod:`nnedu.exercises.reference` on seeded cases and prints
``PASS``, ``FAIL`` (naming the mistake when it is a known one, else where the output
is wrong, and a hint) or ``TODO`` (not implemented yet); see :mod:`nnedu.exercises.checker`.
Each check also copies the function into the workspace (:mod:`nnedu.exercises.workspace`),
so that later notebooks train networks with the student's own code
(:mod:`nnedu.exercises.student_nn`).

Student copies (solutions replaced by ``raise NotImplementedError``) are written by
:mod:`nnedu.exercises.student`, or ``python -m nnedu exercises student SRC OUT``.
"""
from nnedu.exercises.report import CheckResult, gradcheck_report
from nnedu.exercises import (batchnorm, cnn, conv, debugging, dropout, initialisation, linear_relu, optim,
                             pooling, regularisation, schedules, softmax, training)
from nnedu.exercises.linear_relu import (
    check_linear_backward, check_linear_forward, check_relu_backward, check_relu_forward,
)
from nnedu.exercises.softmax import check_cross_entropy, check_softmax, check_softmax_ce_backward
from nnedu.exercises.batchnorm import check_batchnorm_backward, check_batchnorm_forward
from nnedu.exercises.dropout import check_dropout_backward, check_dropout_forward
from nnedu.exercises.conv import (
    check_col2im, check_conv2d_backward, check_conv2d_forward, check_conv2d_naive, check_conv2d_naive_backward,
    check_im2col,
)
from nnedu.exercises.pooling import (
    check_avgpool_backward, check_avgpool_forward, check_maxpool_backward, check_maxpool_forward,
    check_pad_backward, check_pad_forward,
)
from nnedu.exercises.optim import check_adagrad_step, check_adam_step, check_rmsprop_step, check_sgd_step
from nnedu.exercises.schedules import check_cosine_lr, check_exponential_lr, check_multistep_lr, check_step_lr
from nnedu.exercises.training import check_accuracy, check_confusion_matrix, check_evaluate, check_train_one_epoch
from nnedu.exercises.cnn import check_conv2d_param_count, check_receptive_field
from nnedu.exercises.initialisation import check_he_std, check_xavier_std
from nnedu.exercises.regularisation import check_early_stopping, check_shift_images
from nnedu.exercises.debugging import check_expected_initial_loss, check_update_ratio

#: The checker modules in course order.
_MODULES = (linear_relu, softmax, batchnorm, dropout, conv, pooling, optim, schedules, training, cnn,
            initialisation, regularisation, debugging)

#: Every exercise that has a checker built on :mod:`nnedu.exercises.checker`: name -> factory of its
#: :class:`~nnedu.exercises.checker.Exercise` (the tests run each one's bugs and conventions through it).
EXERCISES = {name: make for module in _MODULES for name, make in getattr(module, "EXERCISES", {}).items()}

__all__ = ["CheckResult", "gradcheck_report", "EXERCISES",
           *sorted(name for name in dir() if name.startswith("check_"))]
