"""Write notebooks/01_linear_relu.ipynb ... 05_pooling_padding.ipynb from the cell sources below.

Usage::

    .venv/bin/python tools/build_notebooks_01_05.py [01 02 ...]   # default: all five

then execute each in full mode (outputs stored)::

    cd notebooks && ../.venv/bin/jupyter nbconvert --to notebook --execute --inplace 01_linear_relu.ipynb

The notebooks are the source of truth once written; this script exists so that
their structure can be regenerated consistently (it overwrites outputs).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(text.strip("\n"))


QUIET_CALLS = {"tight_layout", "show", "print", "show_source", "gradcheck_report"}


def check_last_line(cell: nbformat.NotebookNode) -> None:
    """Refuse a cell whose result is hidden only by a trailing ';'.

    IPython ignores ';' when a cell runs with ``store_history=False``, which is how
    nbval runs cells, so such a cell shows e.g. ``<matplotlib.legend.Legend at 0x...>``
    under nbval and nothing under nbconvert: the outputs differ. End figure cells
    with ``plt.show()`` instead.
    """
    src = cell.source.rstrip()
    if not src.endswith(";"):
        return
    last = ast.parse(src).body[-1]
    if not isinstance(last, ast.Expr) or not isinstance(last.value, ast.Call):
        raise ValueError(f"cell ends with ';' after a non-call:\n{src[-200:]}")
    func = last.value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in QUIET_CALLS and not name.startswith("check_"):
        raise ValueError(f"cell's last call {name}() returns a value that nbval would show:\n{src[-200:]}")


def write(name: str, cells: list[nbformat.NotebookNode]) -> None:
    for cell in cells:
        if cell.cell_type == "code":
            try:
                check_last_line(cell)
            except ValueError:
                if "plt." not in cell.source:
                    raise
                cell.source = cell.source.rstrip() + "\nplt.show()"
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    path = NOTEBOOKS / name
    nbformat.write(nb, path)
    print(f"wrote {path.relative_to(ROOT)} ({len(cells)} cells)")


SETUP = r'''
import inspect

import numpy as np
import matplotlib.pyplot as plt

import nnedu
from nnedu import nn
from nnedu.quick import QUICK, pick

np.set_printoptions(precision=4, suppress=True)
plt.rcParams["figure.dpi"] = 90
nnedu.manual_seed(0)


def show_source(obj):
    """Print the source of an nnedu function or method: the code you are reading is the code that runs."""
    print(inspect.getsource(obj))
'''


# ---------------------------------------------------------------------------------------------------
# 01: Linear + ReLU
# ---------------------------------------------------------------------------------------------------
def nb01() -> None:
    cells = [
        md(r'''
# 01 · The affine layer and ReLU: forward, backward, and a first network

**What you will learn**

- how a fully connected layer $Y = XW + b$ maps a *batch* of inputs, with every shape written out;
- how to derive its three gradients $\partial L/\partial X$, $\partial L/\partial W$, $\partial L/\partial b$ from the chain rule, and how the shapes alone tell you where the transposes go;
- the ReLU non-linearity and its (sub)gradient;
- how to *prove* a backward pass correct with a numerical gradient check, and what size of error to expect;
- how a two-layer network carves up the plane: a decision boundary on a spiral data set, evolving while it learns.

**What you should know already**: matrix multiplication and its shapes, partial derivatives and the chain rule for scalars, NumPy indexing and broadcasting.

Everything below is computed by the `nnedu` package; the notebook shows its source rather than pasting a copy, so what you read is what runs.
'''),
        code(SETUP),
        md(r'''
## 1. The affine map

A fully connected (linear, affine, dense) layer takes a batch of $N$ examples with $D$ features each and produces $M$ features per example:

$$
Y = X W + b, \qquad
\underbrace{Y}_{N\times M} = \underbrace{X}_{N\times D}\,\underbrace{W}_{D\times M} + \underbrace{b}_{M},
\qquad Y_{nm} = \sum_{d=1}^{D} X_{nd} W_{dm} + b_m .
$$

The bias $b$ (shape $(M,)$) is *broadcast*: the same vector is added to each of the $N$ rows.

`nnedu.nn.Linear` stores `weight` as $(D, M)$, so the code reads like the formula. (PyTorch stores the transpose, $(M, D)$, and computes $X W^\top + b$; `torch_linear.weight.T` is our `weight`.)
'''),
        code(r'''
layer = nn.Linear(3, 2, rng=0)          # D = 3 inputs, M = 2 outputs
X = np.arange(12, dtype=np.float32).reshape(4, 3) / 10   # N = 4 examples
Y = layer(X)
print("X", X.shape, " W", layer.weight.shape, " b", layer.bias.shape, " ->  Y", Y.shape)
print(np.allclose(Y, X @ layer.weight.data + layer.bias.data))
'''),
        md(r'''
## 2. Backward: three gradients from one chain rule

The layer sits inside a network that ends in a scalar loss $L$. During the backward pass the layer receives the *upstream gradient*

$$ G = \frac{\partial L}{\partial Y} \in \mathbb{R}^{N\times M}, \qquad G_{nm} = \frac{\partial L}{\partial Y_{nm}}, $$

and must return $\partial L/\partial X$ (for the layer below) and the gradients of its parameters (for the optimizer). Every entry of $Y$ may depend on the entry we differentiate by, so the chain rule sums over all of them:

$$ \frac{\partial L}{\partial X_{nd}} = \sum_{n', m} G_{n'm} \frac{\partial Y_{n'm}}{\partial X_{nd}} . $$

From $Y_{n'm} = \sum_{d'} X_{n'd'} W_{d'm} + b_m$: $\;\partial Y_{n'm}/\partial X_{nd} = W_{dm}$ if $n' = n$ and $0$ otherwise; $\;\partial Y_{nm}/\partial W_{dm'} = X_{nd}$ if $m' = m$; $\;\partial Y_{nm}/\partial b_{m'} = 1$ if $m' = m$. Only these terms survive:

$$
\frac{\partial L}{\partial X_{nd}} = \sum_m G_{nm} W_{dm}, \qquad
\frac{\partial L}{\partial W_{dm}} = \sum_n X_{nd} G_{nm}, \qquad
\frac{\partial L}{\partial b_m} = \sum_n G_{nm} .
$$

Read as matrix products:

| gradient | formula | shapes | same shape as |
|---|---|---|---|
| $\partial L/\partial X$ | $G\,W^\top$ | $(N, M)\,(M, D) \to (N, D)$ | $X$ |
| $\partial L/\partial W$ | $X^\top G$ | $(D, N)\,(N, M) \to (D, M)$ | $W$ |
| $\partial L/\partial b$ | $\sum_n G_{n,:}$ | $(N, M) \to (M,)$ | $b$ |

**The shape trick.** A gradient always has the shape of the thing it is the gradient *of*. There is only one way to multiply $G$ $(N, M)$ with $W$ $(D, M)$ to get $(N, D)$, and only one way to combine $X$ $(N, D)$ with $G$ to get $(D, M)$. If you forget the derivation, the shapes re-derive it. The bias gradient is a sum over the batch because $b$ was *broadcast* over the batch: broadcasting in the forward pass becomes summation in the backward pass.

Here is the backward pass as `nnedu` implements it (note `+=`: gradients accumulate, as in PyTorch, until `zero_grad()`):
'''),
        code(r'''
show_source(nn.Linear.backward)
'''),
        md(r'''
## 3. Proof: the numerical gradient check

A derivation can be wrong; a test of it must not depend on the derivation. The derivative is a limit, and the *central difference* approximates it with two function evaluations per entry:

$$ \frac{\partial L}{\partial \theta_i} \approx \frac{L(\theta + h e_i) - L(\theta - h e_i)}{2h}, $$

with error $O(h^2)$ (the $h$ and $h^3$ terms of the Taylor series cancel). `nnedu.gradcheck(module, x)` draws a random upstream gradient $G$, defines $L = \sum Y \odot G$ (whose exact gradients are what `backward(G)` returns), perturbs every entry of the input and of every parameter, and reports the largest **relative** error

$$ \text{rel}(a, n) = \frac{\max_i |a_i - n_i|}{\max(\max_i |a_i|, \max_i |n_i|)} . $$

**What size of error to expect.** In float64 with $h = 10^{-6}$ a correct backward gives about $10^{-11}$ to $10^{-8}$; $10^{-2}$ or more is a bug. In float32 ($\approx 7$ significant digits) the check is meaningless — so we switch to float64 for checking.
'''),
        code(r'''
nnedu.set_default_dtype(np.float64)
from nnedu.exercises import gradcheck_report

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5))
gradcheck_report("Linear(5, 3)", nnedu.gradcheck(nn.Linear(5, 3, rng=1), X))
gradcheck_report("Linear(5, 3, bias=False)", nnedu.gradcheck(nn.Linear(5, 3, bias=False, rng=1), X))
gradcheck_report("Linear(1, 7), N = 1", nnedu.gradcheck(nn.Linear(1, 7, rng=2), rng.standard_normal((1, 1))));
'''),
        md(r'''
And this is what a bug looks like. A classic one: dividing $\partial L/\partial W$ by the batch size "because the loss is a mean". The loss already contains its $1/N$ (it arrives inside $G$); dividing again is wrong, and the check says so loudly, with an error of order one rather than $10^{-10}$:
'''),
        code(r'''
class BuggyLinear(nn.Linear):
    """Linear with a deliberate bug in dL/dW (divides by N a second time)."""

    def backward(self, grad_out):
        x = self._cached()
        self.weight.grad += x.T @ grad_out / len(x)      # the bug
        self.bias.grad += grad_out.sum(axis=0)
        return grad_out @ self.weight.data.T


gradcheck_report("BuggyLinear(5, 3)", nnedu.gradcheck(BuggyLinear(5, 3, rng=1), X));
'''),
        md(r'''
### Why $h = 10^{-6}$? Truncation against rounding

Making $h$ smaller reduces the truncation error ($\propto h^2$) but increases rounding error: $L(\theta \pm h)$ are computed with relative precision $\varepsilon$ ($\approx 10^{-16}$ in float64, $\approx 10^{-7}$ in float32), and dividing their difference by $2h$ amplifies it to $\approx \varepsilon / h$. The total error is smallest where $h^2 \approx \varepsilon/h$, i.e. $h \approx \varepsilon^{1/3}$: about $10^{-5}$ in float64 and $10^{-2}$–$10^{-3}$ in float32, where the best you can get is only $\approx 10^{-4}$. The figure measures it on a small network `Linear → Tanh → Linear`:
'''),
        code(r'''
from nnedu.checking import numerical_gradient, rel_error

net64 = nn.Sequential(nn.Linear(4, 6, rng=3), nn.Tanh(), nn.Linear(6, 3, rng=4))
x64 = np.random.default_rng(5).standard_normal((5, 4))
G = np.random.default_rng(6).standard_normal((5, 3))
net64(x64)
exact = net64.backward(G)

nnedu.set_default_dtype(np.float32)
net32 = nn.Sequential(nn.Linear(4, 6, rng=3), nn.Tanh(), nn.Linear(6, 3, rng=4))
net32.load_state_dict(net64.state_dict())
nnedu.set_default_dtype(np.float64)
x32 = x64.astype(np.float32)

hs = np.logspace(-1, -12, 34)
errors = {}
for name, net, x in (("float64", net64, x64), ("float32", net32, x32)):
    loss = lambda: float(np.sum(net(x).astype(np.float64) * G))
    errors[name] = [rel_error(exact, numerical_gradient(loss, x, h)) for h in hs]

fig, ax = plt.subplots(figsize=(7, 4))
for name, style in (("float64", "o-"), ("float32", "s-")):
    ax.loglog(hs, np.maximum(errors[name], 1e-17), style, ms=4, label=name)
ax.axvline(1e-6, color="gray", ls=":", label="h = 1e-6 (nnedu.gradcheck)")
ax.invert_xaxis()
ax.set_xlabel("step h (smaller to the right)")
ax.set_ylabel("relative error of the numerical gradient")
ax.set_title("Truncation error ~ h² (left) meets rounding error ~ ε/h (right)")
ax.legend();
'''),
        code(r'''
min64, min32 = min(errors["float64"]), min(errors["float32"])
print("smallest error in float64:", "below 1e-9" if min64 < 1e-9 else f"{min64:.0e}")
print("smallest error in float32:", "above 1e-5" if min32 > 1e-5 else f"{min32:.0e}",
      "-> float32 cannot check gradients")
'''),
        md(r'''
## 4. ReLU and its (sub)gradient

The rectified linear unit works entry by entry on any shape:

$$ Y = \max(X, 0), \qquad \frac{\partial Y_i}{\partial X_i} = \mathbb{1}[X_i > 0], \qquad \frac{\partial L}{\partial X} = G \odot \mathbb{1}[X > 0] . $$

Because the map is elementwise, its Jacobian is diagonal, and the chain rule collapses to an elementwise product: the upstream gradient passes through where the input was positive and is blocked where it was negative. At $X_i = 0$ the function has a kink and no derivative; any value in $[0, 1]$ is a valid *subgradient*. `nnedu` (like PyTorch) uses 0. The forward pass caches only the boolean mask $X > 0$:
'''),
        code(r'''
show_source(nn.ReLU)
'''),
        code(r'''
z = np.linspace(-3, 3, 601)
relu = nn.ReLU()
y = relu(z)
dy = relu.backward(np.ones_like(z))

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(z, y, lw=2)
axes[0].set_title("ReLU: Y = max(X, 0)")
axes[1].plot(z[z < 0], dy[z < 0], "C1", lw=2)
axes[1].plot(z[z > 0], dy[z > 0], "C1", lw=2)
axes[1].plot([0], [0], "o", color="C1")
axes[1].plot([0], [1], "o", mfc="white", color="C1")
axes[1].set_title("dY/dX = 1[X > 0]  (0 at the kink)")
for ax in axes:
    ax.axhline(0, color="gray", lw=0.5)
    ax.axvline(0, color="gray", lw=0.5)
    ax.set_xlabel("X")
fig.tight_layout();
'''),
        md(r'''
The gradient check passes away from the kink. Right at the kink it *cannot* pass: the central difference straddles $0$ and sees the average slope $\frac12$. This is not a bug in the backward pass but a limit of the numerical check — one reason gradient checks use random inputs, which land within $h$ of a kink with negligible probability.
'''),
        code(r'''
x = np.random.default_rng(1).standard_normal((3, 4))
gradcheck_report("ReLU, random input", nnedu.gradcheck(nn.ReLU(), x))

x_kink = np.array([1e-7])                # within h = 1e-6 of the kink
relu = nn.ReLU()
relu(x_kink)
analytic = relu.backward(np.ones(1))[0]
numeric = numerical_gradient(lambda: float(relu(x_kink).sum()), x_kink, h=1e-6)[0]
print(f"at X = 1e-7: analytic slope {analytic:.2f}, numerical slope {numeric:.2f} (the difference straddles the kink)")
'''),
        md(r'''
## 5. A two-layer network learns spirals

A single affine layer followed by softmax can only draw straight class boundaries. Insert a ReLU between two affine layers and the network becomes piecewise linear with as many pieces as it needs:

$$ \text{logits} = \operatorname{ReLU}(X W_1 + b_1)\, W_2 + b_2, \qquad X: (N, 2),\; W_1: (2, H),\; W_2: (H, 3). $$

The data: three interleaved spirals in the plane, $100$ points each — no straight line separates them.
'''),
        code(r'''
def make_spirals(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """Points on interleaved spiral arms: X (n_classes * n_per_class, 2), labels y."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4 * k, 4 * (k + 1), n_per_class) + noise * rng.standard_normal(n_per_class)
        X.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        y.append(np.full(n_per_class, k))
    return np.concatenate(X), np.concatenate(y)


