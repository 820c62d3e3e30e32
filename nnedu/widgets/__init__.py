"""Interactive widgets for the notebooks (ipywidgets 8): the optimizer playground, the scheduler
explorer, the training dashboard, and sliders for a notebook's own figures.

Each widget is a thin layer over plain functions that tests call directly:

- :class:`OptimizerPlayground`: :func:`compute_trajectory`, :func:`compute_trajectories`,
  :func:`draw_runs`; keeps ``current``, ``comparison`` and ``png``.
- :class:`SchedulerExplorer`: :func:`scheduler_lrs`, :func:`draw_schedules`; keeps ``lrs``,
  ``kept`` and ``png``.
- :class:`TrainingDashboard`: :func:`train_run`, :func:`draw_dashboard`; keeps ``runs`` and ``png``.
- :class:`InteractiveFigure`: a notebook's own ``draw(**values)`` function returning a figure, with
  its sliders (what ``ipywidgets.interact`` does, but stored with its picture); keeps ``kwargs`` and ``png``.

Sliders use ``continuous_update=False`` (or a button), so dragging starts one
computation, not dozens. The widgets' own figures are rendered to PNG without
pyplot, so they look the same in JupyterLab, under nbconvert and in tests (an
:class:`InteractiveFigure` renders whatever figure its ``draw`` returns, and
closes it if pyplot made it). Every figure is shown as an
ordinary image output below the controls that each redraw replaces in place:
a stored notebook shows the picture before anything runs (see
:mod:`nnedu.widgets._render`).
"""
from nnedu.widgets.playground import (OPTIMIZER_NAMES, OptimizerPlayground, Run, RunSettings,
                                      compute_trajectories, compute_trajectory, draw_runs, optimizer_spec)
from nnedu.widgets.schedules import SCHEDULER_KINDS, SchedulerExplorer, draw_schedules, scheduler_lrs
from nnedu.widgets.dashboard import DashboardRun, TrainingDashboard, draw_dashboard, train_run
from nnedu.widgets.interactive_figure import InteractiveFigure

__all__ = [
    "OPTIMIZER_NAMES", "OptimizerPlayground", "Run", "RunSettings", "compute_trajectories", "compute_trajectory",
    "draw_runs", "optimizer_spec",
    "SCHEDULER_KINDS", "SchedulerExplorer", "draw_schedules", "scheduler_lrs",
    "DashboardRun", "TrainingDashboard", "draw_dashboard", "train_run",
    "InteractiveFigure",
]
