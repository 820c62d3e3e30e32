"""Write notebooks/06_optimizers_schedulers.ipynb, 07_mlp_mnist.ipynb and 08_lenet5_mnist.ipynb.

Usage::

    .venv/bin/python tools/build_notebooks_06_08.py [06 07 08]   # default: all three

then execute each in full mode (outputs stored)::

    cd notebooks && ../.venv/bin/jupyter nbconvert --to notebook --execute --inplace \
        --ExecutePreprocessor.timeout=-1 06_optimizers_schedulers.ipynb

The notebooks are the source of truth once written; this script regenerates
their structure (and drops their outputs).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(text.strip("\n"))


def end_plots(cells: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """End every plotting cell with ``plt.show()``.

    nbval runs cells with ``store_history=False``, and then IPython does not see the trailing ``;``
    of the cell: ``ax.legend();`` would add a ``<matplotlib.legend.Legend ...>`` output under nbval
    that a normal run does not have. ``plt.show()`` returns None, so the output is the same both ways.
    """
    for cell in cells:
        lines = cell.source.rstrip().splitlines()
        if (cell.cell_type == "code" and lines and lines[-1].endswith(";")
                and not lines[-1].lstrip().startswith("check_")):
            cell.source = cell.source.rstrip() + "\nplt.show()"
    return cells


def write(name: str, cells: list[nbformat.NotebookNode]) -> None:
    cells = end_plots(cells)
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    path = NOTEBOOKS / name
    nbformat.write(nb, path)
    print(f"wrote {path.relative_to(ROOT)} ({len(cells)} cells)")


# ----------------------------------------------------------------------------------------------- 06
NB06 = [
    md(r"""
# 06 · Optimizers and learning-rate schedules

A network learns by taking small steps downhill on its loss. *How* it steps decides whether
training takes minutes or hours, or never converges at all. In this notebook you will

1. see why plain gradient descent struggles in a **narrow valley**, and derive the largest
   learning rate it survives;
2. derive the update rules of **SGD, Momentum, Nesterov, AdaGrad, RMSprop and Adam** (with bias
   correction) and check each against `nnedu.optim`, which follows `torch.optim` step for step;
3. watch them walk 2-D test functions, first in static figures, then in an **interactive playground**;
4. shape the learning rate over time with **StepLR, MultiStepLR, ExponentialLR, cosine annealing and
   warm-up**, as formulas, curves and an interactive explorer;
5. compare the optimizers on **MNIST**;
6. implement a momentum step and an Adam step yourself (exercises with automatic checks).

**You should know:** gradients and the chain rule, and how a network's loss is computed
(notebooks 01–02). **Run time:** about a minute and a half (quick mode, `NNEDU_QUICK=1`: seconds).
"""),
    code(r"""
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import display

import nnedu
from nnedu import landscapes, optim
from nnedu.nn import Parameter
from nnedu.optim import lr_scheduler
from nnedu.quick import pick
from nnedu.widgets import (OptimizerPlayground, RunSettings, SchedulerExplorer, compute_trajectories,
                           draw_runs, scheduler_lrs)

np.set_printoptions(precision=4, suppress=True)
"""),
    md(r"""
## 1 · Gradient descent and its one knob

Gradient descent updates the parameters $\theta$ against the gradient $g_t = \nabla f(\theta_t)$,
scaled by the **learning rate** $\eta$:

$$\theta_{t+1} = \theta_t - \eta\, g_t .$$

To see what $\eta$ does, take a quadratic bowl $f(\theta) = \tfrac12 \theta^\top H \theta$ with
$H$ symmetric positive definite. Its gradient is $H\theta$, so

$$\theta_{t+1} = (I - \eta H)\,\theta_t .$$

In the eigenbasis of $H$ (eigenvalues $\lambda_1 \ge \dots \ge \lambda_d > 0$, the *curvatures*)
each coordinate evolves on its own: $u_{i,t+1} = (1 - \eta\lambda_i)\,u_{i,t}$. Hence

* gradient descent **converges if and only if** $|1 - \eta\lambda_i| < 1$ for every $i$, that is
  $$\eta < \frac{2}{\lambda_{\max}} ;$$
* the flattest direction shrinks by only $1 - \eta\lambda_{\min}$ per step. With the best fixed
  rate $\eta^\star = 2/(\lambda_{\max} + \lambda_{\min})$ the error shrinks by
  $\frac{\kappa - 1}{\kappa + 1}$ per step, where $\kappa = \lambda_{\max}/\lambda_{\min}$ is the
  **condition number**. A large $\kappa$, a long narrow valley, means slow progress: the steep
  direction limits the step size, the flat direction needs many steps.

Our test valley is $f(x, y) = \tfrac12(x^2 + 25 y^2)$: curvatures $\lambda = 1$ and $25$,
$\kappa = 25$, so gradient descent is stable for $\eta < 2/25 = 0.08$. Let us check the
theory against `nnedu.optim.SGD` (run by `nnedu.landscapes.run_optimizer`, which puts
$(x, y)$ in a `Parameter`, sets its gradient and calls `optimizer.step()`).
"""),
    code(r"""
valley = landscapes.get_landscape("quadratic")
print(valley.title, "  start:", valley.start)
for lr in (0.01, 0.05, 0.079, 0.081):
    path, losses, info = landscapes.run_optimizer(valley, "sgd", steps=300, lr=lr, return_info=True)
    if info["diverged"]:
        print(f"lr = {lr:<6} diverged at step {info['steps_taken'] + 1}")
        continue
    ratio_y = path[11, 1] / path[10, 1]          # measured contraction of y in one step
    print(f"lr = {lr:<6} f after 300 steps = {losses[-1]:9.2e}   "
          f"y_(t+1)/y_t = {ratio_y:+.4f}   theory 1 - 25 lr = {1 - 25 * lr:+.4f}")
"""),
    md(r"""
The measured contraction matches $1 - 25\eta$ exactly, and the run blows up just above
$\eta = 0.08$. Below the limit, larger is not always better: at $\eta = 0.079$ the steep
coordinate flips sign every step ($1 - 25\eta \approx -0.98$) and barely shrinks. The picture
(the loss is drawn as $f(\theta) - f^\star$ on a log scale):
"""),
    code(r"""
runs = compute_trajectories([RunSettings("quadratic", "SGD", lr, steps=60) for lr in (0.01, 0.05, 0.079)])
display(draw_runs("quadratic", runs, title="plain gradient descent, three learning rates"))
"""),
    md(r"""
## 2 · Momentum and Nesterov

**Idea.** A heavy ball rolling down the valley keeps its velocity: oscillations across the valley
cancel out, while the consistent push along the valley floor accumulates.

**PyTorch's form** (what `nnedu.optim.SGD(params, lr, momentum=μ)` does): a buffer $b$, measured in
gradient units, starts at $b_0 = 0$ and

$$b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t .$$

**The classroom form** (CS231n and many textbooks) keeps a velocity in parameter units:

$$v_t = \mu\, v_{t-1} - \eta\, g_t, \qquad \theta_t = \theta_{t-1} + v_t .$$

With a constant $\eta$ they are the same method: put $v_t = -\eta b_t$, then
$v_t = -\eta(\mu b_{t-1} + g_t) = \mu v_{t-1} - \eta g_t$. With a *changing* $\eta$ (a scheduler,
a slider) they differ: PyTorch rescales the whole accumulated buffer by the new $\eta$ at once, the
classroom form only the new gradients.

Along a direction where the gradient stays $g$, the buffer tends to $g/(1-\mu)$: momentum
$\mu = 0.9$ multiplies the effective step by 10 there, while a gradient that flips sign each
step is damped.

**Nesterov momentum** evaluates the step at the look-ahead: $\theta_t = \theta_{t-1} - \eta\,(g_t + \mu b_t)$
(`nesterov=True`); it reacts a step earlier when the buffer overshoots.

Check: the classroom form by hand against `nnedu.optim.SGD`, first with a constant learning rate,
then with the rate cut by 10× halfway.
"""),
    code(r"""
rng = np.random.default_rng(0)
grads = rng.standard_normal((40, 3))               # any gradient sequence will do
mu = 0.9

def compare(lr_at):
    p = Parameter(np.zeros(3))
    opt = optim.SGD([p], lr=lr_at(0), momentum=mu)
    theta, v = np.zeros(3), np.zeros(3)            # classroom form
    worst = 0.0
    for t, g in enumerate(grads):
        opt.param_groups[0]["lr"] = lr_at(t)       # what a scheduler does
        p.grad[...] = g
        opt.step()
        v = mu * v - lr_at(t) * g
        theta = theta + v
        worst = max(worst, np.abs(theta - p.data).max())
    return worst

print(f"constant lr:            max |classroom - nnedu| = {compare(lambda t: 0.1):.1e}")
print(f"lr cut 10x at step 20:  max |classroom - nnedu| = {compare(lambda t: 0.1 if t < 20 else 0.01):.1e}")
"""),
    md(r"""