X_sp, y_sp = make_spirals()
print("X", X_sp.shape, "y", y_sp.shape, "classes", np.bincount(y_sp))
'''),
        md(r'''
The training loop is written out in full: forward, loss, backward, and plain gradient descent $\theta \leftarrow \theta - \eta\,\partial L/\partial\theta$ on every parameter. The loss is softmax cross-entropy (notebook 02 derives it). We take snapshots of the decision regions as the network learns.
'''),
        code(r'''
model = nn.Sequential(nn.Linear(2, 100, rng=1), nn.ReLU(), nn.Linear(100, 3, rng=2))
criterion = nn.CrossEntropyLoss()
lr, steps = 1.0, 1000
snap_at = [0, 10, 25, 50, 150, 1000]

xx, yy = np.meshgrid(np.linspace(-1.2, 1.2, 241), np.linspace(-1.2, 1.2, 241))
grid = np.column_stack([xx.ravel(), yy.ravel()])

losses, snapshots = [], {}
for step in range(steps + 1):
    if step in snap_at:                                # picture first: forward() overwrites the cache
        regions = model(grid).argmax(axis=1).reshape(xx.shape)
        snapshots[step] = (regions, np.mean(model(X_sp).argmax(axis=1) == y_sp))
    logits = model(X_sp)                               # forward
    loss = criterion(logits, y_sp)
    losses.append(loss)
    if step == steps:
        break
    model.zero_grad()
    model.backward(criterion.backward())               # backward: fills every p.grad
    for p in model.parameters():                       # gradient descent
        p.data -= lr * p.grad

print(f"loss: {losses[0]:.2f} at the start (log 3 = {np.log(3):.2f}), {losses[-1]:.2f} after {steps} steps")
print(f"training accuracy: {snapshots[steps][1]:.0%}")
'''),
        code(r'''
fig, axes = plt.subplots(2, 3, figsize=(11, 7.4), sharex=True, sharey=True)
for ax, step in zip(axes.ravel(), snap_at):
    regions, acc = snapshots[step]
    ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=["#fbb4ae", "#b3cde3", "#ccebc5"])
    ax.scatter(X_sp[:, 0], X_sp[:, 1], c=y_sp, cmap="Set1", s=9, edgecolors="k", linewidths=0.3, vmax=8)
    ax.set_title(f"step {step}: accuracy {acc:.0%}")
    ax.set_aspect("equal")
fig.suptitle("Decision regions of Linear(2, 100) → ReLU → Linear(100, 3) while it learns")
fig.tight_layout();
'''),
        code(r'''
fig, ax = plt.subplots(figsize=(7, 3))
ax.semilogy(losses)
ax.axhline(np.log(3), color="gray", ls=":", label="log 3: guessing uniformly")
for s in snap_at[1:-1]:
    ax.axvline(s, color="C1", lw=0.5)
ax.set_xlabel("gradient-descent step")
ax.set_ylabel("cross-entropy loss")
ax.legend();
'''),
        code(r'''
W1, b1 = model[0].weight.data, model[0].bias.data          # (2, 100), (100,)
regions, acc = snapshots[steps]
t = np.array([-1.2, 1.2])
fig, ax = plt.subplots(figsize=(5.6, 5.6))
ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=["#fbb4ae", "#b3cde3", "#ccebc5"])
for (w0, w1), bj in zip(W1.T, b1):                          # hidden unit j is active where x·W1[:, j] + b1[j] > 0
    if abs(w1) > abs(w0):
        ax.plot(t, -(w0 * t + bj) / w1, color="k", lw=0.6, alpha=0.35)
    else:
        ax.plot(-(w1 * t + bj) / w0, t, color="k", lw=0.6, alpha=0.35)
ax.scatter(X_sp[:, 0], X_sp[:, 1], c=y_sp, cmap="Set1", s=9, edgecolors="k", linewidths=0.3, vmax=8)
ax.set_xlim(-1.2, 1.2)
ax.set_ylim(-1.2, 1.2)
ax.set_aspect("equal")
ax.set_title("the 100 lines on which a hidden ReLU switches on");
'''),
        md(r'''
Every boundary is made of straight pieces: each hidden ReLU unit switches on along one line $x^\top W_{1,:j} + b_{1,j} = 0$ (drawn above), and the 100 lines together tile the plane into regions in each of which the network is affine; the class boundaries run along pieces of them. Early on the boundaries are nearly straight; the network first gets the coarse layout right and then bends the boundaries to follow the arms.

## 6. Exercises

Write the two backward passes yourself. Each check cell runs your function on several seeded inputs (edge cases included) and compares it with `nnedu` and with numerical gradients. It prints PASS, or FAIL with the largest error and a hint, or "not implemented yet".

**Exercise 1.** `relu_backward(X, G)` returns $\partial L/\partial X$ for $Y = \max(X, 0)$, given the forward input `X` and $G = \partial L/\partial Y$ (same shape, any number of dimensions). Use subgradient 0 at $X = 0$.
'''),
        code(r'''
def relu_backward(X, G):
    """dL/dX of Y = max(X, 0), given X and G = dL/dY."""
    ### BEGIN SOLUTION
    return G * (X > 0)
    ### END SOLUTION
'''),
        code(r'''
from nnedu.exercises import check_relu_backward

check_relu_backward(relu_backward);
'''),
        md(r'''
**Exercise 2.** `linear_backward(X, W, G)` returns the tuple `(dX, dW, db)` for $Y = XW + b$, with $X: (N, D)$, $W: (D, M)$, $G: (N, M)$. (Why does the backward pass not need $b$?)
'''),
        code(r'''
def linear_backward(X, W, G):
    """(dL/dX, dL/dW, dL/db) of Y = X W + b, given X (N, D), W (D, M) and G = dL/dY (N, M)."""
    ### BEGIN SOLUTION
    dX = G @ W.T          # (N, M) @ (M, D) -> (N, D)
    dW = X.T @ G          # (D, N) @ (N, M) -> (D, M)
    db = G.sum(axis=0)    # (M,)
    return dX, dW, db
    ### END SOLUTION
'''),
        code(r'''
from nnedu.exercises import check_linear_backward

check_linear_backward(linear_backward);
'''),
        md(r'''
## Summary

- A linear layer maps $(N, D) \to (N, M)$ by $Y = XW + b$. Its backward pass is three matrix expressions: $\partial L/\partial X = G W^\top$, $\partial L/\partial W = X^\top G$, $\partial L/\partial b = \sum_n G_n$. A gradient has the shape of its variable, and that alone fixes the transposes. Broadcasting forward means summing backward.
- ReLU passes the gradient where the input was positive: $\partial L/\partial X = G \odot \mathbb 1[X > 0]$, with subgradient 0 at the kink.
- Central differences with $h = 10^{-6}$ in float64 check a backward pass to a relative error of about $10^{-10}$; errors near 1 mean a bug; float32 is too imprecise for checking.
- Two affine layers with a ReLU between them already learn non-linear decision boundaries, built from straight pieces.

## More exercises

