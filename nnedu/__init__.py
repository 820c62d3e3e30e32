"""nnedu: neural networks from scratch in NumPy.

Every layer has an explicit ``forward`` and a hand-derived ``backward``;
names and semantics follow PyTorch, where students go next.

Importing nnedu applies its thread policy (:mod:`nnedu.threads`): BLAS gets
one thread and nnedu's layers split each batch over the available cores;
``nnedu.set_num_threads(n)`` or ``NNEDU_NUM_THREADS=n`` changes it. On Linux it
also asks the C allocator to keep freed memory for the next batch
(:mod:`nnedu.memory`; ``NNEDU_MALLOC_POLICY=0`` leaves the allocator alone).
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
from nnedu import memory, threads
from nnedu.threads import get_num_threads, set_num_threads, thread_info

threads.apply_default_policy()
memory.apply_default_policy()