Identical up to rounding with a constant rate; different as soon as the rate changes, exactly
as derived. In the valley, momentum lets us use the *same* learning rate and still arrive
orders of magnitude closer:
"""),
    code(r"""
runs = compute_trajectories([RunSettings("quadratic", "SGD", 0.01, steps=100),
                             RunSettings("quadratic", "Momentum", 0.01, beta=0.9, steps=100),
                             RunSettings("quadratic", "Nesterov", 0.01, beta=0.9, steps=100)])
for r in runs:
    print(f"{r.settings.label:32s} f after 100 steps = {r.final_loss:.2e}")
display(draw_runs("quadratic", runs, title="same learning rate, with and without momentum"))
"""),
    md(r"""
## 3 · AdaGrad and RMSprop: a learning rate per coordinate

Instead of one $\eta$ for all parameters, scale each coordinate by the size of its recent gradients
(all operations elementwise, $\epsilon$ a tiny constant against division by zero):

**AdaGrad** (`optim.Adagrad`) sums all squared gradients so far:
$$s_t = s_{t-1} + g_t^2, \qquad \theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{s_t} + \epsilon}.$$

**RMSprop** (`optim.RMSprop`, decay $\alpha$, default 0.99) keeps an exponential moving average instead,
so old gradients are forgotten:
$$s_t = \alpha\, s_{t-1} + (1-\alpha)\, g_t^2, \qquad \theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{s_t} + \epsilon}.$$

Dividing by $\sqrt{s}$ makes the step (nearly) **independent of the gradient's scale**: steep and
flat coordinates move at similar speeds, which is exactly what the narrow valley needs. The price:
AdaGrad's $s_t$ only grows, so with a constant gradient its step shrinks like $\eta/\sqrt{t}$ and
eventually stalls; RMSprop's step settles at about $\eta$ (after a start that is up to
$1/\sqrt{1-\alpha} = 10$ times larger, because $s$ starts at zero: Adam's bias correction, below,
fixes exactly that).

The figure feeds each optimizer a constant gradient, $g = 1$ and then $g = 100$, and plots the step
it takes. SGD's step grows with $g$ (at $g = 1$ it coincides with Adam's); the adaptive methods'
steps do not change at all.
"""),
    code(r"""
def step_sizes(make, g, steps=100):
    p = Parameter(np.zeros(1))
    opt = make([p])
    out = []
    for _ in range(steps):
        before = p.data.copy()
        p.grad[...] = g
        opt.step()
        out.append(abs(float(p.data[0] - before[0])))
    return np.array(out)

makers = {"SGD (lr=0.01)": lambda ps: optim.SGD(ps, lr=0.01),
          "AdaGrad (lr=0.01)": lambda ps: optim.Adagrad(ps, lr=0.01),
          "RMSprop (lr=0.01)": lambda ps: optim.RMSprop(ps, lr=0.01),
          "Adam (lr=0.01)": lambda ps: optim.Adam(ps, lr=0.01)}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
for ax, g in zip(axes, (1.0, 100.0)):
    for name, make in makers.items():
        ax.plot(np.arange(1, 101), step_sizes(make, g), label=name)
    ax.set(title=f"constant gradient g = {g:g}", xlabel="step t", ylabel="|step|", yscale="log")
    ax.grid(alpha=0.3)
axes[0].legend();
"""),
    md(r"""
## 4 · Adam: momentum + RMSprop + bias correction

**Adam** (`optim.Adam`, defaults $\eta = 10^{-3}$, $\beta_1 = 0.9$, $\beta_2 = 0.999$,
$\epsilon = 10^{-8}$) keeps a moving average of the gradient (momentum) and of its square (RMSprop),
both starting at zero, for steps $t = 1, 2, \dots$:

$$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,$$

$$\hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
\theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$

**Why bias correction?** Because the averages start at zero, early on they are too small:
$m_1 = (1-\beta_1) g_1 = 0.1\, g_1$ and $v_1 = 0.001\, g_1^2$. In general
$\mathbb{E}[m_t] = (1-\beta_1^t)\,\mathbb{E}[g]$ for a stationary gradient, so dividing by
$1 - \beta_1^t$ removes the bias. After correction the first step is
$\hat m_1 / \sqrt{\hat v_1} = g_1/|g_1|$: **every coordinate moves by $\eta$**, whatever the size of
its gradient. Without correction it would move by $0.1/\sqrt{0.001} \approx 3.16$ times $\eta$.

Check on one step with gradients spanning six orders of magnitude:
"""),
    code(r"""
g = np.array([1e-3, 1.0, -1e3])
p = Parameter(np.zeros(3))
opt = optim.Adam([p], lr=0.01)
p.grad[...] = g
opt.step()
print("first Adam step / lr:          ", p.data / 0.01)
m, v = 0.1 * g, 0.001 * g ** 2
print("without bias correction / lr:  ", -(m / (np.sqrt(v) + 1e-8)))
"""),
    md(r"""
**AdamW** (`optim.AdamW`) differs only in weight decay: Adam adds $\lambda\theta$ to the gradient
(so the decay is rescaled by $1/\sqrt{\hat v}$ like everything else), AdamW shrinks the weights
directly, $\theta \leftarrow \theta - \eta\lambda\theta$, *decoupled* from the adaptive scaling.

## 5 · Six optimizers, three landscapes

Now all of them on the test functions of `nnedu.landscapes`, each with a learning rate that suits it
(adaptive methods take larger $\eta$ because their steps are about $\eta$ long).

* **Narrow valley:** SGD zig-zags across the valley; momentum overshoots and swings along it. The
  adaptive methods move every coordinate by about $\eta$ per step, whatever its curvature, so they
  first travel diagonally, then turn along the valley floor; RMSprop, whose step never shrinks, ends up
  bouncing around the minimum at a distance of order $\eta$.
* **Rosenbrock:** a curved banana valley with a flat floor. Getting into the valley is easy; following
  it to $(1, 1)$ is the hard part. Momentum is what helps here.
* **Saddle:** started (almost) on the ridge $y = 0$, plain gradient descent slides towards the saddle
  point at the origin and only slowly escapes; the tiny $y$-gradient grows exponentially. The adaptive
  methods magnify that tiny gradient and escape at once.
"""),
    md(r"""
The test functions' gradients are derived by hand (in `nnedu/landscapes.py`), so, as always, we check
them against central differences before trusting any picture drawn from them:
"""),
    code(r"""
from nnedu.checking import numerical_gradient, rel_error

for name, land in landscapes.LANDSCAPES.items():
    worst = 0.0
    for point in np.random.default_rng(1).uniform(-1.5, 1.5, size=(5, 2)):
        num = numerical_gradient(lambda: land.value(point), point)
        worst = max(worst, rel_error(land.gradient(point), num))
    print(f"{name:10s} hand-derived gradient vs central differences at 5 points: "
          f"{'< 1e-8' if worst < 1e-8 else f'{worst:.1e}'}")
"""),
    code(r"""
SETTINGS = {
    "quadratic": [("SGD", 0.03), ("Momentum", 0.01), ("Nesterov", 0.01), ("AdaGrad", 0.5),
                  ("RMSprop", 0.05), ("Adam", 0.3)],
    "rosenbrock": [("SGD", 1e-3), ("Momentum", 1e-3), ("Nesterov", 1e-3), ("AdaGrad", 0.3),
                   ("RMSprop", 0.01), ("Adam", 0.05)],
    "saddle": [("SGD", 0.05), ("Momentum", 0.01), ("Nesterov", 0.01), ("AdaGrad", 0.1),
               ("RMSprop", 0.01), ("Adam", 0.05)],
}
STEPS = 200
final = {}
for name, pairs in SETTINGS.items():
    runs = compute_trajectories([RunSettings(name, opt, lr, beta=0.9, steps=STEPS) for opt, lr in pairs])
    final[name] = {r.settings.optimizer: r.final_loss - landscapes.get_landscape(name).min_value for r in runs}
    display(draw_runs(name, runs))
"""),
    code(r"""
print(f"f - f* after {STEPS} steps")
print(f"{'':10s}" + "".join(f"{opt:>10s}" for opt, _ in SETTINGS["quadratic"]))
for name, row in final.items():
    print(f"{name:10s}" + "".join(f"{row[opt]:10.1e}" for opt, _ in SETTINGS["quadratic"]))
"""),
    md(r"""
No optimizer wins everywhere. At these settings Nesterov is best in the valley and on Rosenbrock,
yet plain SGD, once it has left the saddle, lands exactly on a minimum, and the adaptive methods,
so quick to leave the saddle, creep along Rosenbrock's flat valley floor. And every entry of the table
depends on its learning rate. Which is why you should now play.

## 6 · The optimizer playground