1. Show that $X^\top G = \sum_n x_n^\top g_n$: the weight gradient of a batch is the sum of per-example *outer products*. What does this say about the rank of $\partial L/\partial W$ when $N = 1$?
2. Derive the backward pass of `LeakyReLU` ($Y = X$ for $X > 0$, $aX$ otherwise), then check `nn.LeakyReLU(0.1)` with `nnedu.gradcheck`.
3. Retrain the spiral network with 5, 20 and 500 hidden units, and with learning rates 0.1 and 3. Count the straight pieces of the boundary for 5 units. When does training diverge?
4. Initialise both weight matrices to zero and train. Why does nothing happen (look at $\partial L/\partial W_1$)? Now initialise all weights to the same non-zero constant: why do all hidden units stay identical (the *symmetry* problem)?
5. *Dead ReLUs*: after training, count hidden units whose input $X W_1 + b_1$ is negative for every training point. What is their gradient? Try a learning rate of 10.
'''),
    ]
    write("01_linear_relu.ipynb", cells)


# ---------------------------------------------------------------------------------------------------
# 02: softmax and cross-entropy
# ---------------------------------------------------------------------------------------------------
def nb02() -> None:
    cells = [
        md(r"""
# 02 · Softmax and cross-entropy: the gradient $(P - Y)/N$, and numbers that do not overflow

**What you will learn**

- how softmax turns a row of scores (*logits*) into probabilities, and cross-entropy turns them into a loss;
- the derivation of the famous result $\partial L/\partial Z = (P - Y)/N$, twice: through the softmax Jacobian and through log-softmax;
- why the textbook formula overflows (and underflows) in floating point, seen failing, and the max-subtraction / log-sum-exp fix, seen working;
- the sanity check every training run should start with: the initial loss is about $\log C$.

**What you should know already**: notebook 01 (the backward-pass convention $G = \partial L/\partial Y$, gradient checks), $\exp$ and $\log$, the chain rule.
"""),
        code(SETUP),
        md(r"""
## 1. Softmax

A classifier's last layer produces one score per class, the *logits* $Z \in \mathbb{R}^{N\times C}$ for $N$ examples and $C$ classes. Softmax turns each row into a probability distribution:

$$ P_{nk} = \operatorname{softmax}(Z_{n,:})_k = \frac{e^{Z_{nk}}}{\sum_{j=1}^{C} e^{Z_{nj}}}, \qquad P \in \mathbb{R}^{N\times C}, \quad P_{nk} > 0, \quad \sum_k P_{nk} = 1 . $$

It preserves the order of the logits and is **unchanged when a constant is added to a row**, $\operatorname{softmax}(z + c) = \operatorname{softmax}(z)$, since $e^{z_k + c} = e^c e^{z_k}$ and $e^c$ cancels. Remember this; it will rescue us in section 4.
"""),
        code(r"""
from nnedu.functional import log_softmax, logsumexp, softmax

Z = np.array([[2.0, 1.0, 0.1],
              [0.0, 0.0, 0.0]])
P = softmax(Z, axis=1)
print("P =\n", P)
print("row sums:", P.sum(axis=1))
print("shift invariance:", np.allclose(softmax(Z + 100, axis=1), P))
"""),
        md(r"""
## 2. Cross-entropy

With integer labels $y_n \in \{0, \dots, C-1\}$ and their one-hot matrix $Y \in \{0,1\}^{N\times C}$ ($Y_{nk} = 1$ iff $k = y_n$), the cross-entropy loss averaged over the batch is

$$ L = -\frac1N \sum_{n=1}^{N} \sum_{k=1}^{C} Y_{nk} \log P_{nk} = -\frac1N \sum_{n=1}^{N} \log P_{n, y_n} . $$

It is the average *surprise* of the model at the true labels: $0$ if it puts probability 1 on every correct class, $\log C$ if it guesses uniformly, and unbounded when it is confidently wrong. Minimising it is maximum-likelihood training of the probabilities $P$.

## 3. The gradient $\partial L / \partial Z = (P - Y)/N$

**Route 1: through the softmax Jacobian.** For one row (drop the index $n$), differentiate $P_k = e^{z_k}/S$ with $S = \sum_j e^{z_j}$ by the quotient rule:

$$ \frac{\partial P_k}{\partial z_j} = \frac{\delta_{kj} e^{z_k} S - e^{z_k} e^{z_j}}{S^2} = P_k(\delta_{kj} - P_j) . $$

The loss of one example is $\ell = -\sum_k Y_k \log P_k$, so by the chain rule

$$ \frac{\partial \ell}{\partial z_j} = -\sum_k \frac{Y_k}{P_k} P_k (\delta_{kj} - P_j) = -Y_j + P_j \sum_k Y_k = P_j - Y_j , $$

using $\sum_k Y_k = 1$. **Route 2: through log-softmax** (shorter): $\log P_k = z_k - \log \sum_j e^{z_j}$, hence $\partial \log P_k / \partial z_j = \delta_{kj} - P_j$ and $\partial \ell/\partial z_j = -\sum_k Y_k(\delta_{kj} - P_j) = P_j - Y_j$.

Averaging over the batch multiplies by $1/N$. In matrix form, with shapes:

$$ \underbrace{\frac{\partial L}{\partial Z}}_{N\times C} = \frac{1}{N}\big(\underbrace{P}_{N\times C} - \underbrace{Y}_{N\times C}\big) . $$

Beautifully simple: the gradient is "predicted minus true", each entry in $[-1/N, 1/N]$. It pushes the correct logit up by $1 - P_{n,y_n}$ and every other logit down by its probability. The fused `nnedu.nn.CrossEntropyLoss` computes $\log P$ with log-softmax in the forward pass and $(P - Y)/N$ in the backward pass:
"""),
        code(r"""
show_source(nn.CrossEntropyLoss)
"""),
        md(r"""
**Check.** The loss is a function of $Z$ with a scalar output, so we check it as a plain function: the analytic backward multiplies the upstream scalar by `criterion.backward()`.
"""),
        code(r"""
from nnedu.exercises import gradcheck_report

nnedu.set_default_dtype(np.float64)
criterion = nn.CrossEntropyLoss()


def ce_forward(Z, y):
    return np.array(criterion(Z, y))


def ce_backward(Z, y, g):
    criterion(Z, y)
    return g * criterion.backward()


rng = np.random.default_rng(0)
for N, C in [(5, 3), (1, 10), (16, 2)]:
    Z, y = rng.standard_normal((N, C)), rng.integers(0, C, N)
    err = nnedu.gradcheck(lambda Z: ce_forward(Z, y), Z, backward=lambda Z, g: ce_backward(Z, y, g))
    gradcheck_report(f"CrossEntropyLoss N={N}, C={C}", err)
"""),
        md(r"""
## 4. Overflow: the textbook formula fails

The largest float32 is about $3.4\times 10^{38} = e^{88.7}$, the largest float64 about $e^{709.8}$. A logit of 100 is unusual but not absurd (an over-confident network, a large learning rate); its exponential does not exist in float32:
"""),
        code(r"""
def softmax_naive(Z):
    '''The textbook formula, exactly as written. Do not use.'''
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


Z_big = np.array([[1000.0, 999.0, 998.0]])
Z_small = np.array([[-1000.0, -1001.0, -1002.0]])
with np.errstate(over="ignore", invalid="ignore"):
    print("naive,  logits ~ +1000:", softmax_naive(Z_big), " exp overflows to inf, inf/inf = nan")
    print("naive,  logits ~ -1000:", softmax_naive(Z_small), " exp underflows to 0, 0/0 = nan")
print("stable, logits ~ +1000:", softmax(Z_big, axis=1))
print("stable, logits ~ -1000:", softmax(Z_small, axis=1))
"""),
        md(r"""
**The fix** uses shift invariance with $m = \max_j z_j$: $\operatorname{softmax}(z) = \operatorname{softmax}(z - m)$. Now the largest exponent is $e^0 = 1$ (no overflow) and the denominator is at least 1 (no division by zero). For the loss we need $\log P$, and $\log$ of an underflowed $0$ is $-\infty$, so we never form $P$ at all and use the **log-sum-exp** identity

$$ \log P_k = z_k - \log \sum_j e^{z_j}, \qquad \log\sum_j e^{z_j} = m + \log \sum_j e^{z_j - m}, $$

where the sum on the right lies in $[1, C]$ and its log is harmless. This is what `nnedu.functional.log_softmax` and `CrossEntropyLoss` do:
"""),
        code(r"""
show_source(log_softmax)
"""),
        md(r"""
The figure makes the failure concrete. Take logits $z = s\cdot(1, 0.5, -1)$ with the true class being the *last* one, so the loss grows like $2s$ as the network becomes more confidently wrong. The naive loss $-\log(\text{softmax\_naive}(z)_y)$ becomes `inf` or `nan` (red crosses) long before the stable one has any trouble:
"""),
        code(r"""
u = np.array([[1.0, 0.5, -1.0]])
label = np.array([2])
scales = np.logspace(0, 4, 161)
results = {}
with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
    for dtype in (np.float32, np.float64):
        naive = np.array([-np.log(softmax_naive((s * u).astype(dtype))[0, 2]) for s in scales])
        stable = np.array([-log_softmax((s * u).astype(dtype), axis=1)[0, 2] for s in scales])
        results[np.dtype(dtype).name] = (naive, stable)

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, (name, (naive, stable)) in zip(axes, results.items()):
    ok = np.isfinite(naive)
    first_bad = scales[~ok][0]
    ax.loglog(scales, stable, "-", color="C0", lw=2, label="log-sum-exp (stable)")
    ax.loglog(scales[ok], naive[ok], "o", ms=3, color="C1", label="naive formula")
    ax.plot(scales[~ok], np.full(int((~ok).sum()), 4e4), "x", ms=4, color="red", label="naive: inf or nan")
    ax.axvline(first_bad, color="red", ls=":", lw=1)
    ax.set_ylim(1, 1e5)
    ax.set_title(f"{name}: the naive loss breaks at s ≈ {first_bad:.0f}")
    ax.set_xlabel("logit scale s   (z = s·(1, 0.5, −1), true class last)")
axes[0].set_ylabel("cross-entropy loss")
axes[0].legend(loc="center left", fontsize=9)
fig.tight_layout();
"""),
        code(r"""
for name, (naive, stable) in results.items():
    print(f"{name}: naive loss finite up to s = {scales[np.isfinite(naive)][-1]:.0f}; "
          f"stable loss finite for all s up to 1e4: {bool(np.all(np.isfinite(stable)))}")
"""),
        md(r"""
The fused loss is stable for logits of any magnitude, and so is its gradient:
"""),
        code(r"""
Z_extreme = np.array([[1e4, 0.0, -1e4],
                      [-1e4, 1e4, 0.0]])
y_extreme = np.array([1, 1])
loss = criterion(Z_extreme, y_extreme)
print(f"loss = {loss:.1f}  (the first example is wrong by 1e4 logits: 1e4 / N = 5000)")
print("dL/dZ =\n", criterion.backward())
"""),
        md(r"""
## 5. Sanity check: the initial loss is about $\log C$

A freshly initialised network has small, nearly random logits, so $P \approx 1/C$ in every row and

$$ L_{\text{init}} \approx -\log \tfrac{1}{C} = \log C \qquad (\log 10 \approx 2.30 \text{ for MNIST}). $$

Checking this costs one forward pass and catches bugs before hours of training: a wrong label encoding, a forgotten normalisation of the inputs, a final layer initialised far too large. Here is a fresh MLP on 1000 MNIST test digits:
"""),
        code(r"""
from nnedu.data import load_mnist, stratified_subset

nnedu.set_default_dtype(np.float32)
images, labels = load_mnist("test", normalize=True)
images, labels = stratified_subset(images, labels, 1000, seed=0)

body = nn.Sequential(nn.Flatten(), nn.Linear(784, 128, rng=0), nn.ReLU())
head = nn.Linear(128, 10, rng=1)
H = body(images)
loss0 = criterion(head(H), labels)
print(f"initial loss {loss0:.2f}   vs   log 10 = {np.log(10):.2f}")
"""),
        md(r"""
Scale the final layer's weights and the initial loss leaves $\log C$: the network starts out *confidently* wrong on most examples and must first unlearn that confidence. The figure shows the initial loss against the scale of the last layer:
"""),
        code(r"""
W0 = head.weight.data.copy()
gains = np.logspace(-2, 1.5, 36)
init_losses = []
for g in gains:
    head.weight.data[...] = g * W0
    init_losses.append(criterion(head(H), labels))
head.weight.data[...] = W0

fig, ax = plt.subplots(figsize=(7, 3.6))
ax.semilogx(gains, init_losses, "o-", ms=3)
ax.axhline(np.log(10), color="gray", ls=":", label="log 10 = 2.30")
ax.axvline(1, color="C1", ls="--", lw=1, label="He initialisation (gain 1)")
ax.set_xlabel("gain applied to the last layer's initial weights")
ax.set_ylabel("loss before training")
ax.set_title("Initial loss ≈ log C only when the logits start small")
ax.legend();
"""),
        md(r"""
## 6. Exercises

**Exercise 1.** Write a numerically stable `softmax(Z)` for logits $Z$ of shape $(N, C)$, normalising each row. It must work for logits of $\pm 10^4$.
"""),
        code(r"""
def softmax_stable(Z):
    '''Row-wise softmax of Z (N, C), finite for logits of any magnitude.'''
    ### BEGIN SOLUTION
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
    ### END SOLUTION
"""),
        code(r"""
from nnedu.exercises import check_softmax

check_softmax(softmax_stable);
"""),
        md(r"""
**Exercise 2.** Write `softmax_ce_backward(Z, y)` returning $\partial L/\partial Z$ of the batch-mean cross-entropy for logits $Z$ $(N, C)$ and integer labels $y$ $(N,)$. (You may use `softmax_stable` from exercise 1.)
"""),
        code(r"""
def softmax_ce_backward(Z, y):
    '''dL/dZ of L = -(1/N) sum_n log softmax(Z)[n, y_n].'''
    ### BEGIN SOLUTION
    N = Z.shape[0]
    dZ = softmax_stable(Z)
    dZ[np.arange(N), y] -= 1          # P - Y without building Y
    return dZ / N
    ### END SOLUTION
"""),
        code(r"""
from nnedu.exercises import check_softmax_ce_backward

check_softmax_ce_backward(softmax_ce_backward);
"""),
        md(r"""
## Summary

- Softmax maps logits $Z$ $(N, C)$ to row-wise probabilities $P$; adding a constant to a row changes nothing.
- Cross-entropy $L = -\frac1N\sum_n \log P_{n,y_n}$ has the gradient $\partial L/\partial Z = (P - Y)/N$: predicted minus true, divided by the batch size. Both routes (softmax Jacobian $P_k(\delta_{kj} - P_j)$, or log-softmax) give it.
- $e^{z}$ overflows float32 at $z \approx 88.7$ and float64 at $709.8$; $\log$ of an underflowed probability is $-\infty$. Subtract the row maximum and compute $\log P$ with log-sum-exp; never form $\log(\operatorname{softmax}(z))$ naively.
- A fresh classifier's loss should be about $\log C$. If it is not, look for a bug before training.

## More exercises

1. Compute the full softmax Jacobian $J = \operatorname{diag}(p) - p p^\top$ for one row and verify it against `nnedu.checking.numerical_gradient`, one column at a time. Why is $J$ singular? (Hint: shift invariance.)
2. Soft targets: for a target row $Y_{n,:}$ that is any probability distribution (e.g. label smoothing, $Y = (1-\varepsilon)\,\text{onehot} + \varepsilon/C$), show that $\partial L/\partial Z = (P - Y)/N$ still holds. Check it with `nn.CrossEntropyLoss()(Z, Y_soft)`.
3. Show that for $C = 2$ softmax reduces to the logistic sigmoid of $z_1 - z_0$, and that the gradient formula becomes the familiar $(\sigma(z) - y)$ of logistic regression.
4. Temperature: plot $\operatorname{softmax}(z / T)$ for $T \in \{0.1, 1, 10\}$. What happens as $T\to 0$ and $T \to \infty$? What does it do to the gradient?
5. The gradient entries lie in $[-1/N, 1/N]$. Why does that make cross-entropy easier to train than the squared error on probabilities, $\frac1N\sum(P - Y)^2$? (Derive that gradient and look at what happens when $P_{n,y_n} \approx 0$.)
"""),
    ]
    write("02_softmax_cross_entropy.ipynb", cells)


# ---------------------------------------------------------------------------------------------------
# 03: BatchNorm
# ---------------------------------------------------------------------------------------------------
def nb03() -> None:
    cells = [
        md(r"""
# 03 · Batch normalisation: the computational graph, a backward pass in eight steps and in one line

**What you will learn**

- what BatchNorm computes in training mode, with the shape of every quantity;
- how to backpropagate through it *mechanically*, one node of the computational graph at a time, and how the eight steps collapse into one compact formula;
- to check both against numerical gradients and against each other, and to measure their speed;
- train vs eval mode and the running statistics (including PyTorch's unbiased-variance detail);
- `BatchNorm2d`: the same thing per channel of an image;
- what BatchNorm does for training: a reproduction of the classic sigmoid-MLP experiment of Ioffe & Szegedy (2015).

**What you should know already**: notebooks 01 and 02 (backward passes, $G = \partial L/\partial Y$, gradient checks), mean and variance.
"""),
        code(SETUP + r"""
from nnedu.exercises import gradcheck_report
from nnedu.exercises.report import format_error
from nnedu.checking import rel_error
from nnedu.functional import (batchnorm_backward, batchnorm_backward_steps, batchnorm_forward,
                              batchnorm_forward_steps)

nnedu.set_default_dtype(np.float64)
"""),
        md(r"""
## 1. The forward pass

Deep networks train badly when the distribution of each layer's inputs drifts as the layers below learn. BatchNorm normalises every feature to zero mean and unit variance *over the mini-batch*, then lets the network pick the scale and offset it wants. For an input $x$ of shape $(N, D)$ and each feature separately (all vectors below have shape $(D,)$ and are broadcast over the batch):

$$
\mu = \frac1N \sum_{i=1}^{N} x_i, \qquad
\sigma^2 = \frac1N \sum_{i=1}^{N} (x_i - \mu)^2, \qquad
\hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
y_i = \gamma \odot \hat x_i + \beta .
$$

$\gamma$ (`weight`) and $\beta$ (`bias`) are learned; $\epsilon = 10^{-5}$ keeps the division finite. With $\gamma = \sqrt{\sigma^2+\epsilon}$ and $\beta = \mu$ the layer could even undo itself, so normalising costs no expressive power.
"""),
        code(r"""
rng = np.random.default_rng(0)
x = rng.normal(loc=[5.0, -3.0, 0.0], scale=[2.0, 0.1, 10.0], size=(64, 3))    # N = 64, D = 3
bn = nn.BatchNorm1d(3)
y = bn(x)
print("input  mean", x.mean(axis=0), " std", x.std(axis=0))
print("output mean", y.mean(axis=0).round(6) + 0.0, " std", y.std(axis=0).round(4))
"""),
        md(r"""
## 2. The computational graph

To differentiate a complicated expression without mistakes, break it into elementary operations — nodes of a graph — and apply the chain rule node by node, from the output back to the input. `nnedu.functional.batchnorm_forward_steps` computes BatchNorm exactly this way, one node per line, with $n$ values per feature ($n = N$ here):
"""),
        code(r"""
show_source(batchnorm_forward_steps)
"""),
        code(r"""
nodes = {  # name: (x, y, label)
    "x": (0.0, 2.0, "$x$\n(N, D)"), "mu": (1.6, 3.2, "1  $\\mu$\n(D,)"), "xc": (3.2, 2.0, "2  $x_c = x - \\mu$"),
    "sq": (4.9, 3.2, "3  $x_c^2$"), "var": (6.5, 3.2, "4  $\\sigma^2$\n(D,)"), "std": (8.1, 3.2, "5  $\\sqrt{\\sigma^2+\\epsilon}$"),
    "istd": (9.7, 3.2, "6  $1/\\mathrm{std}$"), "xhat": (9.7, 2.0, "7  $\\hat x = x_c \\cdot \\mathrm{istd}$"),
    "y": (11.8, 2.0, "8  $y = \\gamma\\hat x + \\beta$"), "gamma": (11.0, 0.8, "$\\gamma$, $\\beta$\n(D,)"),
}
edges = [("x", "mu"), ("x", "xc"), ("mu", "xc"), ("xc", "sq"), ("sq", "var"), ("var", "std"), ("std", "istd"),
         ("istd", "xhat"), ("xc", "xhat"), ("xhat", "y"), ("gamma", "y")]
paths_to_x = {("x", "xc"): "C0", ("x", "mu"): "C1", ("xc", "sq"): "C2"}

fig, ax = plt.subplots(figsize=(12, 3.6))
for a, b in edges:
    (x0, y0, _), (x1, y1, _) = nodes[a], nodes[b]
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops=dict(arrowstyle="-|>", lw=1.6, color=paths_to_x.get((a, b), "0.4"),
                                shrinkA=24, shrinkB=24))
for name, (px, py, label) in nodes.items():
    ax.text(px, py, label, ha="center", va="center", fontsize=10,
            bbox=dict(boxstyle="round,pad=0.4", fc="#eef3fb" if name not in ("x", "y") else "#fde9c9", ec="0.5"))
ax.text(0.2, 0.6, "x reaches y along three paths: directly (blue), through the mean (orange),\n"
        "and through the variance (green, via $x_c$). The backward pass must add all three.",
        fontsize=10, color="0.25")
ax.set_xlim(-0.8, 12.8)
ax.set_ylim(0.2, 3.8)
ax.axis("off")
ax.set_title("BatchNorm (training mode) as a computational graph: forward left to right, backward right to left");
"""),
        md(r"""
## 3. Backward, one node at a time

Walk the graph backwards. Each node receives the gradient of its output and multiplies by its *local* derivative; where a value feeds two nodes (like $x_c$, used by nodes 3 and 7, or $x$, used by nodes 1 and 2), the gradients arriving from both uses **add up**. Where a node sums over the batch (nodes 1 and 4), the backward pass *broadcasts*; where a $(D,)$ vector was broadcast over the batch (nodes 2, 7, 8), the backward pass *sums*. With $G = \partial L/\partial y$ of shape $(N, D)$:

| node | forward | backward |
|---|---|---|
| 8 | $y = \gamma \hat x + \beta$ | $d\beta = \sum_i G_i$, $\;d\gamma = \sum_i G_i \odot \hat x_i$, $\;d\hat x = \gamma \odot G$ |
| 7 | $\hat x = x_c \cdot \mathrm{istd}$ | $dx_c = d\hat x \cdot \mathrm{istd}$, $\;d\,\mathrm{istd} = \sum_i d\hat x_i \odot x_{c,i}$ |
| 6 | $\mathrm{istd} = 1/\mathrm{std}$ | $d\,\mathrm{std} = -d\,\mathrm{istd} / \mathrm{std}^2$ |
| 5 | $\mathrm{std} = \sqrt{\sigma^2 + \epsilon}$ | $d\sigma^2 = d\,\mathrm{std} / (2\,\mathrm{std})$ |
| 4 | $\sigma^2 = \frac1n\sum_i \mathrm{sq}_i$ | $d\,\mathrm{sq}_i = d\sigma^2 / n$ (broadcast) |
| 3 | $\mathrm{sq} = x_c^2$ | $dx_c \mathrel{+}= 2\,x_c \odot d\,\mathrm{sq}$ (second use of $x_c$) |
| 2 | $x_c = x - \mu$ | $dx = dx_c$, $\;d\mu = -\sum_i dx_{c,i}$ |
| 1 | $\mu = \frac1n \sum_i x_i$ | $dx \mathrel{+}= d\mu / n$ (broadcast; second use of $x$) |

`batchnorm_backward_steps` is this table, line by line:
"""),
        code(r"""
show_source(batchnorm_backward_steps)
"""),
        md(r"""
## 4. The compact formula

Now do the algebra once, by hand. Write $s = \sqrt{\sigma^2+\epsilon}$ and $d\hat x = \gamma \odot G$. Since $\partial \mu/\partial x_i = \frac1n$ and $\partial \sigma^2/\partial x_i = \frac2n (x_i - \mu)$ (the term with $\partial\mu/\partial x_i$ vanishes because $\sum_j (x_j - \mu) = 0$), differentiating $\hat x_j = (x_j - \mu)/s$ gives, per feature,

$$ \frac{\partial \hat x_j}{\partial x_i} = \frac1s\Big(\delta_{ij} - \frac1n\Big) - \frac{x_j - \mu}{s^2}\,\frac{x_i - \mu}{n s} = \frac1s\Big(\delta_{ij} - \frac1n - \frac{\hat x_i \hat x_j}{n}\Big) . $$

Summing $\frac{\partial L}{\partial x_i} = \sum_j d\hat x_j \frac{\partial \hat x_j}{\partial x_i}$ and substituting $d\hat x = \gamma G$:

$$
\boxed{\;\frac{\partial L}{\partial x_i} = \frac{\gamma}{n\sqrt{\sigma^2+\epsilon}}\Big(n\,G_i - \sum_j G_j - \hat x_i \sum_j G_j \odot \hat x_j\Big)\;}, \qquad
\frac{\partial L}{\partial \gamma} = \sum_i G_i \odot \hat x_i, \qquad
\frac{\partial L}{\partial \beta} = \sum_i G_i .
$$

Read it: the gradient of a normalised layer is the incoming gradient with its mean removed and its component along $\hat x$ removed, then rescaled. It reuses $\sum_j G_j = d\beta$ and $\sum_j G_j \hat x_j = d\gamma$, so the whole backward pass costs a few passes over the data. `nnedu.functional.batchnorm_backward` (used by `nn.BatchNorm1d`) implements it:
"""),
        code(r"""
show_source(batchnorm_backward)
"""),
        md(r"""
## 5. Proof: both are checked, and they agree
"""),
        code(r"""
x = rng.standard_normal((8, 5))
gamma, beta = rng.standard_normal(5), rng.standard_normal(5)

bn = nn.BatchNorm1d(5)
bn.weight.data[...], bn.bias.data[...] = gamma, beta
gradcheck_report("BatchNorm1d (compact), train", nnedu.gradcheck(bn, x))


def staged_forward(x):
    return batchnorm_forward_steps(x, gamma, beta)[0]


def staged_backward(x, G):
    return batchnorm_backward_steps(G, batchnorm_forward_steps(x, gamma, beta)[1])[0]


gradcheck_report("staged backward, dL/dx", nnedu.gradcheck(staged_forward, x, backward=staged_backward))

G = rng.standard_normal(x.shape)
_, cache = batchnorm_forward(x, gamma, beta)
_, graph = batchnorm_forward_steps(x, gamma, beta)
for name, a, b in zip(("dx", "dgamma", "dbeta"), batchnorm_backward(G, cache), batchnorm_backward_steps(G, graph)):
    print(f"compact vs staged {name:<7s} relative difference {format_error(rel_error(a, b))}")
"""),
        md(r"""
### Speed

Same numbers, different cost: the staged version creates a temporary array for every node; the compact one reuses $d\beta$ and $d\gamma$. Timed on a batch of 256 examples with 1024 features in float32 (timings vary between runs and machines):
"""),
        code(r"""
# NBVAL_IGNORE_OUTPUT
import timeit

xs = rng.standard_normal((256, 1024)).astype(np.float32)
gs, bs = np.ones(1024, np.float32), np.zeros(1024, np.float32)
Gs = rng.standard_normal(xs.shape).astype(np.float32)
_, cache_s = batchnorm_forward(xs, gs, bs)
_, graph_s = batchnorm_forward_steps(xs, gs, bs)
t_compact = min(timeit.repeat(lambda: batchnorm_backward(Gs, cache_s), number=20, repeat=5)) / 20
t_staged = min(timeit.repeat(lambda: batchnorm_backward_steps(Gs, graph_s), number=20, repeat=5)) / 20
print(f"staged backward : {t_staged * 1e3:6.2f} ms")
print(f"compact backward: {t_compact * 1e3:6.2f} ms   ({t_staged / t_compact:.1f}x faster)")
"""),
        md(r"""
## 6. Train mode, eval mode and running statistics

At test time there may be a single example, and its prediction must not depend on whatever else is in the batch. So in **eval mode** BatchNorm uses fixed estimates of $\mu$ and $\sigma^2$, accumulated during training as exponential moving averages with `momentum` $m = 0.1$:

$$
\hat\mu \leftarrow (1-m)\,\hat\mu + m\,\mu_B, \qquad
\hat\sigma^2 \leftarrow (1-m)\,\hat\sigma^2 + m\,\frac{n}{n-1}\,\sigma^2_B ,
$$

exactly as PyTorch does: the *unbiased* batch variance goes into the running estimate, while the normalisation itself uses the biased $\sigma^2_B$. In eval mode $y = \gamma (x - \hat\mu)/\sqrt{\hat\sigma^2+\epsilon} + \beta$ is a fixed affine map, and its backward pass is simply $\gamma G / \sqrt{\hat\sigma^2+\epsilon}$.

Feed batches of 32 drawn from a distribution with means $(-2, 0, 5)$ and standard deviations $(0.5, 1, 3)$ and watch the estimates converge (they start at $0$ and $1$):
"""),
        code(r"""
true_mean, true_std = np.array([-2.0, 0.0, 5.0]), np.array([0.5, 1.0, 3.0])
bn = nn.BatchNorm1d(3, momentum=0.1)
data_rng = np.random.default_rng(1)
history_mean, history_var = [bn.running_mean.copy()], [bn.running_var.copy()]
for step in range(100):
    bn(data_rng.normal(true_mean, true_std, size=(32, 3)))
    history_mean.append(bn.running_mean.copy())
    history_var.append(bn.running_var.copy())
history_mean, history_var = np.array(history_mean), np.array(history_var)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
for d in range(3):
    axes[0].plot(history_mean[:, d], color=f"C{d}", label=f"feature {d}")
    axes[0].axhline(true_mean[d], color=f"C{d}", ls=":")
    axes[1].plot(history_var[:, d], color=f"C{d}")
    axes[1].axhline(true_std[d] ** 2, color=f"C{d}", ls=":")
axes[0].set_title("running_mean (dotted: true mean)")
axes[1].set_title("running_var (dotted: true variance)")
axes[1].set_yscale("log")
for ax in axes:
    ax.set_xlabel("training step")
axes[0].legend(fontsize=9)
fig.tight_layout();
"""),
        code(r"""
print("after 100 steps, running_mean", bn.running_mean.round(1), " running_var", bn.running_var.round(1))

# One step with momentum 1 replaces the estimate by the batch statistics: the unbiased variance goes in.
bn1 = nn.BatchNorm1d(3, momentum=1.0)
xb = data_rng.normal(true_mean, true_std, size=(8, 3))
bn1(xb)
print("running_var == unbiased batch variance (ddof=1):", np.allclose(bn1.running_var, xb.var(axis=0, ddof=1)))

# Train mode: an example's output depends on the rest of the batch. Eval mode: it does not.
batch_a = data_rng.normal(true_mean, true_std, size=(16, 3))
batch_b = batch_a.copy()
batch_b[1:] = data_rng.normal(true_mean, true_std, size=(15, 3))       # same first example, new others
bn.train()
print("train mode, example 0 unchanged by its batch-mates:", np.allclose(bn(batch_a)[0], bn(batch_b)[0]))
bn.eval()
print("eval mode,  example 0 unchanged by its batch-mates:", np.allclose(bn(batch_a)[0], bn(batch_b)[0]))
_ = bn.train()
"""),
        code(r"""
bn_eval = nn.BatchNorm1d(5)
bn_eval.running_mean[...] = rng.standard_normal(5)
bn_eval.running_var[...] = rng.uniform(0.5, 2.0, 5)
bn_eval.weight.data[...] = gamma
bn_eval.eval()
gradcheck_report("BatchNorm1d, eval mode", nnedu.gradcheck(bn_eval, rng.standard_normal((4, 5))));
"""),
        md(r"""
## 7. BatchNorm2d: per channel

For images $x$ of shape $(N, C, H, W)$ a feature is a *channel*, and a convolution applies the same filter at every position, so all $N \cdot H \cdot W$ values of a channel share one $\mu_c$, one $\sigma_c^2$ and one $(\gamma_c, \beta_c)$: the statistics are taken over the axes $(0, 2, 3)$, and $n = N H W$ in every formula above. The code is the same; only the axes change.
"""),
        code(r"""
x4 = rng.normal(loc=3.0, scale=2.0, size=(4, 3, 5, 6)) * np.array([1.0, 10.0, 0.1])[None, :, None, None]
bn2 = nn.BatchNorm2d(3)
y4 = bn2(x4)
print("input:  per-channel mean", x4.mean(axis=(0, 2, 3)).round(2), " std", x4.std(axis=(0, 2, 3)).round(2))
print("output: per-channel mean", y4.mean(axis=(0, 2, 3)).round(6) + 0.0, " std", y4.std(axis=(0, 2, 3)).round(4))
bn2.weight.data[...], bn2.bias.data[...] = rng.standard_normal(3), rng.standard_normal(3)
gradcheck_report("BatchNorm2d, train", nnedu.gradcheck(bn2, rng.standard_normal((2, 3, 4, 5))));
"""),
        md(r"""
## 8. What BatchNorm does for training

A reproduction of the first experiment of Ioffe & Szegedy (2015): an MLP with three hidden layers of 100 **sigmoid** units on MNIST, trained with plain SGD (learning rate 0.5, batches of 60), once without and once with BatchNorm before every sigmoid. We follow the test accuracy and the distribution of the input to one sigmoid unit in the last hidden layer (its 15th, 50th and 85th percentiles over 1000 test digits). In quick mode (`NNEDU_QUICK=1`) the run is much shorter.
"""),
        code(r"""
from nnedu.data import DataLoader, load_mnist, stratified_subset
from nnedu.models import MLP
from nnedu.optim import SGD

nnedu.set_default_dtype(np.float32)
X_train, y_train = load_mnist("train", normalize=True)
X_train, y_train = stratified_subset(X_train, y_train, pick(full=20000, quick=2000), seed=0)
X_test, y_test = load_mnist("test", normalize=True)
X_test, y_test = stratified_subset(X_test, y_test, 1000, seed=0)
steps, every = pick(full=1500, quick=60), pick(full=50, quick=20)


def sigmoid_input(model, x):
    '''The input of the last hidden layer's sigmoid (the output of bn3, or of fc3 without BN).'''
    for name, layer in model.named_children():
        if name == "act3":
            return x
        x = layer(x)


