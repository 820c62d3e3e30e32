"""Which nnedu code each exercise re-implements: one table for the student-copy generator and the grader.

Besides the library code listed here, every exercise has its reference solution in
:mod:`nnedu.exercises.reference` under its own name, which :func:`leaky_names` adds.

A student copy must not show the reference of a function the student is about to write
(:mod:`nnedu.exercises.student` refuses ``show_source(nn.Linear.backward)`` above
``check_linear_backward``), and a graded exercise must not call it
(:mod:`nnedu.exercises.grade` flags ``from nnedu.nn import ReLU`` in the cell that defines
``relu_backward``). Both read :data:`REIMPLEMENTS`.

Each entry maps an exercise name (the ``<name>`` of ``check_<name>(<name>)``) to the dotted
names of the nnedu functions, methods or classes that implement the same thing.
"""
from __future__ import annotations

#: exercise name -> dotted names of the nnedu code it re-implements.
REIMPLEMENTS: dict[str, tuple[str, ...]] = {
    # 01_linear_relu
    "linear_forward": ("nnedu.nn.Linear.forward",),
    "linear_backward": ("nnedu.nn.Linear.backward",),
    "relu_forward": ("nnedu.nn.ReLU.forward", "nnedu.functional.activation.relu"),
    "relu_backward": ("nnedu.nn.ReLU.backward",),
    # 02_softmax_cross_entropy
    "softmax": ("nnedu.functional.softmax.softmax", "nnedu.functional.softmax.log_softmax"),
    "cross_entropy": ("nnedu.nn.CrossEntropyLoss.forward", "nnedu.functional.softmax.log_softmax",
                      "nnedu.functional.softmax.logsumexp"),
    "softmax_ce_backward": ("nnedu.nn.CrossEntropyLoss.backward",),
    # 03_batchnorm
    "batchnorm_forward": ("nnedu.functional.batchnorm.batchnorm_forward",
                          "nnedu.nn.batchnorm._BatchNorm.forward"),
    "batchnorm_backward": ("nnedu.functional.batchnorm.batchnorm_backward",
                           "nnedu.functional.batchnorm.batchnorm_backward_steps",
                           "nnedu.nn.batchnorm._BatchNorm.backward"),
    "dropout_forward": ("nnedu.nn.Dropout.forward",),
    "dropout_backward": ("nnedu.nn.Dropout.backward",),
    # 04_convolution
    "conv2d_naive": ("nnedu.functional.conv.conv2d_naive", "nnedu.functional.conv.conv2d",
                     "nnedu.functional.conv.conv2d_im2col_forward", "nnedu.nn.Conv2d.forward"),
    "conv2d_naive_backward": ("nnedu.functional.conv.conv2d_naive_backward",
                              "nnedu.functional.conv.conv2d_im2col_backward", "nnedu.nn.Conv2d.backward"),
    "im2col": ("nnedu.functional.conv.im2col",),
    "col2im": ("nnedu.functional.conv.col2im",),
    "conv2d_forward": ("nnedu.functional.conv.conv2d_im2col_forward", "nnedu.functional.conv.conv2d",
                       "nnedu.functional.conv.conv2d_naive", "nnedu.functional.conv.im2col",
                       "nnedu.nn.Conv2d.forward"),
    "conv2d_backward": ("nnedu.functional.conv.conv2d_im2col_backward", "nnedu.functional.conv.conv2d_naive_backward",
                        "nnedu.functional.conv.col2im", "nnedu.nn.Conv2d.backward"),
    # 05_pooling_padding
    "maxpool_forward": ("nnedu.functional.pooling.max_pool2d", "nnedu.nn.MaxPool2d.forward"),
    "maxpool_backward": ("nnedu.functional.pooling.max_pool2d_backward", "nnedu.nn.MaxPool2d.backward"),
    "avgpool_forward": ("nnedu.functional.pooling.avg_pool2d", "nnedu.nn.AvgPool2d.forward"),
    "avgpool_backward": ("nnedu.functional.pooling.avg_pool2d_backward", "nnedu.nn.AvgPool2d.backward"),
    "pad_forward": ("nnedu.functional.conv.pad2d", "nnedu.nn.ZeroPad2d.forward"),
    "pad_backward": ("nnedu.nn.ZeroPad2d.backward",),
    # 06_optimizers_schedulers
    "sgd_step": ("nnedu.optim.SGD._update",),
    "adagrad_step": ("nnedu.optim.Adagrad._update",),
    "rmsprop_step": ("nnedu.optim.RMSprop._update",),
    "adam_step": ("nnedu.optim.Adam._update",),
    "step_lr": ("nnedu.optim.lr_scheduler.StepLR.get_lr",),
    "multistep_lr": ("nnedu.optim.lr_scheduler.MultiStepLR.get_lr",),
    "exponential_lr": ("nnedu.optim.lr_scheduler.ExponentialLR.get_lr",),
    "cosine_lr": ("nnedu.optim.lr_scheduler.CosineAnnealingLR.get_lr",),
    # 07_mlp_mnist
    "train_one_epoch": ("nnedu.train.fit",),
    "evaluate": ("nnedu.train.evaluate",),
    "accuracy": ("nnedu.metrics.accuracy",),
    "confusion_matrix": ("nnedu.metrics.confusion_matrix",),
    # 08_lenet5_mnist: counted by hand; the checks' references count a real layer / measure by back-propagation
    "conv2d_param_count": ("nnedu.exercises.cnn.counted_conv2d_params",),
    "receptive_field": ("nnedu.exercises.cnn.measured_receptive_field",),
    # initialisation (the std of Xavier and He initialisation)
    "xavier_std": ("nnedu.nn.init.xavier_normal", "nnedu.nn.init.xavier_uniform"),
    "he_std": ("nnedu.nn.init.kaiming_normal", "nnedu.nn.init.kaiming_uniform"),
    # 10_regularisation
    "shift_images": ("nnedu.recipes.random_shift",),
    "early_stopping": (),
    # 11_debugging
    "expected_initial_loss": (),
    "update_ratio": ("nnedu.diagnostics.update_ratios",),
}