Pick a function and an optimizer, set the learning rate (log scale), momentum/$\beta$ and the number
of steps; the plot follows. **Add to comparison** pins the current run, so you can overlay several
optimizers or learning rates. ($\beta$ is the momentum $\mu$ for Momentum and Nesterov, RMSprop's
decay $\alpha$ and Adam's $\beta_1$; SGD and AdaGrad do not use it.)

Things to try:

* Narrow valley, SGD: find the learning rate at which it diverges. Does it match $2/\lambda_{\max}$?
* Narrow valley, Momentum at lr 0.01: what does $\beta = 0.5$ change compared to $0.9$ and $0.99$?
* Rosenbrock: which optimizer reaches the star at $(1, 1)$ in 200 steps, and at what learning rate?
* Himmelblau has four minima: which one each optimizer finds depends on its path.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
playground = OptimizerPlayground(function="quadratic", optimizer="Momentum", lr=0.01)
playground
"""),
    md(r"""
The controls are ordinary Python attributes, so code can drive the playground too (this is how
the tests check it). The figure above updates when the next cell runs:
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
playground.optimizer.value = "Adam"    # (each change redraws the playground above)
playground.lr.value = 0.3
"""),
    code(r"""
run = playground.current
print(f"{run.settings.label}: f after {len(run.losses) - 1} steps = {run.final_loss:.2e}, "
      f"ended at ({run.trajectory[-1, 0]:.3f}, {run.trajectory[-1, 1]:.3f})")
"""),
    md(r"""
## 7 · Learning-rate schedules

Near a minimum, the noise of mini-batch gradients keeps a constant-rate optimizer bouncing around
in a region whose size is proportional to $\eta$. Lowering $\eta$ over time lets it settle. A
scheduler (`nnedu.optim.lr_scheduler`, the same classes and semantics as PyTorch's) sets
`optimizer.param_groups[i]["lr"]`; call `scheduler.step()` once **after** each epoch. With epoch
$t = 0, 1, \dots$ and initial rate $\eta_0$:

| scheduler | learning rate in epoch $t$ |
|---|---|
| `StepLR(opt, step_size=s, gamma=γ)` | $\eta_0\,\gamma^{\lfloor t/s \rfloor}$ |
| `MultiStepLR(opt, milestones=M, gamma=γ)` | $\eta_0\,\gamma^{\lvert\{m \in M:\ m \le t\}\rvert}$ |
| `ExponentialLR(opt, gamma=γ)` | $\eta_0\,\gamma^{t}$ |
| `CosineAnnealingLR(opt, T_max=T, eta_min=η_min)` | $\eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})\bigl(1 + \cos(\pi t / T)\bigr)$ |
| `LinearLR(opt, start_factor=a, total_iters=w)` (warm-up) | $\eta_0\,\bigl(a + (1-a)\min(t, w)/w\bigr)$ |
| `SequentialLR(opt, [warm-up, main], milestones=[w])` | the warm-up for $t < w$, then the main schedule restarted at $0$ |

**Why warm up?** At the start the weights are random and the gradients large and erratic; Adam's
$\hat v$ is estimated from only a few samples; with BatchNorm the statistics are still settling. A
few epochs of a small, growing rate avoid a destructive first step; then the main schedule takes over.

`nnedu.widgets.scheduler_lrs` builds the real scheduler on a one-parameter optimizer and records the
rate of each epoch, so the curves below are what training would see:
"""),
    code(r"""
EPOCHS = 60
curves = {
    "StepLR(step_size=15, γ=0.5)": scheduler_lrs("StepLR", EPOCHS, lr=0.1, step_size=15, gamma=0.5),
    "MultiStepLR([30, 45], γ=0.1)": scheduler_lrs("MultiStepLR", EPOCHS, lr=0.1, milestones=[30, 45], gamma=0.1),
    "ExponentialLR(γ=0.95)": scheduler_lrs("ExponentialLR", EPOCHS, lr=0.1, gamma=0.95),
    "CosineAnnealingLR(T_max=60)": scheduler_lrs("CosineAnnealingLR", EPOCHS, lr=0.1, T_max=60),
    "5 warm-up epochs + cosine": scheduler_lrs("CosineAnnealingLR", EPOCHS, lr=0.1, warmup_epochs=5),
}
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for label, lrs in curves.items():
    for ax in axes:
        ax.plot(lrs, label=label)
axes[0].set(xlabel="epoch", ylabel="learning rate", title="linear scale")
axes[1].set(xlabel="epoch", ylabel="learning rate", title="log scale", yscale="log")
for ax in axes:
    ax.grid(alpha=0.3)
axes[1].legend(fontsize=8);
"""),
    md(r"""
Check: the recorded rates against the formulas in the table.
"""),
    code(r"""
t = np.arange(EPOCHS)
formulas = {
    "StepLR(step_size=15, γ=0.5)": 0.1 * 0.5 ** (t // 15),
    "MultiStepLR([30, 45], γ=0.1)": 0.1 * 0.1 ** ((t >= 30).astype(int) + (t >= 45)),
    "ExponentialLR(γ=0.95)": 0.1 * 0.95 ** t,
    "CosineAnnealingLR(T_max=60)": 0.5 * 0.1 * (1 + np.cos(np.pi * t / 60)),
    "5 warm-up epochs + cosine": np.where(t < 5, 0.1 * (0.1 + 0.9 * t / 5),
                                          0.5 * 0.1 * (1 + np.cos(np.pi * (t - 5) / 55))),
}
for label, expected in formulas.items():
    err = np.abs(np.array(curves[label]) - expected).max() / 0.1
    print(f"{label:30s} max relative difference from the formula: {'< 1e-12' if err < 1e-12 else f'{err:.1e}'}")
"""),
    md(r"""
### The scheduler explorer

Choose a schedule and its settings (only the ones that schedule uses are shown); **keep this curve**
pins it for comparison. Try: how does `eta_min` change the end of a cosine schedule? How many
epochs of warm-up does a `StepLR` with `gamma=0.1` need before the first drop?
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
explorer = SchedulerExplorer(kind="CosineAnnealingLR", epochs=50, lr=0.1)
explorer
"""),
    md(r"""
## 8 · The optimizers on MNIST

Toy landscapes are two-dimensional; a network has hundreds of thousands of parameters and a noisy
mini-batch gradient. A short experiment: the same `784-128-10` MLP (same initial weights, same batch
order) trained by each optimizer with a typical learning rate, evaluated on held-out digits (the last
10,000 training images, never trained on). In quick mode it is one epoch on 1,500 digits, so the
numbers below (from a full run: 3 epochs on 12,000 digits) will differ from yours.
"""),
    code(r"""
from nnedu.data import DataLoader, load_mnist, stratified_subset
from nnedu.models import MLP
from nnedu.nn import CrossEntropyLoss
from nnedu.train import fit

x, y = load_mnist("train", normalize=True)
x_train, y_train = stratified_subset(x[:50_000], y[:50_000], pick(full=12_000, quick=1_500), seed=0)
x_val, y_val = stratified_subset(x[50_000:], y[50_000:], pick(full=5_000, quick=1_000), seed=0)
EPOCHS_MNIST = pick(full=3, quick=1)

CANDIDATES = {"SGD": lambda ps: optim.SGD(ps, lr=0.1),
              "Momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
              "Nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
              "AdaGrad": lambda ps: optim.Adagrad(ps, lr=0.05),
              "RMSprop": lambda ps: optim.RMSprop(ps, lr=1e-3),
              "Adam": lambda ps: optim.Adam(ps, lr=1e-3)}
histories = {}
for name, make in CANDIDATES.items():
    model = MLP(sizes=(784, 128, 10), rng=0)
    loader = DataLoader(x_train, y_train, batch_size=64, shuffle=True, seed=0)
    histories[name] = fit(model, CrossEntropyLoss(), make(model.parameters()), loader, EPOCHS_MNIST,
                          val_loader=(x_val, y_val), progress=False, restore_best=False)
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4))
for name, h in histories.items():
    steps = np.arange(1, len(h.step_loss) + 1)
    smooth = np.convolve(h.step_loss, np.ones(20) / 20, mode="valid")
    ax_loss.plot(steps[19:], smooth, label=name)
    ax_acc.plot(np.arange(1, h.epochs + 1), 100 * np.array(h.val_acc), "o-", label=name)
ax_loss.set(xlabel="step (mini-batch of 64)", ylabel="training loss (mean of 20 steps)", yscale="log")
ax_acc.set(xlabel="epoch", ylabel="held-out accuracy (%)", xticks=range(1, EPOCHS_MNIST + 1))
for ax in (ax_loss, ax_acc):
    ax.grid(alpha=0.3)
ax_acc.legend();
print(f"{'optimizer':10s} {'held-out accuracy':>18s} {'final train loss':>17s}")
for name, h in histories.items():
    print(f"{name:10s} {100 * h.val_acc[-1]:17.2f}% {h.train_loss[-1]:17.4f}")
"""),
    md(r"""