def train(batchnorm):
    model = MLP((784, 100, 100, 100, 10), activation="sigmoid", batchnorm=batchnorm, rng=0)
    optimizer, criterion = SGD(model.parameters(), lr=0.5), nn.CrossEntropyLoss()
    loader = DataLoader(X_train, y_train, batch_size=60, seed=0)
    log = {"step": [], "accuracy": [], "percentiles": []}
    step = 0
    while step < steps:
        for xb, yb in loader:
            if step % every == 0:
                model.eval()
                log["step"].append(step)
                log["accuracy"].append(np.mean(model(X_test).argmax(axis=1) == y_test))
                log["percentiles"].append(np.percentile(sigmoid_input(model, X_test)[:, 0], [15, 50, 85]))
                model.train()
            optimizer.zero_grad()
            criterion(model(xb), yb)
            model.backward(criterion.backward())
            optimizer.step()
            step += 1
            if step == steps:
                break
    return {k: np.array(v) for k, v in log.items()}


logs = {"without BatchNorm": train(False), "with BatchNorm": train(True)}
"""),
        code(r"""
# NBVAL_IGNORE_OUTPUT
for name, log in logs.items():
    print(f"{name:<18s} test accuracy after {log['step'][1]} steps: {log['accuracy'][1]:.1%}, "
          f"after {log['step'][-1]} steps: {log['accuracy'][-1]:.1%}")
