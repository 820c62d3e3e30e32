"""Optimizers and learning-rate schedulers, step for step as in ``torch.optim``.

>>> from nnedu import optim
>>> from nnedu.optim import lr_scheduler
"""
from nnedu.optim.optimizer import Optimizer
from nnedu.optim.sgd import SGD
from nnedu.optim.adagrad import Adagrad
from nnedu.optim.rmsprop import RMSprop
from nnedu.optim.adam import Adam, AdamW
from nnedu.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