In the full run stored here, every method with momentum or adaptive scaling ends two to three points
ahead of plain SGD after three epochs, and they are within about one point of each other. AdaGrad
does well: over three short epochs its shrinking steps have not yet hurt. Adam at its default
$10^{-3}$ is not the best here; a different learning rate would reorder the field. That is the real
lesson: the learning rate matters at least as much as the choice of optimizer. Notebook 07 has a
training dashboard where you can set the rate and momentum yourself.

## Summary

* Gradient descent on a quadratic converges iff $\eta < 2/\lambda_{\max}$, at a speed set by the
  condition number $\kappa$: narrow valleys are slow.
* **Momentum** $b \leftarrow \mu b + g$, $\theta \leftarrow \theta - \eta b$ averages away oscillations and
  speeds up consistent directions by up to $1/(1-\mu)$; **Nesterov** steps along $g + \mu b$.
* **AdaGrad** and **RMSprop** divide by the root of accumulated / averaged squared gradients: steps of
  about $\eta$, independent of the gradient's scale.
* **Adam** combines both and corrects the zero-start bias by $1/(1-\beta^t)$; its first step is $\eta$
  in every coordinate. **AdamW** decouples weight decay.
* **Schedules** lower the rate over time (step, multi-step, exponential, cosine), often after a
  **warm-up**; call `scheduler.step()` once per epoch.

## Exercises

**Exercise 1 — a momentum step.** Write `momentum_step(theta, grad, buf, lr, momentum, nesterov=False)`
returning the new `(theta, buf)` in PyTorch's form (buffer in gradient units, starting at zeros).
With `nesterov=True` step along $g + \mu b$. The check runs several steps with random gradients and
compares every one with `nnedu.optim.SGD`.
"""),
    code(r"""
def momentum_step(theta, grad, buf, lr, momentum, nesterov=False):
    ### BEGIN SOLUTION
    buf = momentum * buf + grad
    direction = grad + momentum * buf if nesterov else buf
    theta = theta - lr * direction
    return theta, buf
    ### END SOLUTION
"""),
    code(r"""
from nnedu.exercises.optim import check_momentum_step
check_momentum_step(momentum_step);
"""),
    md(r"""
**Exercise 2 — an Adam step.** Write `adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps)` returning
the new `(theta, m, v)`; `t` counts steps from 1, and `m`, `v` are returned *without* bias
correction (they are the state carried to the next step).
"""),
    code(r"""
def adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps):
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta, m, v
    ### END SOLUTION
"""),
    code(r"""
from nnedu.exercises.optim import check_adam_step
check_adam_step(adam_step);
"""),
    md(r"""
**Exercise 3 — predict, then test.** The rotated valley `landscapes.ill_conditioned_quadratic(kappa=25,
angle=np.pi/4)` has the same curvatures as our valley but its axes are diagonal.
(a) Is plain SGD's largest stable learning rate still $0.08$? (b) Will Adam still go straight to the
minimum? Predict first, then check with `landscapes.run_optimizer(valley2, "adam", lr=0.3, steps=200)`
and `draw_runs`-style plots. (Hint: SGD is rotation-invariant; per-coordinate scaling is not.)

**Exercise 4 — a schedule on MNIST.** Train the MLP of section 8 with SGD + momentum for 5 epochs,
once with a constant rate and once with `CosineAnnealingLR(T_max=5)` (pass `scheduler=` to `fit`).
Which reaches the higher held-out accuracy, and where do the loss curves differ?
"""),
]

# ----------------------------------------------------------------------------------------------- 07
NB07 = [
    md(r"""
# 07 · A multi-layer perceptron on MNIST

Everything from the first six notebooks comes together: `Linear` and `ReLU` layers with their
hand-derived backward passes, softmax cross-entropy, an optimizer and a learning-rate schedule,
trained on all 60,000 MNIST digits. In this notebook you will

1. prepare the data (scale, standardise, keep the test set apart);
2. build a `784-256-128-10` MLP, count its parameters and check its initial loss;
3. train it with the **default recipe** of `nnedu.recipes` and watch the curves;
4. measure it: **test accuracy**, the **confusion matrix**, the **most confidently wrong** digits;
5. look inside: the **first-layer weights** as 28×28 images and a **2-D PCA projection**;
6. run a small **grid search** over learning rate, hidden size and L2 penalty, on a validation set;
7. **save** the model to a `.npz` file and **load** it back;
8. play with the **training dashboard**: learning rate and momentum sliders, live curves;
9. write `accuracy` and `confusion_matrix` yourself (exercises with checks).

**You should know:** notebooks 01, 02 and 06. **Run time:** about 5 minutes for the full run
(quick mode, `NNEDU_QUICK=1`: one epoch on 3,000 digits, under a minute).
"""),
    code(r"""
%matplotlib inline
import tempfile
import time
from pathlib import Path

import numpy as np
import matplotlib.pyplot as plt

import nnedu
from nnedu.data import DataLoader, stratified_subset
from nnedu.metrics import accuracy, confusion_matrix, most_confidently_wrong, per_class_accuracy
from nnedu.models import MLP
from nnedu.nn import CrossEntropyLoss
from nnedu.plotting import plot_confusion_matrix, plot_history, plot_image_grid
from nnedu.quick import QUICK, pick
from nnedu.recipes import RECIPES, ShiftAugment, load_data, make_model, make_optimizer, make_scheduler
from nnedu.train import evaluate, fit, predict
from nnedu.widgets import TrainingDashboard

np.set_printoptions(precision=4, suppress=True)
"""),
    md(r"""
## 1 · The data

`load_data` (from `nnedu.recipes`) loads MNIST as float32 images of shape `(N, 1, 28, 28)`, scales
the pixels to $[0, 1]$ and **standardises** them with the mean and standard deviation of all
training pixels,

$$x \leftarrow \frac{x/255 - \mu}{\sigma}, \qquad \mu = 0.1307,\ \sigma = 0.3081,$$

so that the inputs have mean 0 and variance 1, which is what the weight initialisation assumes. The
statistics come from the *training* set only; the test set is standardised with the same numbers and
is never used to make a choice. In quick mode we train on a stratified subset of 3,000 digits.
"""),
    code(r"""
recipe = RECIPES["mlp"]
data = load_data("mnist", limit=pick(full=None, quick=3_000), seed=recipe.seed)
print(f"mean {data.mean:.4f}, std {data.std:.4f} (of the 60,000 training images)")
print(f"test set: {data.x_test.shape}, {data.x_test.dtype}; "
      f"mean {data.x_test.mean():.3f}, std {data.x_test.std():.3f} after standardising")
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
print(f"training set: {data.x_train.shape}; digits per class: {np.bincount(data.y_train)}")
"""),
    md(r"""
## 2 · The model

`MLP()` is `Flatten → Linear(784, 256) → ReLU → Linear(256, 128) → ReLU → Linear(128, 10)`; the
last layer outputs logits, and `CrossEntropyLoss` applies the softmax. A `Linear(D, M)` layer has
$DM$ weights and $M$ biases, so the model has

$$784 \cdot 256 + 256 \;+\; 256 \cdot 128 + 128 \;+\; 128 \cdot 10 + 10 = 235{,}146$$

parameters. Weights use He initialisation, $W \sim \mathcal N(0, 2/D)$, which keeps the variance of
the activations roughly constant through ReLU layers.

**Sanity check before training:** if the ten logits were equal, the softmax would be uniform and the
loss exactly $-\log(1/10) = \log 10 \approx 2.303$. He initialisation keeps the activations' scale, so
the initial logits are spread by one or two units and the loss starts somewhat *above* $\log 10$. A
starting loss of 10 or 100 would mean exploding activations: a wrong initialisation or unscaled inputs.
"""),
    code(r"""
model = make_model("mlp", seed=recipe.seed)
W1_init = model.fc1.weight.data.copy()           # kept to see later what training changed
model.summary()
criterion = CrossEntropyLoss()
logits0 = model(data.x_test[:1000])
print(f"\ninitial logits: std {logits0.std():.2f};  initial loss on 1,000 test digits: "
      f"{criterion(logits0, data.y_test[:1000]):.3f}   (log 10 = {np.log(10):.3f})")
"""),
    md(r"""
**Is backpropagation through the whole network right?** Each layer was gradient-checked in its own
notebook; `nnedu.gradcheck` now checks the whole chain at once: every parameter gradient of a small MLP
(the same code, smaller sizes, in float64) against central differences of $L = \sum Y \odot G$ for a
random $G$.
"""),
    code(r"""
from nnedu.exercises.report import gradcheck_report

old_dtype = nnedu.get_default_dtype()
nnedu.set_default_dtype(np.float64)
try:
    small = MLP(sizes=(12, 8, 6, 10), rng=0)
    x_small = np.random.default_rng(0).standard_normal((5, 12))
    gradcheck_report("MLP(12, 8, 6, 10)", nnedu.gradcheck(small, x_small));