"""),
        code(r"""
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
axes[2].sharey(axes[1])
for (name, log), color in zip(logs.items(), ("C3", "C0")):
    axes[0].plot(log["step"], log["accuracy"], color=color, label=name)
axes[0].set_ylim(0, 1)
axes[0].set_title("test accuracy")
axes[0].set_xlabel("training step")
axes[0].legend()
for ax, (name, log), color in zip(axes[1:], logs.items(), ("C3", "C0")):
    p = log["percentiles"]
    ax.fill_between(log["step"], p[:, 0], p[:, 2], color=color, alpha=0.25, label="15th to 85th percentile")
    ax.plot(log["step"], p[:, 1], color=color, label="median")
    ax.set_title(f"input to a sigmoid, {name}")
    ax.set_xlabel("training step")
    ax.legend(fontsize=9)
fig.tight_layout();
"""),
        md(r"""
Without BatchNorm the network starts slowly — the sigmoids' inputs wander while the layers below change, and the gradients through saturated sigmoids are small — whereas with BatchNorm it is accurate after a few hundred steps and the input distribution of each unit stays put: its mean and spread are controlled by the learned $\gamma$ and $\beta$ alone, not by everything below it. (Why BatchNorm helps is still debated; smoother loss landscapes and the ability to use larger learning rates are part of the answer.)

## 9. Exercise

Write `batchnorm_backward(x, gamma, G, eps)` returning `(dx, dgamma, dbeta)` for the training-mode forward pass of section 1, with $x$ and $G$ of shape $(N, D)$ and $\gamma$ of shape $(D,)$. Recompute what you need ($\mu$, $\sigma^2$, $\hat x$) from `x`. Use the compact formula — or the staged one, if you prefer to derive it yourself first.
"""),
        code(r"""
def batchnorm_backward_exercise(x, gamma, G, eps):
    '''(dL/dx, dL/dgamma, dL/dbeta) of training-mode batch normalisation.'''
    ### BEGIN SOLUTION
    N = x.shape[0]
    mu = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mu) * inv_std
    dbeta = G.sum(axis=0)
    dgamma = (G * x_hat).sum(axis=0)
    dx = gamma * inv_std / N * (N * G - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
    ### END SOLUTION
"""),
        code(r"""
from nnedu.exercises import check_batchnorm_backward

check_batchnorm_backward(batchnorm_backward_exercise);
"""),
        md(r"""
## Summary

- BatchNorm normalises each feature (each channel, for images) with the batch's mean and variance and then applies a learned scale $\gamma$ and shift $\beta$.
- Backpropagation through a computational graph is mechanical: one local derivative per node, gradients **add** where a value is used twice, sums become broadcasts and broadcasts become sums.
- Simplified by hand, the eight steps become $\partial L/\partial x = \frac{\gamma}{n\sqrt{\sigma^2+\epsilon}}\big(nG - \sum G - \hat x \sum G\hat x\big)$: same numbers to rounding, fewer temporaries, faster.
- Training mode uses batch statistics and updates running averages (with the unbiased variance); eval mode uses the running averages and is a fixed affine map, so predictions do not depend on the batch.
- In a deep sigmoid network BatchNorm makes training much faster and keeps each unit's input distribution stable.

## More exercises

1. Derive the backward pass in **eval mode** and check it against `nn.BatchNorm1d(...).eval()` with `nnedu.gradcheck`.
2. Implement BatchNorm2d's backward by reshaping: move the channel axis last, flatten to $(NHW, C)$, reuse your `batchnorm_backward_exercise`, and reshape back. Compare with `nn.BatchNorm2d`.
3. What does `nnedu.gradcheck` report for `BatchNorm1d` with a batch of $N = 1$? Why must training-mode BatchNorm refuse it (look at $\hat x$)?
4. *Layer normalisation* normalises each example over its features instead of each feature over the batch. Adapt the derivation (which axis do the sums run over now?) and explain why LayerNorm needs no running statistics.
5. Rerun the experiment of section 8 with learning rates 0.1 and 2.0, and with ReLU instead of sigmoid. When does BatchNorm matter most?
"""),
    ]
    write("03_batchnorm.ipynb", cells)


# ---------------------------------------------------------------------------------------------------
# 04: convolution
# ---------------------------------------------------------------------------------------------------
def nb04() -> None:
    cells = [
        md(r"""
# 04 · Convolution: the naive loops, im2col, and why one is a thousand times faster

**What you will learn**

- the convolution formula with every index and shape written out, and the output-size formula;
- the naive implementation (four nested loops) and how to check an output by hand;
- **im2col**: turning a convolution into one matrix product, with a picture of the patch matrix;
- **col2im**, the backward of im2col, and why it *adds* (it is not an inverse when windows overlap);
- that both implementations agree, how their speed compares over input sizes, and their backward passes, checked;
- what filters do to a real image: edge detectors and feature maps of an MNIST digit.

**What you should know already**: notebook 01 (affine layers and their backward pass, gradient checks); NumPy slicing and `reshape`.
"""),
        code(SETUP + r"""
import time

from nnedu.checking import rel_error
from nnedu.exercises import gradcheck_report
from nnedu.exercises.report import format_error
from nnedu.functional import (col2im, conv2d, conv2d_im2col_backward, conv2d_im2col_forward, conv2d_naive,
                              conv2d_naive_backward, conv_output_size, im2col)

nnedu.set_default_dtype(np.float64)
"""),
        md(r"""
## 1. The formula

A convolutional layer slides $F$ small filters over an image. The symbols are those of `nnedu.functional.conv`:

| symbol | shape | meaning |
|---|---|---|
| $x$ | $(N, C, H, W)$ | a batch of $N$ images with $C$ channels |
| $w$ | $(F, C, k_h, k_w)$ | $F$ filters, each spanning all $C$ input channels |
| $b$ | $(F,)$ | one bias per filter |
| $s_h, s_w$ | | stride: how far the window moves per output pixel |
| $p_h, p_w$ | | zero padding added on each side; $xp$ is the padded input |
| $y$ | $(N, F, H_o, W_o)$ | one feature map per filter |

$$ y[n, f, i, j] = b[f] + \sum_{c=0}^{C-1} \sum_{p=0}^{k_h-1} \sum_{q=0}^{k_w-1} w[f, c, p, q]\; xp[n, c, i s_h + p, j s_w + q] . $$

Each output pixel is the dot product of one filter with the $C \times k_h \times k_w$ window of the input under it. (Strictly speaking this is a *cross-correlation* — a mathematical convolution would flip the kernel — but every deep-learning library computes this and calls it convolution; since the filters are learned, the flip would not matter.)

**Output size.** Window $i$ starts at row $i s_h$ of the padded input and must end inside it: $i s_h + k_h \le H + 2p_h$. The largest such $i$ is $\lfloor (H + 2p_h - k_h)/s_h \rfloor$, and counting from $0$:

$$ H_o = \left\lfloor \frac{H + 2 p_h - k_h}{s_h} \right\rfloor + 1, \qquad W_o = \left\lfloor \frac{W + 2 p_w - k_w}{s_w} \right\rfloor + 1 . $$
"""),
        code(r"""
examples = [  # (H, k, stride, padding, what)
    (28, 5, 1, 0, "LeNet-5 C1 without padding"),
    (28, 5, 1, 2, "'same' padding p = (k-1)/2"),
    (32, 3, 2, 1, "stride 2 halves the size"),
    (7, 3, 2, 0, "stride 2, odd size: floor"),
    (224, 11, 4, 2, "AlexNet conv1"),
]
print(f"{'H':>4} {'k':>3} {'s':>3} {'p':>3} {'H_o':>5}")
for H, k, s, p, what in examples:
    print(f"{H:4d} {k:3d} {s:3d} {p:3d} {conv_output_size(H, k, s, p):5d}   {what}")
"""),
        md(r"""
## 2. The naive loops

The formula translates directly into loops over samples, filters and output pixels, with the sum over $(c, p, q)$ done by one `np.sum` of an elementwise product. This is `nnedu.functional.conv2d_naive`, the teaching version:
"""),
        code(r"""
show_source(conv2d_naive)
"""),
        md(r"""
A check by hand: one output value is one window times one filter, summed.
"""),
        code(r"""
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 3, 6, 7))
w = rng.standard_normal((4, 3, 3, 3))
b = rng.standard_normal(4)
y = conv2d_naive(x, w, b, stride=2, padding=1)
print("x", x.shape, " w", w.shape, " ->  y", y.shape)

