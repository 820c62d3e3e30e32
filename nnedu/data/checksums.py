"""What the data files must contain: the registry of known data sets and their checksums.

Two kinds of hash are recorded for every file:

``payload_sha256``
    SHA-256 of the *decompressed* IDX bytes. This is the authoritative check:
    it does not depend on how a file was gzipped, so it holds for the
    re-compressed copies shipped in ``data/`` and for every mirror.
``gz_sha256`` / ``gz_md5``
    Hashes of the official ``.gz`` downloads (the MD5s are the ones
    torchvision checks). A downloaded file whose wrapper matches is
    byte-for-byte the upstream file; a file from another source may differ in
    its gzip wrapper and is still accepted when its payload matches.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path


class DataIntegrityError(RuntimeError):
    """A data file exists but its contents are not the known, verified bytes."""


@dataclass(frozen=True)
class DataFile:
    """One IDX file of a data set.

    Attributes
    ----------
    filename : str
        Official file name, e.g. ``"train-images-idx3-ubyte.gz"``.
    split : {"train", "test"}
    kind : {"images", "labels"}
    count : int
        Number of samples (60,000 or 10,000).
    payload_sha256 : str
        SHA-256 of the decompressed IDX bytes.
    gz_sha256, gz_md5 : str
        Hashes of the official ``.gz`` download.
    gz_size : int
        Size in bytes of the official ``.gz`` download.
    """

    filename: str
    split: str
    kind: str
    count: int
    payload_sha256: str
    gz_sha256: str
    gz_md5: str
    gz_size: int

    @property
    def shape(self) -> tuple[int, ...]:
        """Expected IDX dimensions: ``(N, 28, 28)`` for images, ``(N,)`` for labels."""
        return (self.count, 28, 28) if self.kind == "images" else (self.count,)

    @property
    def payload_size(self) -> int:
        """Size in bytes of the decompressed IDX file: the header and one byte per value."""
        return 4 + 4 * len(self.shape) + math.prod(self.shape)

    @property
    def max_download_size(self) -> int:
        """The most bytes a mirror may send for this file: its payload, gzipped or raw, plus gzip's overhead."""
        return self.payload_size + self.payload_size // 1000 + 65536


@dataclass(frozen=True)
class Dataset:
    """A data set: its files, where to download them, and what it is."""

    name: str
    title: str
    files: tuple[DataFile, ...]
    mirrors: tuple[str, ...]
    classes: tuple[str, ...]
    license: str
    source: str

    def file(self, split: str, kind: str) -> DataFile:
        """The :class:`DataFile` for ``split`` ("train" or "test") and ``kind`` ("images" or "labels")."""
        for f in self.files:
            if f.split == split and f.kind == kind:
                return f
        raise ValueError(f"{self.name}: split must be 'train' or 'test' and kind 'images' or 'labels', "
                         f"got split={split!r}, kind={kind!r}")


def _idx_files(train_images: tuple[str, str, str, int], train_labels: tuple[str, str, str, int],
               test_images: tuple[str, str, str, int], test_labels: tuple[str, str, str, int]
               ) -> tuple[DataFile, ...]:
    """The four files of an MNIST-format data set, each given as ``(payload_sha256, gz_sha256, gz_md5, gz_size)``.

    Fashion-MNIST is a drop-in replacement for MNIST: same file names, same sample counts.
    """
    return (
        DataFile("train-images-idx3-ubyte.gz", "train", "images", 60000, *train_images),
        DataFile("train-labels-idx1-ubyte.gz", "train", "labels", 60000, *train_labels),
        DataFile("t10k-images-idx3-ubyte.gz", "test", "images", 10000, *test_images),
        DataFile("t10k-labels-idx1-ubyte.gz", "test", "labels", 10000, *test_labels),
    )


MNIST = Dataset(
    name="mnist",
    title="MNIST handwritten digits (LeCun, Cortes, Burges)",
    files=_idx_files(
        train_images=("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                      "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                      "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422),
        train_labels=("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                      "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                      "d53e105ee54ea40749a09fcbcd1e9432", 28881),
        test_images=("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                     "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                     "9fb629c4189551a2d022fa330f9573f3", 1648877),
        test_labels=("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                     "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                     "ec29112dd5afa0611ce80d1b7f02629c", 4542),
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    classes=tuple(str(d) for d in range(10)),
    license="CC BY-SA 3.0",
    source="http://yann.lecun.com/exdb/mnist/",
)

FASHION_MNIST = Dataset(
    name="fashion-mnist",
    title="Fashion-MNIST (Zalando Research)",
    files=_idx_files(
        train_images=("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                      "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
                      "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26421880),
        train_labels=("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                      "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
                      "25c81989df183df01b3e8a0aad5dffbe", 29515),
        test_images=("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                     "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
                     "bef4ecab320f06d8554ea6380940ec79", 4422102),
        test_labels=("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                     "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
                     "bb300cfdad3c16e7a12a480ee83cd310", 5148),
    ),
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    license="MIT (Zalando SE)",
    source="https://github.com/zalandoresearch/fashion-mnist",
)

#: All known data sets by name.
DATASETS: dict[str, Dataset] = {d.name: d for d in (MNIST, FASHION_MNIST)}


def get_dataset(name: str) -> Dataset:
    """Look a data set up by name ("mnist" or "fashion-mnist")."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}") from None


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def verify_payload(payload: bytes, datafile: DataFile, path: str | Path, dataset: str) -> None:
    """Raise :class:`DataIntegrityError` unless ``payload`` is the known IDX payload of ``datafile``.

    The message names the file, both hashes and how to repair it.
    """
    found = sha256(payload)
    if found != datafile.payload_sha256:
        raise DataIntegrityError(
            f"{Path(path)}: the decompressed IDX payload does not match the known {dataset} "
            f"{datafile.split} {datafile.kind}.\n"
            f"  expected SHA-256 {datafile.payload_sha256}\n"
            f"  found    SHA-256 {found}\n"
            f"Repair: delete the file and run `python -m nnedu data download {dataset}` "
            f"(inside the repository, `git checkout -- data/` restores the shipped MNIST).")