finally:
    nnedu.set_default_dtype(old_dtype)
"""),
    md(r"""
## 3 · Training with the default recipe

The recipe (`nnedu.recipes.RECIPES["mlp"]`, the one the README's accuracy figure comes from) fixes
every choice: optimizer, learning rate, schedule, batch size, epochs and seed. `fit` runs the loop you
know from notebook 06: for each mini-batch, forward, loss, `zero_grad`, backward, `step`; after each
epoch, `scheduler.step()`. We *monitor* the test set after each epoch to draw the curves, but we do
not use it to choose anything (no early stopping, no "best epoch" on test).
"""),
    code(r"""
print(recipe)
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
EPOCHS = pick(full=recipe.epochs, quick=1)
optimizer = make_optimizer(recipe.optimizer, model.parameters(), recipe.lr, recipe.momentum, recipe.weight_decay)
scheduler = make_scheduler(recipe.scheduler, optimizer, EPOCHS)
loader = DataLoader(data.x_train, data.y_train, recipe.batch_size, shuffle=True, seed=recipe.seed)
train_data = ShiftAugment(loader, recipe.augment_shift, seed=recipe.seed + 1) if recipe.augment_shift else loader
history = fit(model, criterion, optimizer, train_data, EPOCHS, val_loader=(data.x_test, data.y_test),
              scheduler=scheduler, restore_best=False, progress=not QUICK)
for e in range(history.epochs):
    print(f"epoch {e + 1:2d}: lr {history.lr[e]:.2e}  train loss {history.train_loss[e]:.4f}  "
          f"train acc {100 * history.train_acc[e]:.2f}%  test acc {100 * history.val_acc[e]:.2f}%  "
          f"({history.seconds[e]:.1f} s)")
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
plot_history(history, val_label="test", title="MLP on MNIST, default recipe");
"""),
    md(r"""
Read the curves: the thin line is the loss of every mini-batch; the training loss keeps falling
while the test loss flattens, and the gap between training and test accuracy is the beginning of
**overfitting**: by the last epochs the network is nearly perfect on the digits it trains on while the
test accuracy has levelled off (in the stored full run at about 98.2% from epoch 7 on). The cosine
schedule lowers the learning rate towards zero, so the last epochs fine-tune instead of jumping
around; without it the late epochs would be noisier.

## 4 · How good is it?

The **test accuracy** is the fraction of the 10,000 test digits whose largest logit is the true class.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
ev = evaluate(model, (data.x_test, data.y_test), criterion)
print(f"test accuracy: {100 * ev.accuracy:.2f}%  ({int(round(ev.accuracy * len(data.y_test)))} of "
      f"{len(data.y_test)} right), test loss {ev.loss:.4f}")
"""),
    md(r"""
The **confusion matrix** $M_{ij}$ counts test digits of true class $i$ predicted as $j$: the diagonal
holds the right answers, everything off the diagonal is a mistake, and its pattern tells *which*
digits get confused (4 ↔ 9, 3 ↔ 5, 7 ↔ 2 are the classics).
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
cm = confusion_matrix(data.y_test, ev.logits, 10)
off = cm - np.diag(np.diag(cm))
pairs = sorted(((off[i, j], i, j) for i in range(10) for j in range(10) if off[i, j]), reverse=True)[:5]
print("most frequent confusions:", ", ".join(f"{i}→{j} ({n})" for n, i, j in pairs))
print("per-class accuracy (%):", np.round(100 * per_class_accuracy(data.y_test, ev.logits, 10), 1))
plot_confusion_matrix(cm, title="MLP: confusion matrix on the test set");
"""),
    md(r"""
The **most confidently wrong** digits are the test images where the model put the highest
softmax probability on a wrong class. Some are genuinely ambiguous, some are mislabelled, and some
show what the model has not learned. Notice the confidences: after ten epochs of minimising
cross-entropy the network is routinely more than 99.5% sure (shown rounded to 100%) even when it is
wrong. Its probabilities are **overconfident**; making them honest is called *calibration*.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
wrong = most_confidently_wrong(ev.logits, data.y_test, k=16)
titles = [f"{t}→{p} ({100 * c:.0f}%)" for t, p, c in zip(wrong.true, wrong.predicted, wrong.confidence)]
plot_image_grid(data.x_test[wrong.indices], titles, ncols=8,
                title="most confidently wrong: true→predicted (confidence)");
"""),
    md(r"""
## 5 · Inside the network

**First-layer weights as images.** Hidden unit $k$ of the first layer computes
$\mathrm{ReLU}(\sum_{p} x_p W_{pk} + b_k)$ over the 784 pixels $p$: its weight column $W_{:,k}$ is a
28×28 *template*, and the unit fires when the digit overlaps the template's positive (red) part and
avoids its negative (blue) part. (Our `Linear.weight` is stored as `(in, out)`, so column $k$ is
`weight[:, k]`.)

The trained weights still carry their random initialisation: He noise with standard deviation
$\sqrt{2/784} \approx 0.05$, which training on 60,000 digits changes only partly. So we show, for 16
units, the trained template $W$ (top rows) and the change that training made, $\Delta W = W - W_0$
(bottom rows): that is where the learned strokes and blobs are. The flat tint at the borders of some
changes is real too: standardised background pixels are $-0.42$, not 0, so the weights on them act as
an extra bias that training adjusts.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
W1 = model.fc1.weight.data                       # (784, 256)
dW1 = W1 - W1_init
fig, axes = plt.subplots(4, 8, figsize=(10, 5.4))
for k in range(16):
    for row, w in ((k // 8, W1[:, k]), (2 + k // 8, dW1[:, k])):
        ax = axes[row, k % 8]
        w = w.reshape(28, 28)
        lim = np.abs(w).max()
        ax.imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.axis("off")
axes[0, 0].set_title("trained W", fontsize=9, loc="left")
axes[2, 0].set_title("learned change W − W₀", fontsize=9, loc="left")
fig.suptitle("first-layer templates of hidden units 0–15 (red +, blue −)");
"""),
    md(r"""
**A 2-D view with PCA.** Principal component analysis finds the directions of largest variance: centre
the data matrix $X$ ($N \times D$), take its SVD $X = U S V^\top$, and project onto the first two right
singular vectors, $Z = X V_{:, :2}$; the share of variance they explain is $(S_1^2 + S_2^2)/\sum_i S_i^2$.

First the 256 learned first-layer **template changes** $\Delta W_{:,k}$ ($N = 256$ vectors of
$D = 784$): each is drawn as a thumbnail at its position on the first two principal directions, so
similar templates sit close together; the two directions themselves are shown as images on the right.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

def pca(X, k=2):
    Xc = X - X.mean(axis=0)
    _, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    return Xc @ Vt[:k].T, Vt[:k], S ** 2 / np.sum(S ** 2)

z_w, comps_w, var_w = pca(dW1.T)
fig = plt.figure(figsize=(13, 6))
gs = fig.add_gridspec(2, 2, width_ratios=[3, 1])
ax = fig.add_subplot(gs[:, 0])
ax.scatter(z_w[:, 0], z_w[:, 1], s=2, color="grey")
for k in range(0, 256, 3):                       # every third template, to keep it readable
    w = dW1[:, k].reshape(28, 28)
    lim = np.abs(w).max()
    ax.add_artist(AnnotationBbox(OffsetImage(w, cmap="RdBu_r", zoom=0.9, norm=plt.Normalize(-lim, lim)),
                                 z_w[k], frameon=False))
ax.set(title=f"learned template changes at their PCA coordinates (PC1+PC2: {100 * var_w[:2].sum():.0f}% of variance)",
       xlabel="PC1", ylabel="PC2")
for k in range(2):
    a = fig.add_subplot(gs[k, 1])
    lim = np.abs(comps_w[k]).max()
    a.imshow(comps_w[k].reshape(28, 28), cmap="RdBu_r", vmin=-lim, vmax=lim)
    a.set(title=f"PC{k + 1} of the changes", xticks=[], yticks=[])
"""),
    md(r"""
Then the **digits**: 2,000 test digits projected once from their raw pixels ($D = 784$) and once from
the network's last hidden layer ($D = 128$, after the second ReLU). In pixel space the classes overlap;
the network has learned a representation in which they fall apart into clusters (even in just two of
its 128 dimensions).
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
def hidden(model, x):
    h = x
    for layer in model:                 # Sequential: flatten, fc1, act1, fc2, act2, fc3
        h = layer(h)
        if layer is model.act2:
            return h

x_some, y_some = data.x_test[:2000], data.y_test[:2000]
fig, axes = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
for ax, feats, name in [(axes[0], x_some.reshape(len(x_some), -1), "raw pixels (784-D)"),
                        (axes[1], hidden(model, x_some), "last hidden layer (128-D)")]:
    z, _, var = pca(feats)
    sc = ax.scatter(z[:, 0], z[:, 1], c=y_some, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
    ax.set(title=f"{name}: PC1+PC2 explain {100 * var[:2].sum():.0f}%", xticks=[], yticks=[])
fig.colorbar(sc, ax=axes, ticks=range(10), label="digit");
"""),
    md(r"""
## 6 · A small grid search

Which learning rate, hidden size and L2 penalty? We try every combination of a few values and
compare them on a **validation set**: 5,000 training digits held out from training. Choosing on the
test set would make the test accuracy an optimistic, biased estimate; the test set is for the final
report only.

L2 regularisation adds $\frac{\lambda}{2}\lVert W\rVert^2$ to the loss, i.e. $\lambda W$ to the gradient
(`weight_decay=λ` in the optimizer), pulling the weights towards zero. To keep it quick, each setting
trains a one-hidden-layer MLP for two epochs on 10,000 digits (quick mode: one epoch on 1,000).
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
x_pool, y_pool = data.x_train, data.y_train
rng = np.random.default_rng(0)
perm = rng.permutation(len(y_pool))
n_val = pick(full=5_000, quick=500)
x_val, y_val = x_pool[perm[:n_val]], y_pool[perm[:n_val]]
x_fit, y_fit = stratified_subset(x_pool[perm[n_val:]], y_pool[perm[n_val:]], pick(full=10_000, quick=1_000), seed=0)

grid = [(lr, hidden_size, l2) for lr in (3e-4, 1e-3, 3e-3) for hidden_size in (64, 256) for l2 in (0.0, 1e-3)]
results = []
start = time.perf_counter()
for lr, hidden_size, l2 in grid:
    net = MLP(sizes=(784, hidden_size, 10), rng=0)
    opt = make_optimizer("adam", net.parameters(), lr, weight_decay=l2)
    h = fit(net, CrossEntropyLoss(), opt, DataLoader(x_fit, y_fit, 128, seed=0), pick(full=2, quick=1),
            val_loader=(x_val, y_val), progress=False, restore_best=False)
    results.append(dict(lr=lr, hidden=hidden_size, l2=l2, train_acc=h.train_acc[-1], val_acc=h.val_acc[-1]))
results.sort(key=lambda r: -r["val_acc"])
print(f"{len(grid)} runs in {time.perf_counter() - start:.0f} s\n")
print(f"{'lr':>8s} {'hidden':>7s} {'L2':>7s} {'train acc':>10s} {'val acc':>9s}")
for r in results:
    print(f"{r['lr']:8.0e} {r['hidden']:7d} {r['l2']:7.0e} {100 * r['train_acc']:9.2f}% {100 * r['val_acc']:8.2f}%")
best = results[0]
print(f"\nbest on validation: lr={best['lr']:.0e}, hidden={best['hidden']}, L2={best['l2']:.0e}")
"""),
    md(r"""
In the full run stored here, the largest learning rate wins for both hidden sizes, the wider layer
is better at every learning rate, and the L2 penalty changes little in two short epochs (it fights
overfitting, which needs longer training to appear; try it over 10 epochs). Grid search
is simple and embarrassingly parallel but scales badly (every new hyper-parameter multiplies the
number of runs); random search over the same ranges usually finds good settings with fewer runs.

## 7 · Save and reload

`nnedu.save` writes one `.npz` file with the architecture (the model's `config`), every weight and,
optionally, the optimizer state (to resume training exactly). `nnedu.load` rebuilds the model from the
file alone. No pickle is involved: loading a file never executes code from it.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
tmp = tempfile.TemporaryDirectory()
path = Path(tmp.name) / "mlp_mnist.npz"
nnedu.save(model, path, optimizer=optimizer)
print(f"saved {path.name}: {path.stat().st_size / 1e6:.2f} MB")
"""),
    code(r"""
restored = nnedu.load(path)
tmp.cleanup()
same = np.array_equal(predict(model, data.x_test), predict(restored, data.x_test))
print(f"restored a {type(restored).__name__} with {sum(p.data.size for p in restored.parameters()):,} parameters; "
      f"identical logits on the test set: {same}")
"""),
    md(r"""
## 8 · The training dashboard

Now you drive. The dashboard trains a fresh `784-hidden-10` MLP with SGD on 3,000 digits (quick
mode: 500) with the **learning rate** and **momentum** from the sliders when you press **train**,
draws the loss and the validation accuracy live, and keeps earlier runs on the plot. Things to try:

* lr 0.05 with momentum 0.9, then the same lr with momentum 0: how much slower?
* momentum 0.9 with lr 0.5, then 1.0: where does training become unstable?
* The rule of thumb "effective step $\eta/(1-\mu)$": is lr 0.05 with $\mu = 0.9$ similar to lr 0.5
  with $\mu = 0$?
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
dashboard = TrainingDashboard(n_train=pick(full=3_000, quick=500), n_val=pick(full=1_000, quick=300),
                              lr=0.05, momentum=0.9, epochs=pick(full=3, quick=1))
dashboard
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
run = dashboard.train()          # the same as pressing "train"
dashboard.momentum.value = 0.0
run0 = dashboard.train()
for r in (run, run0):
    print(f"{r.label}: validation accuracy {100 * r.final_val_acc:.1f}%")
"""),
    md(r"""
## Summary

* Standardise inputs with training-set statistics; keep the test set for the final report only.
* A `784-256-128-10` ReLU MLP has 235,146 parameters and starts at loss $\approx \log 10$.
* With the default recipe it reaches about 98% test accuracy on MNIST in 10 epochs, in plain NumPy.
* The confusion matrix and the most confidently wrong digits show *how* it fails; first-layer weights
  are pixel templates; PCA shows that the hidden layers separate the classes.
* Choose hyper-parameters on a validation split; save and load with `nnedu.save` / `nnedu.load`.

## Exercises

**Exercise 1 — accuracy.** Write `accuracy(logits, labels)`: the fraction of rows of `logits`
(shape `(N, C)`) whose largest entry is at the true class.
"""),
    code(r"""
def my_accuracy(logits, labels):
    ### BEGIN SOLUTION
    return float(np.mean(logits.argmax(axis=1) == labels))
    ### END SOLUTION
"""),
    code(r"""
from nnedu.exercises.training import check_accuracy, check_confusion_matrix
check_accuracy(my_accuracy);
"""),
    md(r"""
**Exercise 2 — the confusion matrix.** Write `confusion_matrix(labels, predictions, num_classes)`
returning the `(C, C)` count matrix with rows for true classes and columns for predictions. Careful:
`M[labels, predictions] += 1` does *not* count repeated pairs (why?); `np.add.at` does.
"""),
    code(r"""
def my_confusion_matrix(labels, predictions, num_classes):
    ### BEGIN SOLUTION
    M = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(M, (labels, predictions), 1)
    return M
    ### END SOLUTION
"""),
    code(r"""
check_confusion_matrix(my_confusion_matrix);
"""),
    md(r"""
**Exercise 3 — dropout and batch norm.** `MLP(dropout=0.2)` and `MLP(batchnorm=True)` add the
layers of notebooks 03 and 01. Train each with the default recipe (a subset of 10,000 digits and 3
epochs is enough to see the trend) and compare the gap between training and test accuracy.

**Exercise 4 — random search.** Replace the grid of section 6 by 12 random settings with
$\log_{10}\eta \sim U(-4, -2)$, hidden size $\in \{32, \dots, 512\}$ and $\log_{10}\lambda \sim U(-6, -2)$.
Does it find a better validation accuracy than the grid with the same number of runs?
"""),
]

# ----------------------------------------------------------------------------------------------- 08
NB08 = [
    md(r"""
# 08 · LeNet-5 on MNIST

In 1998 Yann LeCun, Léon Bottou, Yoshua Bengio and Patrick Haffner published *Gradient-Based Learning
Applied to Document Recognition*, and with it **LeNet-5**, the convolutional network that read
cheques in American banks. It is small by today's standards (about 60,000 parameters) yet it contains
every idea of a modern CNN: local receptive fields, shared weights, pooling, and a stack that turns
pixels into features into classes. In this notebook you will

1. build LeNet-5 from the layers of notebooks 04–05 and write out its **table of layers, shapes and
   parameter counts** (C1: 156);
2. see how our version **differs from the 1998 paper**;
3. train it with the **default recipe** on all 60,000 training digits;
4. look at its **learned filters** and the **feature maps** of one digit;
5. measure **test accuracy** and the **confusion matrix**;
6. put the **MLP and LeNet-5 side by side**: accuracy, parameters, time per epoch, and robustness to
   shifted digits;
7. count parameters and receptive fields yourself (exercises with checks).

**You should know:** notebooks 04 (convolution), 05 (pooling and padding) and 07.
**Run time:** about 20 minutes for the full run on a laptop CPU (quick mode, `NNEDU_QUICK=1`: one
epoch on 3,000 digits, under a minute).
"""),
    code(r"""
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

from nnedu.data import DataLoader
from nnedu.functional import conv_output_size
from nnedu.metrics import confusion_matrix, per_class_accuracy
from nnedu.models import MLP, LeNet5
from nnedu.nn import CrossEntropyLoss
from nnedu.plotting import plot_confusion_matrix, plot_filters, plot_history, plot_image_grid
from nnedu.quick import QUICK, pick
from nnedu.recipes import RECIPES, ShiftAugment, load_data, make_model, make_optimizer, make_scheduler, random_shift
from nnedu.train import evaluate, fit

np.set_printoptions(precision=4, suppress=True)
"""),
    md(r"""
## 1 · The architecture

LeNet-5 alternates convolutions (C) and sub-sampling (S) layers, then classifies with fully
connected layers (F). Our MNIST digits are 28×28 while the paper fed 32×32 images, so C1 pads by two
pixels on each side; from then on every feature map has the paper's size.

A convolution from $C_{in}$ to $C_{out}$ channels with $k \times k$ kernels has
$C_{out}\,(C_{in} k^2 + 1)$ parameters (one bias per output channel), and maps a side of length $n$
to $\lfloor (n + 2p - k)/s \rfloor + 1$ (padding $p$, stride $s$):

| layer | operation | output | parameters |
|---|---|---|---|
| input | | 1 @ 28×28 | |
| C1 | conv 5×5, 6 maps, padding 2 | 6 @ 28×28 | $6\,(1 \cdot 25 + 1) = 156$ |
| S2 | max pool 2×2, stride 2 | 6 @ 14×14 | 0 |
| C3 | conv 5×5, 16 maps | 16 @ 10×10 | $16\,(6 \cdot 25 + 1) = 2{,}416$ |
| S4 | max pool 2×2, stride 2 | 16 @ 5×5 | 0 |
| C5 | conv 5×5, 120 maps | 120 @ 1×1 | $120\,(16 \cdot 25 + 1) = 48{,}120$ |
| F6 | fully connected | 84 | $84\,(120 + 1) = 10{,}164$ |
| output | fully connected | 10 | $10\,(84 + 1) = 850$ |
| | | **total** | **61,706** |

C5's 5×5 kernel covers its whole 5×5 input, so it acts as a fully connected layer; the paper calls it
a convolution because on a larger input it would slide. `LeNet5().summary()` prints the same table
from the real layers, by running a forward pass:
"""),
    code(r"""
model = make_model("lenet5", seed=RECIPES["lenet5"].seed)
model.summary()
"""),
    code(r"""
# the table's formulas, checked against the real layers
formula = {"c1": 6 * (1 * 25 + 1), "c3": 16 * (6 * 25 + 1), "c5": 120 * (16 * 25 + 1),
           "f6": 84 * (120 + 1), "output": 10 * (84 + 1)}
for name, expected in formula.items():
    layer = getattr(model, name)
    actual = sum(p.data.size for p in layer.parameters())
    print(f"{name:7s} formula {expected:6,d}   layer {actual:6,d}   {'ok' if actual == expected else 'MISMATCH'}")
sizes = [28]
for k, p, s in [(5, 2, 1), (2, 0, 2), (5, 0, 1), (2, 0, 2), (5, 0, 1)]:   # C1, S2, C3, S4, C5
    sizes.append(conv_output_size(sizes[-1], k, stride=s, padding=p))
print("side lengths through C1, S2, C3, S4, C5:", " → ".join(map(str, sizes)))
"""),
    md(r"""
## 2 · What differs from the 1998 paper

Our `LeNet5()` (`variant="modern"`) keeps the paper's layer sizes but uses the tools of today:

| | 1998 paper | `nnedu.models.LeNet5()` |
|---|---|---|
| input | 32×32, digits centred in the 28×28 part | 28×28 MNIST, C1 pads by 2 |
| non-linearity | scaled tanh, $1.7159 \tanh(\tfrac23 a)$ | ReLU |
| sub-sampling S2, S4 | average of 2×2 times a trainable coefficient, plus a trainable bias, then the squashing function | max pooling, no parameters |
| C3 connections | a hand-picked table: each C3 map sees 3, 4 or 6 of the S2 maps (1,516 parameters), to break symmetry and save computation | every C3 map sees all 6 S2 maps (2,416 parameters) |
| output layer | 10 Euclidean RBF units comparing F6 with fixed 7×12 bitmap codes of each digit | a Linear layer; softmax cross-entropy |
| training | stochastic diagonal Levenberg–Marquardt, one example at a time, 20 passes, decreasing step size | Adam on mini-batches with a cosine schedule (the default recipe) |
| initialisation | uniform in $\pm 2.4 / F_{in}$ | uniform in $\pm 1/\sqrt{F_{in}}$ (PyTorch's default) |
| parameters | about 60,000 | 61,706 |

`LeNet5(variant="classic")` swaps in tanh and average pooling, closer to the paper (still with full C3
connections and a softmax output). The paper reports 0.95% test error without and 0.8% with
artificially distorted training images.

## 3 · Training with the default recipe

The recipe lives in `nnedu.recipes.RECIPES["lenet5"]`; it is the one behind the README's accuracy
figure. As in notebook 07 we monitor the test set after each epoch for the curves but choose nothing
with it. The full run takes one to two minutes per epoch on a laptop CPU: every convolution runs as an
im2col matrix product in NumPy (notebook 04).
"""),
    code(r"""
recipe = RECIPES["lenet5"]
print(recipe)
data = load_data("mnist", limit=pick(full=None, quick=3_000), seed=recipe.seed)
n_test = pick(full=10_000, quick=2_000)
x_test, y_test = data.x_test[:n_test], data.y_test[:n_test]
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
EPOCHS = pick(full=recipe.epochs, quick=1)
criterion = CrossEntropyLoss()
optimizer = make_optimizer(recipe.optimizer, model.parameters(), recipe.lr, recipe.momentum, recipe.weight_decay)
scheduler = make_scheduler(recipe.scheduler, optimizer, EPOCHS)
loader = DataLoader(data.x_train, data.y_train, recipe.batch_size, shuffle=True, seed=recipe.seed)
train_data = ShiftAugment(loader, recipe.augment_shift, seed=recipe.seed + 1) if recipe.augment_shift else loader
history = fit(model, criterion, optimizer, train_data, EPOCHS, val_loader=(x_test, y_test),
              scheduler=scheduler, restore_best=False, progress=not QUICK)
for e in range(history.epochs):
    print(f"epoch {e + 1:2d}: lr {history.lr[e]:.2e}  train loss {history.train_loss[e]:.4f}  "
          f"train acc {100 * history.train_acc[e]:.2f}%  test acc {100 * history.val_acc[e]:.2f}%  "
          f"({history.seconds[e]:.0f} s)")
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
plot_history(history, val_label="test", title="LeNet-5 on MNIST, default recipe");
"""),
    md(r"""
## 4 · What has it learned?

**Filters.** C1's six 5×5 kernels look directly at pixels: after training they are small edge and
stroke detectors (red: positive weights, blue: negative). C3's 16 filters each have 6 slices, one
per S2 map (one row per filter below); they combine C1's edge maps into larger parts of digits.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
plot_filters(model.c1.weight.data, title="C1: 6 filters, 1×5×5");
plot_filters(model.c3.weight.data, title="C3: 16 filters × 6 input maps, 5×5");
"""),
    md(r"""
**Feature maps.** The output of each layer for one test digit: C1 (after ReLU) shows where each edge
detector fires; S2 halves the resolution while keeping the strongest response in each 2×2 window;
C3 responds to combinations, and by S4 (5×5) the map is coarse and abstract. C5's 120 numbers, F6
and the output are no longer images.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
digit = x_test[:1]
maps, h = {}, digit
for name, layer in model.named_children():
    h = layer(h)
    maps[name] = h[0]
probs = np.exp(maps["output"] - maps["output"].max()); probs /= probs.sum()

fig = plt.figure(figsize=(13, 6.5))
gs = fig.add_gridspec(4, 16)
ax = fig.add_subplot(gs[0:2, 0:3])
ax.imshow(digit[0, 0], cmap="gray")
ax.axis("off")
ax.set_title(f"input (label {y_test[0]})", fontsize=9)
for row, (name, n, title) in enumerate([("act1", 6, "C1 + ReLU (6 @ 28×28)"), ("s2", 6, "S2 (6 @ 14×14)"),
                                       ("act3", 16, "C3 + ReLU (16 @ 10×10)"), ("s4", 16, "S4 (16 @ 5×5)")]):
    for k in range(n):
        ax = fig.add_subplot(gs[row, 3 + 2 * k:5 + 2 * k] if n == 6 else gs[row, k])
        ax.imshow(maps[name][k], cmap="viridis")
        ax.axis("off")
        if k == 0:
            ax.set_title(title, fontsize=9, loc="left")
print("predicted probabilities:", np.round(probs, 3), "→ predicted", int(probs.argmax()))
"""),
    md(r"""
## 5 · Accuracy and confusion matrix
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
ev = evaluate(model, (x_test, y_test), criterion)
print(f"LeNet-5 test accuracy: {100 * ev.accuracy:.2f}%  ({int(round(ev.accuracy * len(y_test)))} of "
      f"{len(y_test)} right), test loss {ev.loss:.4f}")
cm = confusion_matrix(y_test, ev.logits, 10)
print("per-class accuracy (%):", np.round(100 * per_class_accuracy(y_test, ev.logits, 10), 1))
plot_confusion_matrix(cm, title="LeNet-5: confusion matrix on the test set");
"""),
    md(r"""
## 6 · MLP vs LeNet-5

The MLP of notebook 07 trained with its own default recipe on the same data, then both compared on
accuracy, size and speed. One more test shows what convolution and pooling buy: we **shift every test
digit** by up to 3 pixels in a random direction (the background fills in). An MLP has to learn each
position separately; LeNet-5's shared weights and pooling make it largely insensitive to small shifts.
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
mlp_recipe = RECIPES["mlp"]
mlp = make_model("mlp", seed=mlp_recipe.seed)
mlp_epochs = pick(full=mlp_recipe.epochs, quick=1)
mlp_opt = make_optimizer(mlp_recipe.optimizer, mlp.parameters(), mlp_recipe.lr, mlp_recipe.momentum,
                         mlp_recipe.weight_decay)
mlp_loader = DataLoader(data.x_train, data.y_train, mlp_recipe.batch_size, shuffle=True, seed=mlp_recipe.seed)
mlp_train = (ShiftAugment(mlp_loader, mlp_recipe.augment_shift, seed=mlp_recipe.seed + 1)
             if mlp_recipe.augment_shift else mlp_loader)
mlp_history = fit(mlp, criterion, mlp_opt, mlp_train, mlp_epochs, val_loader=(x_test, y_test),
                  scheduler=make_scheduler(mlp_recipe.scheduler, mlp_opt, mlp_epochs),
                  restore_best=False, progress=not QUICK)
mlp_ev = evaluate(mlp, (x_test, y_test), criterion)
print(f"MLP test accuracy: {100 * mlp_ev.accuracy:.2f}%")
"""),
    code(r"""
# NBVAL_IGNORE_OUTPUT
shifted = random_shift(x_test, 3, rng=123)
rows = []
for name, net, h, ev_ in [("MLP 784-256-128-10", mlp, mlp_history, mlp_ev), ("LeNet-5", model, history, ev)]:
    params = sum(p.data.size for p in net.parameters())
    acc_shift = evaluate(net, (shifted, y_test)).accuracy
    rows.append((name, params, 100 * ev_.accuracy, 100 * acc_shift, np.mean(h.seconds), h.epochs))
print(f"{'model':20s} {'parameters':>11s} {'test acc':>9s} {'shifted ±3 px':>14s} {'s / epoch':>10s} {'epochs':>7s}")
for name, params, acc, acc_s, sec, ep in rows:
    print(f"{name:20s} {params:11,d} {acc:8.2f}% {acc_s:13.2f}% {sec:10.1f} {ep:7d}")

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for name, h in [("MLP", mlp_history), ("LeNet-5", history)]:
    axes[0].plot(np.arange(1, h.epochs + 1), 100 * np.array(h.val_acc), "o-", label=name)
    axes[1].plot(np.arange(1, h.epochs + 1), h.train_loss, "o-", label=name)
axes[0].set(xlabel="epoch", ylabel="test accuracy (%)", title="test accuracy per epoch")
axes[1].set(xlabel="epoch", ylabel="training loss", yscale="log", title="training loss per epoch")
for ax in axes:
    ax.grid(alpha=0.3)
    ax.legend()
plot_image_grid(shifted[:8], [f"{y}" for y in y_test[:8]], ncols=8, title="test digits shifted by up to 3 pixels");
"""),
    md(r"""
LeNet-5 has about a quarter of the MLP's parameters yet makes fewer mistakes, because its structure
builds in what we know about images: nearby pixels belong together (local receptive fields), a stroke
is a stroke wherever it appears (shared weights), and its exact position matters little (pooling).
The shifted test makes the last point visible: the MLP's accuracy drops far more. The price is
computation: a LeNet-5 epoch takes two to five times as long as an MLP epoch (the table shows this
machine's figures), because every convolution touches every position of every map.

## Summary

* LeNet-5: C1 (156 parameters) → S2 → C3 (2,416) → S4 → C5 (48,120) → F6 (10,164) → output (850),
  61,706 parameters; the feature maps shrink 28 → 14 → 10 → 5 → 1.
* Ours differs from the paper in activation (ReLU), pooling (max), C3 connectivity (full), output
  (softmax cross-entropy) and training (Adam, mini-batches, cosine schedule).
* Trained with the default recipe in NumPy it reaches about 99% test accuracy on MNIST in 10 epochs.
* C1 learns edge detectors, deeper layers respond to parts; convolution makes the model smaller,
  more accurate and more robust to shifts than an MLP, at a higher cost per example.

## Exercises

**Exercise 1 — counting parameters.** Write `conv2d_param_count(c_in, c_out, k, bias=True)`, the number
of parameters of a `Conv2d(c_in, c_out, k, bias=bias)`. The check compares with real layers (LeNet-5's
C1, C3, C5 and others).
"""),
    code(r"""
def conv2d_param_count(c_in, c_out, k, bias=True):
    ### BEGIN SOLUTION
    return c_out * (c_in * k * k + (1 if bias else 0))
    ### END SOLUTION
"""),
    code(r"""
from nnedu.exercises.cnn import check_conv2d_param_count, check_receptive_field
check_conv2d_param_count(conv2d_param_count);
"""),
    md(r"""
**Exercise 2 — receptive fields.** One unit of a layer depends on a patch of the input: its
*receptive field*. For a stack of windows given as `(kernel, stride)` pairs (convolutions and pooling
alike), start with $r = 1$ pixel and a *jump* $j = 1$ (how many input pixels lie between neighbouring
units); each layer adds $(k - 1)\,j$ to $r$ and multiplies $j$ by $s$. Write `receptive_field(layers)`.
The check compares your number with a **measurement**: it back-propagates from one output unit
through real `Conv2d` layers and counts the input pixels that receive a nonzero gradient.
How many pixels does one C5 unit see, and what does that say about C5?
"""),
    code(r"""
def receptive_field(layers):
    ### BEGIN SOLUTION
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r
    ### END SOLUTION
"""),
    code(r"""
check_receptive_field(receptive_field);
"""),
    md(r"""
(Answer: `receptive_field([(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)])` is 32 pixels, the whole padded
32×32 input. Every C5 unit sees the entire digit, which is why C5 is a fully connected layer in
disguise.)

**Exercise 3 — the classic variant.** Train `LeNet5(variant="classic")` (tanh, average pooling) with
the same recipe for 3 epochs and compare with the modern variant. Which learns faster, and why might
ReLU and max pooling help?

**Exercise 4 — shifts during training.** Set `recipe = RECIPES["mlp"].replace(augment_shift=2)` and
retrain the MLP: random shifts of the *training* images. How much of LeNet-5's advantage on shifted
digits can data augmentation buy back for the MLP?
"""),
]


def sync_sources(name: str, cells: list[nbformat.NotebookNode]) -> None:
    """Update an executed notebook's markdown and trailing ``plt.show()`` lines, keeping its outputs.

    Only changes that cannot alter any output are accepted: markdown text, and a code cell that
    gains a final ``plt.show()`` (which displays exactly the figures the end of the cell would).
    Anything else needs a real re-execution, and this refuses.
    """
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    cells = end_plots(cells)
    if [c.cell_type for c in nb.cells] != [c.cell_type for c in cells]:
        raise SystemExit(f"{name}: the cell structure changed; rebuild and re-execute instead")
    for i, (old, new) in enumerate(zip(nb.cells, cells)):
        if old.source == new.source:
            continue
        if old.cell_type == "code" and new.source != old.source.rstrip() + "\nplt.show()":
            raise SystemExit(f"{name}, cell {i}: code changed beyond a trailing plt.show(); re-execute instead")
        old.source = new.source
    nbformat.write(nb, path)
    print(f"synced sources of {path.relative_to(ROOT)} (outputs kept)")


if __name__ == "__main__":
    keep = "--keep-outputs" in sys.argv
    wanted = [a for a in sys.argv[1:] if a != "--keep-outputs"] or ["06", "07", "08"]
    builders = {"06": ("06_optimizers_schedulers.ipynb", lambda: NB06),
                "07": ("07_mlp_mnist.ipynb", lambda: NB07),
                "08": ("08_lenet5_mnist.ipynb", lambda: NB08)}
    for key in wanted:
        name, cells = builders[key]
        if keep:
            sync_sources(name, cells())
        else:
            write(name, cells())