n, f, i, j = 1, 2, 1, 2
xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
window = xp[n, :, i * 2:i * 2 + 3, j * 2:j * 2 + 3]            # (C, kh, kw)
print(f"y[{n},{f},{i},{j}] = {y[n, f, i, j]:.6f};  by hand: {b[f] + np.sum(w[f] * window):.6f}")
"""),
        md(r"""
## 3. im2col: the convolution as one matrix product

Loops in Python cost about a microsecond each; a real layer needs millions of dot products. The trick is to **copy every window into a column** of a matrix, the *patch matrix*

$$ \text{col}[n, (c, p, q), (i, j)] = xp[n, c, i s_h + p, j s_w + q], \qquad \text{col}[n] \in \mathbb{R}^{(C k_h k_w) \times (H_o W_o)}, $$

and to flatten each filter into a row, $w_{\text{mat}} = w.\text{reshape}(F, C k_h k_w)$. Then every output pixel is a row of $w_{\text{mat}}$ times a column of $\text{col}[n]$, and all of them together are one matrix product, which BLAS computes at close to the machine's peak speed:

$$ \underbrace{y[n]}_{F \times H_o W_o} = \underbrace{w_{\text{mat}}}_{F \times C k_h k_w}\; \underbrace{\text{col}[n]}_{C k_h k_w \times H_o W_o} + b . $$

Here is the patch matrix of a $4 \times 4$ image whose pixels are numbered $0..15$, for a $3\times 3$ kernel with stride 1: four windows, four columns.
"""),
        code(r"""
from matplotlib.patches import Rectangle

img = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
col = im2col(img, kernel_size=3, stride=1)[0]                    # (C*kh*kw, Ho*Wo) = (9, 4)
print("col shape:", col.shape)

colors = ["C0", "C1", "C2", "C3"]
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4.6), gridspec_kw={"width_ratios": [1, 0.75]})
ax0.imshow(img[0, 0], cmap="Greys", vmin=-8, vmax=40)
for (r, c), v in np.ndenumerate(img[0, 0]):
    ax0.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=13)
for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
    off = 0.06 * (k - 1.5)
    ax0.add_patch(Rectangle((j - 0.5 + off, i - 0.5 + off), 3, 3, fill=False, lw=2.5, ec=colors[k]))
ax0.set_title("input 4×4 and the four 3×3 windows")
ax0.set_xticks([]); ax0.set_yticks([])

ax1.imshow(col, cmap="Greys", vmin=-8, vmax=40, aspect="auto")
for (r, c), v in np.ndenumerate(col):
    ax1.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=12, color=colors[c], fontweight="bold")
ax1.set_xticks(range(4), [f"window\n(i={i}, j={j})" for i in (0, 1) for j in (0, 1)], fontsize=9)
ax1.set_yticks(range(9), [f"(p={p}, q={q})" for p in range(3) for q in range(3)], fontsize=9)
ax1.set_title("col = im2col(x): one column per window")
fig.tight_layout();
"""),
        md(r"""
Pixel 5 sits in all four windows and therefore appears four times in the patch matrix; corner pixels appear once. In general the patch matrix is about $k_h k_w$ times larger than the image (25 times for a $5\times5$ kernel): im2col trades memory for speed. `nnedu` builds the windows as a strided *view* first (no copying) and copies once. Both implementations agree to rounding, for any stride and padding:
"""),
        code(r"""
for stride, padding, kernel in [(1, 0, (3, 3)), (2, 1, (3, 3)), (1, 2, (5, 5)), (3, 1, (2, 4))]:
    w_k = rng.standard_normal((4, 3) + kernel)
    a = conv2d(x, w_k, b, stride=stride, padding=padding)
    c = conv2d_naive(x, w_k, b, stride=stride, padding=padding)
    print(f"kernel {kernel}, stride {stride}, padding {padding}: y {a.shape}, "
          f"im2col vs naive {format_error(rel_error(a, c))}")
"""),
        md(r"""
## 4. col2im: the backward of im2col, and why it accumulates

In the backward pass we receive $d\,\text{col} = \partial L/\partial\,\text{col}$ and need $\partial L/\partial x$. Each pixel of $xp$ was *copied* into every column whose window contains it, so by the chain rule its gradient is the **sum** of the gradients of all its copies — copying forward means summing backward, just as broadcasting did in notebook 01:

$$ dxp[n, c, i s_h + p, j s_w + q] \mathrel{+}= d\,\text{col}[n, (c, p, q), (i, j)] . $$

That is `col2im`. It is the *adjoint* (transpose) of im2col, $\langle \text{im2col}(x), c\rangle = \langle x, \text{col2im}(c)\rangle$, and **not its inverse**: `col2im(im2col(x))` multiplies each pixel by the number of windows that contain it. Only when windows do not overlap ($s \ge k$) is it the identity (on the covered pixels).
"""),
        code(r"""
show_source(col2im)
"""),
        code(r"""
xa = rng.standard_normal((2, 3, 7, 6))
ca = rng.standard_normal(im2col(xa, 3, 2, 1).shape)
lhs, rhs = np.sum(im2col(xa, 3, 2, 1) * ca), np.sum(xa * col2im(ca, xa.shape, 3, 2, 1))
print(f"<im2col(x), c> = {lhs:.6f}   <x, col2im(c)> = {rhs:.6f}   adjoint: {np.isclose(lhs, rhs)}")

ones = np.ones((1, 1, 8, 8))
configs = [(3, 1), (3, 2), (2, 2)]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
for ax, (k, s) in zip(axes, configs):
    counts = col2im(im2col(ones, k, s), ones.shape, k, s)[0, 0]
    im = ax.imshow(counts, cmap="viridis", vmin=0, vmax=9)
    for (r, c), v in np.ndenumerate(counts):
        ax.text(c, r, f"{v:.0f}", ha="center", va="center", color="w" if v < 5 else "k", fontsize=9)
    ax.set_title(f"k = {k}, stride = {s}")
    ax.set_xticks([]); ax.set_yticks([])
fig.colorbar(im, ax=axes, shrink=0.8, label="windows containing the pixel")
fig.suptitle("col2im(im2col(ones)) on 8x8: each pixel receives one contribution per window it belongs to");
"""),
        md(r"""
With $k=3$, stride 1, an interior pixel lies in 9 windows; with stride 2 in 1, 2 or 4; with $k = s = 2$ in exactly one (col2im inverts im2col). The zeros in the middle panel's last row and column are pixels no window reaches, because $(8 - 3)/2$ is not an integer.

## 5. Backward of both

With $G = \partial L/\partial y$ of shape $(N, F, H_o, W_o)$, the formula of section 1 is linear in $w$, in $b$ and in $xp$, and each term of the chain rule is read off directly:

$$
\frac{\partial L}{\partial w[f, c, p, q]} = \sum_{n, i, j} G[n, f, i, j]\, xp[n, c, i s_h + p, j s_w + q], \qquad
\frac{\partial L}{\partial b[f]} = \sum_{n, i, j} G[n, f, i, j],
$$
$$
\frac{\partial L}{\partial xp[n, c, i s_h + p, j s_w + q]} \mathrel{+}= \sum_f G[n, f, i, j]\, w[f, c, p, q] .
$$

In im2col form these are two more matrix products and a col2im — exactly the backward of a linear layer (notebook 01) with the patch matrix as input:

$$ dw_{\text{mat}} = \sum_n G[n]\, \text{col}[n]^\top \;\; (F \times C k_h k_w), \qquad d\,\text{col}[n] = w_{\text{mat}}^\top G[n], \qquad dx = \text{col2im}(d\,\text{col}) . $$

`nn.Conv2d(..., method="naive")` uses the loops (`conv2d_naive_backward`), the default `method="im2col"` the matrix products. Both are checked, and they agree with each other:
"""),
        code(r"""
x_small = rng.standard_normal((2, 2, 5, 6))
for method in ("naive", "im2col"):
    for stride, padding, kernel in [(1, 0, 3), (2, 1, (3, 2))]:
        layer = nn.Conv2d(2, 3, kernel, stride=stride, padding=padding, method=method, rng=0)
        gradcheck_report(f"Conv2d {method}, s={stride}, p={padding}", nnedu.gradcheck(layer, x_small))

G = rng.standard_normal((2, 4, 3, 4))
w_b = rng.standard_normal((4, 3, 3, 3))
y_fast, col_b = conv2d_im2col_forward(x, w_b, b, stride=2, padding=1)
fast = conv2d_im2col_backward(G, col_b, x.shape, w_b, stride=2, padding=1)
slow = conv2d_naive_backward(G, x, w_b, stride=2, padding=1)
for name, a, c in zip(("dx", "dw", "db"), fast, slow):
    print(f"im2col vs naive backward, {name}: {format_error(rel_error(a, c))}")
"""),
        md(r"""
## 6. How much faster?

Forward and backward of both implementations on a batch of 8 images with 3 channels, 8 filters of $3\times3$, padding 1, for growing image sizes (float32, best of a few runs; the naive version is run once because it is slow). Timings vary between runs and machines; in quick mode only the small sizes are measured. The stored numbers were measured with one BLAS thread (`OPENBLAS_NUM_THREADS=1` set before starting Jupyter), so that both versions use one core: on a busy machine a multi-threaded BLAS can be much *slower* than a single thread.
"""),
        code(r"""
# NBVAL_IGNORE_OUTPUT
nnedu.set_default_dtype(np.float32)


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


sizes = pick(full=[8, 16, 32, 64], quick=[8, 16])
rows = []
for size in sizes:
    xt = rng.standard_normal((8, 3, size, size)).astype(np.float32)
    wt = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    bt = np.zeros(8, np.float32)
    Gt = rng.standard_normal((8, 8, size, size)).astype(np.float32)
    _, colt = conv2d_im2col_forward(xt, wt, bt, 1, 1)
    rows.append((size,
                 best_time(lambda: conv2d_naive(xt, wt, bt, 1, 1), 1),
                 best_time(lambda: conv2d_im2col_forward(xt, wt, bt, 1, 1), 20),
                 best_time(lambda: conv2d_naive_backward(Gt, xt, wt, 1, 1), 1),
                 best_time(lambda: conv2d_im2col_backward(Gt, colt, xt.shape, wt, 1, 1), 20)))
