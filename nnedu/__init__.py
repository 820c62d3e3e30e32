"""nnedu: neural networks from scratch in NumPy.

Every layer has an explicit ``forward`` and a hand-derived ``backward``;
names and semantics follow PyTorch, where students go next.
"""
__version__ = "0.1.0"

from nnedu.dtype import get_default_dtype, set_default_dtype
from nnedu.rng import manual_seed
from nnedu import nn
from nnedu.checking import gradcheck
from nnedu import optim
from nnedu import models
from nnedu.serialization import save, load, load_checkpoint
from nnedu.train import fit, evaluate, History
from nnedu import metrics, plotting