def leaky_names(exercise: str, include_exercise: bool = True) -> set[str]:
    """The dotted suffixes whose source would show the answer to ``exercise``.

    A function contributes its name (``conv2d_naive``); a method ``Class.method`` contributes
    ``Class.method`` and ``Class`` (showing the class shows the method). The exercise's own name
    is included (its source in the instructor copy is the solution, and
    ``nnedu.exercises.reference.<exercise>`` is the reference solution) unless ``include_exercise``
    is false and no nnedu function has that name.

    Examples
    --------
    >>> sorted(leaky_names("linear_backward"))
    ['Linear', 'Linear.backward', 'linear_backward']
    """
    names = {exercise} if include_exercise else set()
    for ref in (*REIMPLEMENTS.get(exercise, ()), f"nnedu.exercises.reference.{exercise}"):
        parts = ref.split(".")
        if parts[-1][:1].islower() and len(parts) >= 2 and parts[-2][:1].isupper():  # a method
            names.add(".".join(parts[-2:]))
            names.add(parts[-2])
        else:
            names.add(parts[-1])
    return names


def matches(dotted: str, names: set[str]) -> str | None:
    """The entry of ``names`` that ``dotted`` ends with (component-wise), or ``None``.

    Examples
    --------
    >>> matches("nn.Linear.backward", {"Linear.backward"})
    'Linear.backward'
    >>> matches("nn.Linear.forward", {"Linear.backward"}) is None
    True
    """
    parts = dotted.split(".")
    for n in sorted(names, key=len, reverse=True):
        k = n.count(".") + 1
        if parts[-k:] == n.split("."):
            return n
    return None