timing = np.array(rows)

print(f"{'H = W':>6} | {'forward: naive':>15} {'im2col':>10} {'speedup':>8} | {'backward: naive':>16} {'im2col':>10} {'speedup':>8}")
for size, fn, fi, bn_, bi in rows:
    print(f"{size:6d} | {fn * 1e3:12.1f} ms {fi * 1e3:7.3f} ms {fn / fi:7.0f}x | {bn_ * 1e3:13.1f} ms {bi * 1e3:7.3f} ms {bn_ / bi:7.0f}x")
"""),
        code(r"""
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].loglog(timing[:, 0], timing[:, 1] * 1e3, "o-", color="C3", label="naive forward")
axes[0].loglog(timing[:, 0], timing[:, 3] * 1e3, "o--", color="C3", label="naive backward")
axes[0].loglog(timing[:, 0], timing[:, 2] * 1e3, "s-", color="C0", label="im2col forward")
axes[0].loglog(timing[:, 0], timing[:, 4] * 1e3, "s--", color="C0", label="im2col backward")
axes[0].set_xlabel("image size H = W")
axes[0].set_ylabel("time per batch (ms)")
axes[0].set_title("time per batch: the naive loops grow like H·W")
axes[0].legend(fontsize=9)
axes[1].semilogx(timing[:, 0], timing[:, 1] / timing[:, 2], "o-", label="forward")
axes[1].semilogx(timing[:, 0], timing[:, 3] / timing[:, 4], "s--", label="backward")
axes[1].set_ylim(bottom=0)
axes[1].set_xlabel("image size H = W")
axes[1].set_ylabel("speedup of im2col over naive")
axes[1].set_title("speedup factor")
axes[1].legend()
for ax in axes:
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xticks(timing[:, 0], [f"{s:.0f}" for s in timing[:, 0]])
fig.tight_layout();
"""),
        md(r"""
Both do the same arithmetic, $2\,N F C k_h k_w H_o W_o$ floating-point operations. The naive version pays Python's interpreter overhead (a few microseconds) for every one of its $N F H_o W_o$ tiny dot products; im2col pays it a handful of times and hands the work to an optimised matrix multiplication. That is why the speedup is in the hundreds to thousands, and why `benchmarks/` compares the two on LeNet-5's shapes.

## 7. Filters and feature maps of a real image

What do filters *do*? Take an MNIST digit and five hand-made $3\times3$ filters: vertical and horizontal edge detectors (Sobel), a diagonal detector, a blur and a Laplacian (which responds to blobs and line ends). Each produces one feature map: bright where the image locally looks like the filter, dark where it looks like its negative. A trained network *learns* filters like these (notebook 08 shows LeNet-5's).
"""),
        code(r"""
from nnedu.data import load_mnist

images, labels = load_mnist("test", normalize=True)
digit = images[:1]                                               # (1, 1, 28, 28)

filters = {
    "vertical edges": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "diagonal": [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]],
    "blur": [[1 / 9] * 3] * 3,
    "Laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}
conv = nn.Conv2d(1, len(filters), 3, padding=1)
conv.weight.data[:, 0] = np.array(list(filters.values()), dtype=np.float32)
conv.bias.data[...] = 0
maps = conv(digit)[0]                                            # (F, 28, 28)

fig, axes = plt.subplots(2, len(filters) + 1, figsize=(13, 4.8))
axes[0, 0].imshow(digit[0, 0], cmap="gray")
axes[0, 0].set_title(f"input: a {labels[0]}")
axes[1, 0].axis("off")
for k, (name, kernel) in enumerate(filters.items(), start=1):
    kernel = np.array(kernel)
    lim = np.abs(kernel).max()
    axes[0, k].imshow(kernel, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for (r, c), v in np.ndenumerate(kernel):
        axes[0, k].text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=8)
    axes[0, k].set_title(name, fontsize=10)
    lim = np.abs(maps[k - 1]).max()
    axes[1, k].imshow(maps[k - 1], cmap="RdBu_r", vmin=-lim, vmax=lim)
for ax in axes.ravel():
    ax.set_xticks([]); ax.set_yticks([])
fig.suptitle("Top: 3×3 filters (red positive, blue negative). Bottom: their feature maps on the digit");
"""),
        md(r"""
## 8. Exercise

Write `conv2d_naive(x, w, b, stride, padding)` yourself, with loops, returning $y$ of shape $(N, F, H_o, W_o)$ (`stride` and `padding` are ints). Pad with `np.pad`, compute $H_o, W_o$ with the formula of section 1, and do not flip the kernel.
"""),
        code(r"""
def conv2d_naive_exercise(x, w, b, stride, padding):
    '''y[n, f, i, j] = b[f] + sum_{c,p,q} w[f, c, p, q] * xp[n, c, i*stride + p, j*stride + q].'''
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    Ho = (H + 2 * padding - kh) // stride + 1
    Wo = (W + 2 * padding - kw) // stride + 1
    y = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    y[n, f, i, j] = b[f] + np.sum(w[f] * window)
    return y
    ### END SOLUTION
"""),
        code(r"""
from nnedu.exercises import check_conv2d_naive

check_conv2d_naive(conv2d_naive_exercise);
"""),
        md(r"""
## Summary

- $y[n,f,i,j] = b[f] + \sum_{c,p,q} w[f,c,p,q]\, xp[n,c,i s_h+p, j s_w+q]$, with $H_o = \lfloor (H + 2p_h - k_h)/s_h \rfloor + 1$.
- im2col copies every window into a column so that the convolution becomes $y[n] = w_{\text{mat}}\,\text{col}[n] + b$: one matrix product, hundreds to thousands of times faster than Python loops, at the price of a patch matrix about $k_h k_w$ times the size of the input.
- col2im is the adjoint of im2col, not its inverse: copies forward are sums backward, so overlapping windows accumulate gradients.
- The backward pass of a convolution is the backward pass of a linear layer applied to the patch matrix, followed by col2im. Both implementations are checked numerically and agree to rounding.
- Filters are pattern detectors; their feature maps show where each pattern occurs.

## More exercises

1. Write `conv2d_naive_backward` yourself from the three formulas of section 5 and check it with `nnedu.gradcheck` (as a function of $x$) and against `nnedu.functional.conv2d_naive_backward`.
2. Write `im2col` with loops over $(i, j)$ and compare it with `nnedu.functional.im2col`. Then write it with loops over the kernel offsets $(p, q)$ only (each step copies a strided slice `xp[:, :, p:p + s*Ho:s, q:q + s*Wo:s]`). Time all three.
3. Count the floating-point operations of LeNet-5's first convolution ($1 \to 6$ channels, $5 \times 5$, padding 2, on $28\times28$) for a batch of 128, and compare with the time `nn.Conv2d` takes. How many GFLOP/s is that?
4. A $1\times1$ convolution has $k_h = k_w = 1$. Show that it is a `Linear` layer applied at every pixel, and verify it with `nn.Linear` and a `transpose`/`reshape`.
5. *Dilation*: a dilated convolution reads $xp[n, c, i s + d p, j s + d q]$. What is its output size? Which line of `conv2d_naive` changes?
"""),
    ]
    write("04_convolution.ipynb", cells)


# ---------------------------------------------------------------------------------------------------
# 05: pooling and padding
# ---------------------------------------------------------------------------------------------------
def nb05() -> None:
    cells = [
        md(r"""
# 05 · Pooling and padding: where the gradient goes, and why the edges matter

**What you will learn**

- max and average pooling, forward and backward: the max routes the whole gradient to one winner, the average spreads it evenly, and overlapping windows add up;
- what happens on **ties**, and why a numerical gradient check cannot decide them;
- the general output-size formula with kernel, stride and padding;
- the zero-padding layer, its (trivial) backward pass, and why padding keeps the information at the edges of an image;
- what pooling does to a real MNIST digit.

**What you should know already**: notebook 04 (convolution, output sizes, im2col/col2im), notebook 01 (gradient checks).
"""),
        code(SETUP + r"""
from matplotlib.patches import Rectangle

from nnedu.checking import numerical_gradient
from nnedu.exercises import gradcheck_report
from nnedu.functional import avg_pool2d, col2im, conv_output_size, im2col, max_pool2d

nnedu.set_default_dtype(np.float64)
"""),
        md(r"""
## 1. Max and average pooling

Pooling summarises each $k_h \times k_w$ window of each channel by one number; it has no parameters and treats channels independently. With the symbols of notebook 04 — input $x$ of shape $(N, C, H, W)$, stride $(s_h, s_w)$ (by default equal to the window, so windows tile the image), padding $(p_h, p_w)$ and padded input $xp$:

$$
\text{max:}\quad y[n, c, i, j] = \max_{0 \le p < k_h,\; 0 \le q < k_w} xp[n, c, i s_h + p, j s_w + q],
\qquad
\text{average:}\quad y[n, c, i, j] = \frac{1}{k_h k_w} \sum_{p, q} xp[n, c, i s_h + p, j s_w + q] .
$$

The output $y$ has shape $(N, C, H_o, W_o)$ with the same size formula as a convolution, $H_o = \lfloor (H + 2p_h - k_h)/s_h \rfloor + 1$. (Max pooling pads with $-\infty$, so a padded cell never wins; average pooling pads with zeros, which count in the average — both as in PyTorch.)
"""),
        code(r"""
x = np.array([[1.0, 3.0, 2.0, 0.0],
              [4.0, 2.0, 1.0, 5.0],
              [0.0, 1.0, 3.0, 3.0],
              [2.0, 6.0, 1.0, 2.0]]).reshape(1, 1, 4, 4)
print("x =\n", x[0, 0])
print("max pool 2x2 =\n", nn.MaxPool2d(2)(x)[0, 0])
print("avg pool 2x2 =\n", nn.AvgPool2d(2)(x)[0, 0])
print("max pool 3x3, stride 1 =\n", nn.MaxPool2d(3, stride=1)(x)[0, 0])
"""),
        code(r"""
examples = [  # (H, k, stride, padding, what)
    (28, 2, 2, 0, "2x2 pooling halves"),
    (7, 2, 2, 0, "odd size: the last row/column is dropped"),
    (7, 3, 2, 1, "3x3 stride 2 pad 1: ceil(H/2)"),
    (13, 3, 2, 0, "AlexNet-style overlapping pooling"),
]
print(f"{'H':>4} {'k':>3} {'s':>3} {'p':>3} {'H_o':>5}")
for H, k, s, p, what in examples:
    print(f"{H:4d} {k:3d} {s:3d} {p:3d} {conv_output_size(H, k, s, p):5d}   {what}")
"""),
        md(r"""
## 2. Backward: where the gradient goes

With $G = \partial L/\partial y$ of shape $(N, C, H_o, W_o)$, look at one window at a time.

**Max.** Inside a window, $y = \max_{p,q} xp[\dots]$ depends only on the winning cell $(p^*, q^*)$, with slope 1 (a small change of the winner changes the max by the same amount; a small change of a loser changes nothing). So the whole of $G[n, c, i, j]$ goes to the winner:

$$ \frac{\partial L}{\partial xp[n, c, i s_h + p, j s_w + q]} \mathrel{+}= G[n, c, i, j]\;\mathbb{1}\big[(p, q) = (p^*, q^*)\big] . $$

The max works like a **switch**; the forward pass must remember which cell won (or, as `nnedu` does, compare $x$ with $y$ again in the backward pass).

**Average.** Every cell of the window contributes $\frac{1}{k_h k_w}$, so every cell receives $G[n, c, i, j] / (k_h k_w)$.

**Overlap.** When the stride is smaller than the window, a cell belongs to several windows and receives the **sum** of their contributions — the `+=` above, exactly as in col2im (notebook 04).
"""),
        code(r"""
G = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
mp, ap = nn.MaxPool2d(2), nn.AvgPool2d(2)
mp(x)
ap(x)
dx_max, dx_avg = mp.backward(G)[0, 0], ap.backward(G)[0, 0]

x5 = np.array([[1.0, 2.0, 0.0, 1.0, 3.0],
               [0.0, 9.0, 1.0, 2.0, 0.0],
               [2.0, 1.0, 0.0, 1.0, 1.0],
               [0.0, 1.0, 8.0, 0.0, 2.0],
               [1.0, 0.0, 2.0, 1.0, 0.0]]).reshape(1, 1, 5, 5)
mp3 = nn.MaxPool2d(3, stride=1)
mp3(x5)
dx_overlap = mp3.backward(np.ones((1, 1, 3, 3)))[0, 0]

window_colors = ["C0", "C1", "C2", "C3"]


def draw(ax, values, title, windows=None, k=2, fmt="{:.0f}", cmap="Greys", vmax=None):
    ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax or max(values.max(), 1e-9) * 1.6)
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=11)
    for idx, (i, j) in enumerate(windows or []):
        ax.add_patch(Rectangle((j - 0.45, i - 0.45), k - 0.1, k - 0.1, fill=False, lw=2.5, ec=window_colors[idx]))
    ax.set_title(title, fontsize=10)
    ax.set_xticks([]); ax.set_yticks([])


