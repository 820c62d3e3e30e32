"""Data: the complete MNIST (shipped in ``data/``) and Fashion-MNIST, verified, and mini-batching.

- :func:`load_mnist`, :func:`load_fashion_mnist`: ``(images, labels)`` arrays
  (:mod:`nnedu.data.mnist`);
- :class:`DataLoader`, :func:`stratified_subset` (:mod:`nnedu.data.loader`);
- :func:`read_idx` and friends, the IDX file format (:mod:`nnedu.data.idx`);
- :data:`DATASETS` and the SHA-256 checks (:mod:`nnedu.data.checksums`);
- :func:`download` with mirrors (:mod:`nnedu.data.download`);
- :func:`data_dir`, the cache folder (:mod:`nnedu.data.paths`).
"""
from nnedu.data.checksums import (DATASETS, FASHION_MNIST, MNIST, DataFile, DataIntegrityError, Dataset,
                                  get_dataset)
from nnedu.data.download import DownloadError, download
from nnedu.data.idx import IDXFormatError, parse_idx, read_idx, write_idx
from nnedu.data.loader import DataLoader, stratified_subset
from nnedu.data.mnist import load_dataset, load_fashion_mnist, load_mnist
from nnedu.data.paths import data_dir

__all__ = [
    "DATASETS", "MNIST", "FASHION_MNIST", "DataFile", "Dataset", "DataIntegrityError", "get_dataset",
    "DownloadError", "download", "IDXFormatError", "parse_idx", "read_idx", "write_idx",
    "DataLoader", "stratified_subset", "load_dataset", "load_mnist", "load_fashion_mnist", "data_dir",
]
