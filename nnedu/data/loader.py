"""Mini-batches and subsets: ``DataLoader`` and ``stratified_subset``."""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from nnedu.rng import get_rng


class DataLoader:
    """Iterate over ``(images, labels)`` in mini-batches, like ``torch.utils.data.DataLoader``.

    Every pass (epoch) draws a fresh permutation when ``shuffle`` is True; with
    a ``seed`` the sequence of permutations is reproducible: two loaders built
    with the same seed yield the same batches, epoch after epoch.

    Parameters
    ----------
    images : numpy.ndarray
        ``(N, ...)``.
    labels : numpy.ndarray
        ``(N,)``.
    batch_size : int
        Samples per batch (the last one may be smaller unless ``drop_last``).
    shuffle : bool
        New random order each epoch (True) or the stored order (False).
    seed : int or numpy.random.Generator, optional
        Source of the permutations; None uses nnedu's global generator
        (reset by :func:`nnedu.manual_seed`), looked up at the start of every epoch.
    drop_last : bool
        Drop the last batch if it has fewer than ``batch_size`` samples.

    Examples
    --------
    >>> import numpy as np
    >>> loader = DataLoader(np.zeros((10, 2)), np.arange(10), batch_size=4, seed=0)
    >>> len(loader), [len(y) for _, y in loader]
    (3, [4, 4, 2])
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool = True,
                 seed: int | np.random.Generator | None = None, drop_last: bool = False) -> None:
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim == 0 or labels.ndim == 0 or len(images) != len(labels):
            raise ValueError(f"DataLoader: images and labels need the same first dimension, "
                             f"got images {images.shape} and labels {labels.shape}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        # A seed makes a private generator now; None reads nnedu's global one at every epoch,
        # so that nnedu.manual_seed() called after building the loader still takes effect.
        self.rng = get_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.labels)
        order = (self.rng or get_rng(None)).permutation(n) if self.shuffle else None
        for b in range(len(self)):
            start, stop = b * self.batch_size, min((b + 1) * self.batch_size, n)
            if order is None:
                yield self.images[start:stop], self.labels[start:stop]
            else:
                idx = order[start:stop]
                yield self.images[idx], self.labels[idx]

    @property
    def num_samples(self) -> int:
        """Samples seen per epoch (fewer than ``N`` when ``drop_last`` drops a short batch)."""
        return len(self) * self.batch_size if self.drop_last else len(self.labels)


def stratified_subset(images: np.ndarray, labels: np.ndarray, n: int, seed: int = 0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic subset of ``n`` samples with the class proportions of the whole.

    Class ``k`` with ``c_k`` of the ``N`` samples gets ``floor(n c_k / N)``
    places; the places left over go to the classes with the largest remainders
    (largest-remainder rounding), so the result has exactly ``n`` samples.
    Within each class the samples are drawn without replacement with a
    generator seeded by ``seed``; the subset keeps the original order.

    Parameters
    ----------
    images : numpy.ndarray
        ``(N, ...)``.
    labels : numpy.ndarray
        ``(N,)`` integer class labels.
    n : int
        Subset size, ``0 < n <= N``.
    seed : int
        Same seed, same subset.

    Returns
    -------
    (images, labels)
        Copies, ``(n, ...)`` and ``(n,)``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.arange(100), np.repeat([0, 1], [80, 20])
    >>> np.bincount(stratified_subset(x, y, 10)[1]).tolist()
    [8, 2]
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"stratified_subset: images {images.shape} and labels {labels.shape} differ in length")
    total = len(labels)
    if not 0 < n <= total:
        raise ValueError(f"stratified_subset: n must be in 1..{total}, got {n}")
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    exact = n * counts / total
    quota = np.floor(exact).astype(np.int64)
    leftover = n - int(quota.sum())
    by_remainder = np.argsort(-(exact - quota), kind="stable")
    quota[by_remainder[:leftover]] += 1
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(inverse == k), size=int(q), replace=False)
              for k, q in enumerate(quota) if q > 0]
    index = np.sort(np.concatenate(chosen))
    return images[index], labels[index]