tiles = [(0, 0), (0, 2), (2, 0), (2, 2)]
fig, axes = plt.subplots(1, 4, figsize=(14, 3.8))
draw(axes[0], x[0, 0], "input x, 2x2 windows\n(G = 1, 2, 3, 4 per window)", tiles)
draw(axes[1], dx_max, "max pool: dL/dx, all of G to the max\n(red window: a tie, the first 3 wins)", tiles, cmap="Reds")
draw(axes[2], dx_avg, "avg pool: dL/dx\nG/4 to every cell", tiles, fmt="{:.2f}", cmap="Reds")
draw(axes[3], dx_overlap, "x5: 3x3 max pool, stride 1, G = 1:\neach cell collects 1 per window it wins", cmap="Reds")
fig.tight_layout()
plt.show()
"""),
        md(r"""
### Ties

If several cells of a window hold the maximum, the max is not differentiable there: raising any one of them raises the max, lowering one does not lower it. Any convex combination of the tied cells is a valid subgradient. `nnedu`, like PyTorch on the CPU, gives **everything to the first maximum** in row-major order. A central difference sees something else: it moves one cell up *and* down, gets slope 1 on one side and 0 on the other, and reports $\frac12$ for *every* tied cell. Neither is wrong; they are different subgradients. This is why gradient checks use random inputs, where ties have probability zero:
"""),
        code(r"""
tie = np.array([[2.0, 2.0], [2.0, 1.0]]).reshape(1, 1, 2, 2)
pool = nn.MaxPool2d(2)
pool(tie)
analytic = pool.backward(np.ones((1, 1, 1, 1)))[0, 0]
numeric = numerical_gradient(lambda: float(pool(tie).sum()), tie)[0, 0]
print("window:\n", tie[0, 0])
print("nnedu (first maximum gets all):\n", analytic)
print("central difference (1/2 for each tied cell):\n", numeric.round(6))
"""),
        md(r"""
### Proof on random inputs
"""),
        code(r"""
rng = np.random.default_rng(0)
xr = rng.standard_normal((2, 3, 7, 7))
for name, layer in [("MaxPool2d(2)", nn.MaxPool2d(2)),
                    ("MaxPool2d(3, stride=2)", nn.MaxPool2d(3, stride=2)),
                    ("MaxPool2d(3, s=1, pad=1)", nn.MaxPool2d(3, stride=1, padding=1)),
                    ("AvgPool2d(2)", nn.AvgPool2d(2)),
                    ("AvgPool2d(3, s=2, pad=1)", nn.AvgPool2d(3, stride=2, padding=1))]:
    gradcheck_report(name, nnedu.gradcheck(layer, xr))
"""),
        md(r"""
## 3. Padding

`nn.ZeroPad2d(padding)` surrounds each image with zeros: with `padding = (l, r, t, b)` (left, right, top, bottom, PyTorch's order) an input of shape $(N, C, H, W)$ becomes $(N, C, t + H + b, l + W + r)$, and

$$ y[n, c, t + i, l + j] = x[n, c, i, j], \qquad \text{zeros elsewhere} . $$

The zeros are constants, so the backward pass just **crops**: $\partial L/\partial x = G[:, :, t:t+H, l:l+W]$. (Convolution and pooling layers take a `padding` argument and pad internally in the same way; a separate layer is useful for asymmetric padding.)
"""),
        code(r"""
pad = nn.ZeroPad2d((1, 2, 0, 1))                     # left 1, right 2, top 0, bottom 1
xs = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
print(f"x {xs.shape} -> y {pad(xs).shape}\n", pad(xs)[0, 0])
gradcheck_report("ZeroPad2d((1, 2, 0, 1))", nnedu.gradcheck(pad, rng.standard_normal((2, 3, 4, 5))))
gradcheck_report("ZeroPad2d(2)", nnedu.gradcheck(nn.ZeroPad2d(2), rng.standard_normal((1, 2, 3, 3))))
"""),
        md(r"""
### Why padding keeps the edges

Without padding, every $k\times k$ convolution shrinks the image by $k - 1$ pixels: a stack of $5\times5$ convolutions turns $28\times28$ into $24$, $20$, $16$, … and the network can only be a few layers deep. And the border pixels are *used less*: a corner pixel lies in exactly one window, a central pixel in $k^2 = 25$. The network hardly sees what happens at the edge. Padding with $p = (k-1)/2$ ("same" padding) keeps the size and lets every pixel be the centre of a window. The count of windows per pixel is `col2im(im2col(ones))`, as in notebook 04:
"""),
        code(r"""
ones = np.ones((1, 1, 28, 28))
coverage = {p: col2im(im2col(ones, 5, 1, p), ones.shape, 5, 1, p)[0, 0] for p in (0, 2)}

fig = plt.figure(figsize=(14, 4.2))
grid = fig.add_gridspec(1, 3, width_ratios=[1, 1, 1.25])
for k, p in enumerate((0, 2)):
    ax = fig.add_subplot(grid[0, k])
    im = ax.imshow(coverage[p], cmap="magma", vmin=0, vmax=25)
    Ho = conv_output_size(28, 5, 1, p)
    ax.set_title(f"5x5 conv, padding {p}: output {Ho}x{Ho}\ncorner pixel in {coverage[p][0, 0]:.0f} window(s)",
                 fontsize=10)
    ax.set_xticks([]); ax.set_yticks([])
fig.colorbar(im, ax=fig.axes[:2], shrink=0.8, label="windows containing the pixel")

ax = fig.add_subplot(grid[0, 2])
for k_size, style in ((3, "o-"), (5, "s-")):
    sizes = [28]
    while sizes[-1] - (k_size - 1) >= 1 and len(sizes) < 14:
        sizes.append(sizes[-1] - (k_size - 1))
    ax.plot(range(len(sizes)), sizes, style, ms=4, label=f"{k_size}x{k_size}, no padding")
ax.plot(range(14), [28] * 14, "k--", label="any k, 'same' padding")
ax.set_xlabel("number of stacked convolutions")
ax.set_ylabel("image size H = W")
ax.set_title("without padding the image shrinks away", fontsize=10)
ax.legend(fontsize=9, loc="center right")
plt.show()
"""),
        md(r"""
## 4. Pooling a real digit

What survives pooling? Below: an MNIST digit padded to $32\times32$ (the input size of the original LeNet-5), and max and average pooling with $2\times2$ windows applied twice ($28 \to 14 \to 7$). Max pooling keeps the strokes bold (a window is bright if *any* of its pixels is); average pooling blurs them. Both keep the shape recognisable with 16 times fewer numbers — and that is what makes the layers after them cheaper and less sensitive to small shifts.
"""),
        code(r"""
from nnedu.data import load_mnist

images, labels = load_mnist("test", normalize=True)
digit = images[:1].astype(np.float64)                          # (1, 1, 28, 28)
rows = {
    "max pooling": [digit, nn.MaxPool2d(2)(digit), nn.MaxPool2d(2)(nn.MaxPool2d(2)(digit))],
    "average pooling": [digit, nn.AvgPool2d(2)(digit), nn.AvgPool2d(2)(nn.AvgPool2d(2)(digit))],
}
fig, axes = plt.subplots(2, 4, figsize=(12, 6.2))
padded = nn.ZeroPad2d(2)(digit)[0, 0]
for r, (name, row) in enumerate(rows.items()):
    for c, img in enumerate(row):
        axes[r, c].imshow(img[0, 0], cmap="gray", vmin=0, vmax=1)
        axes[r, c].set_title(f"{name}: {img.shape[2]}x{img.shape[3]}" if c else f"digit {labels[0]}: 28x28", fontsize=10)
    axes[r, 3].axis("off")
axes[0, 3].imshow(padded, cmap="gray", vmin=0, vmax=1)
axes[0, 3].add_patch(Rectangle((1.5, 1.5), 28, 28, fill=False, ec="C1", lw=1.5))
axes[0, 3].set_title("ZeroPad2d(2): 32x32", fontsize=10)
axes[0, 3].axis("on")
for ax in axes.ravel():
    ax.set_xticks([]); ax.set_yticks([])
fig.tight_layout()
plt.show()
"""),
        md(r"""
A small experiment on shift tolerance: move 200 digits one pixel to the right and measure how much each representation changes, $\|a - b\| / \|a\|$. Pooling does not make a network shift-invariant, but each pooling stage makes it less sensitive:
"""),
        code(r"""
batch = images[:200].astype(np.float64)
shifted = np.roll(batch, 1, axis=3)
pool = nn.MaxPool2d(2)
stages = {"pixels (28x28)": (batch, shifted),
          "after one 2x2 max pool (14x14)": (pool(batch), pool(shifted)),
          "after two 2x2 max pools (7x7)": (pool(pool(batch)), pool(pool(shifted)))}
for name, (a, b) in stages.items():
    print(f"{name:<32s} relative change {np.linalg.norm(a - b) / np.linalg.norm(a):.0%}")
"""),
        md(r"""
## 5. Exercises

**Exercise 1.** Write `maxpool_backward(x, G, kernel_size, stride)` (no padding; `kernel_size` and `stride` are ints) returning $\partial L/\partial x$. Loops over windows are fine. On ties, give the gradient to the first maximum in row-major order (`np.argmax` of the flattened window does that), and remember that overlapping windows add up.
"""),
        code(r"""
def maxpool_backward(x, G, kernel_size, stride):
    '''dL/dx of max pooling without padding; x (N, C, H, W), G (N, C, Ho, Wo).'''
    ### BEGIN SOLUTION
    k, s = kernel_size, stride
    dx = np.zeros_like(x)
    N, C, Ho, Wo = G.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * s:i * s + k, j * s:j * s + k]
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * s + p, j * s + q] += G[n, c, i, j]
    return dx
    ### END SOLUTION
"""),
        code(r"""
from nnedu.exercises import check_maxpool_backward

check_maxpool_backward(maxpool_backward);
"""),
        md(r"""
**Exercise 2.** Write `avgpool_backward(x, G, kernel_size, stride)` the same way. (Can you do it with a loop over the $k^2$ window offsets only, instead of over output pixels?)
"""),
        code(r"""
def avgpool_backward(x, G, kernel_size, stride):
    '''dL/dx of average pooling without padding; x (N, C, H, W), G (N, C, Ho, Wo).'''
    ### BEGIN SOLUTION
    k, s = kernel_size, stride
    dx = np.zeros_like(x)
    Ho, Wo = G.shape[2:]
    for p in range(k):                                   # loop over window offsets, not pixels
        for q in range(k):
            dx[:, :, p:p + s * Ho:s, q:q + s * Wo:s] += G / (k * k)
    return dx
    ### END SOLUTION
"""),
        code(r"""
from nnedu.exercises import check_avgpool_backward

check_avgpool_backward(avgpool_backward);
"""),
        md(r"""
## Summary

- Max and average pooling reduce each window of each channel to one number; the output size is $\lfloor (H + 2p - k)/s \rfloor + 1$, as for convolution.
- Backward: max pooling routes all of $G$ to the window's maximum (a switch; ties go to the first maximum), average pooling spreads $G / (k_h k_w)$ over the window; overlapping windows accumulate.
- At ties the max has many subgradients; a central difference finds $\frac12$ per tied cell, so gradient checks use random, tie-free inputs.
- Zero padding is a copy into a larger array; its backward is a crop. Without padding, convolutions shrink the image and under-use its border; "same" padding $p = (k-1)/2$ fixes both.
- Pooling keeps a digit recognisable with a quarter (then a sixteenth) of the numbers.

## More exercises

1. Vectorise `maxpool_backward` for non-overlapping windows ($s = k$, $H$ and $W$ divisible by $k$): reshape $x$ to $(N, C, H/k, k, W/k, k)$, build the mask of maxima, multiply by $G$ broadcast. How do you handle ties in this version?
2. Show that average pooling is a convolution with a fixed filter (which one? what stride?). Verify it by applying `nn.Conv2d(1, 1, k, stride=k, bias=False)` with that filter to each channel separately and comparing with `nn.AvgPool2d(k)`.
3. Replace LeNet-5's pooling layers by convolutions with stride 2 ("all-convolutional net"). How many parameters does that add?
4. Global average pooling averages each channel over the whole image, $(N, C, H, W) \to (N, C)$. Write its forward and backward pass and check them with `nnedu.gradcheck`.
5. With `padding=1`, max pooling pads with $-\infty$ and average pooling with zeros that count in the average. Compute `nn.AvgPool2d(3, stride=1, padding=1)` on an image of ones: why are the border values less than one? (PyTorch's `count_include_pad=False` changes this.)
"""),
    ]
    write("05_pooling_padding.ipynb", cells)


BUILDERS = {"01": nb01, "02": nb02, "03": nb03, "04": nb04, "05": nb05}

if __name__ == "__main__":
    wanted = sys.argv[1:] or list(BUILDERS)
    for key in wanted:
        BUILDERS[key]()
