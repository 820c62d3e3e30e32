"""End to end: the widget notebooks in a real JupyterLab, driven by a real (headless) Chromium.

What a student does, automated: open every notebook with a widget cell (02, 03,
05, 06, 07, 09) *as stored*, before running anything, and see a picture (not
``VBox(children=...)`` or ``interactive(children=...)``) in every widget cell;
then run all cells of 06, see no errors and no "Error displaying widget", move
the learning-rate slider of the optimizer playground with the keyboard and see
the plot change; run 05 and see its pooling figure (an ``InteractiveFigure``)
follow its slider, in place. Screenshots go to a folder printed at the start of
the test (``NNEDU_SCREENSHOT_DIR`` overrides it).

Needs Debian's ``chromium`` package (``/usr/bin/chromium``, installed by
``.ci/run``; never a Playwright browser download). Without it the test skips
and says so loudly. ``NNEDU_CHROMIUM`` points to another Chromium binary.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, require_chromium, unused_port

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "06_optimizers_schedulers.ipynb"
#: Every notebook with a widget cell, and how many nnedu widget cells it has.
WIDGET_CELLS = {"02_softmax_cross_entropy.ipynb": 1, "03_batchnorm.ipynb": 1, "05_pooling_padding.ipynb": 1,
                "06_optimizers_schedulers.ipynb": 2, "07_mlp_mnist.ipynb": 1, "09_initialisation.ipynb": 1}
WIDGET_NOTEBOOKS = tuple(WIDGET_CELLS)
#: How an nnedu widget is made in a cell.
NNEDU_WIDGET = re.compile(r"(OptimizerPlayground|SchedulerExplorer|TrainingDashboard|SoftmaxExplorer|"
                          r"InteractiveFigure)\(")

# every wait below is bounded; together they stay well under three minutes
SERVER_START_S = 60
KERNEL_READY_MS = 60_000
RUN_ALL_MS = 90_000
PLOT_CHANGE_MS = 30_000


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def screenshot_dir() -> Path:
    base = os.environ.get("NNEDU_SCREENSHOT_DIR")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path(base) if base else Path(tempfile.gettempdir()) / f"nnedu-browser-{stamp}"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving temporary copies of the widget notebooks, in quick mode."""
    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    work.mkdir()
    for name in WIDGET_NOTEBOOKS:
        shutil.copy(REPO / "notebooks" / name, work / name)
    port, token = unused_port(), uuid.uuid4().hex
    env = dict(os.environ, NNEDU_QUICK="1",
               JUPYTER_CONFIG_DIR=str(root / "config"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"))
    env.pop("MPLBACKEND", None)
    # render every cell (no virtual scrolling), so that every output is in the page to be checked
    tracker = root / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    log = root / "jupyterlab.log"
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", "--allow-root", f"--ServerApp.root_dir={work}",
           "--ServerApp.port_retries=0",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=work)
    try:
        _wait_for_server(f"http://127.0.0.1:{port}/api/status?token={token}", proc, log)
        yield dict(url=f"http://127.0.0.1:{port}", token=token, root=work, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# JavaScript run in the page: JupyterLab's own objects (exposed by expose_app_in_browser)
JS_KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && w.sessionContext.isReady;
}"""
JS_MODEL_ERRORS = """() => {
  const errors = [];
  for (const cell of window.jupyterapp.shell.currentWidget.content.model.cells) {
    if (cell.type !== 'code') continue;
    for (let i = 0; i < cell.outputs.length; i++) {
      const out = cell.outputs.get(i).toJSON();
      if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
    }
  }
  return errors;
}"""
JS_NO_OUTPUTS = """() => {
  const cells = [...window.jupyterapp.shell.currentWidget.content.model.cells].filter(c => c.type === 'code');
  return cells.length > 0 && cells.every(c => c.outputs.length === 0 && !c.executionCount);
}"""
JS_WIDGET_CELLS = """() => {
  // every cell with a widget output: what it shows (text) and how many images
  const WIDGET = 'application/vnd.jupyter.widget-view+json';
  const found = [];
  const cells = window.jupyterapp.shell.currentWidget.content.widgets;
  for (let index = 0; index < cells.length; index++) {
    const cell = cells[index];
    if (cell.model.type !== 'code') continue;
    const outs = [];
    for (let i = 0; i < cell.model.outputs.length; i++) outs.push(cell.model.outputs.get(i).toJSON());
    if (!outs.some(o => o.data && o.data[WIDGET])) continue;
    const area = cell.node.querySelector('.jp-OutputArea');
    found.push({index, source: cell.model.sharedModel.getSource(),
                text: area ? area.innerText : '',
                images: area ? area.querySelectorAll('img').length : 0,
                rendered: !!area && area.querySelectorAll('.jp-OutputArea-output').length >= outs.length});
  }
  return found;
}"""
JS_PLAYGROUND_IMG = """() => {
  const cell = [...document.querySelectorAll('.jp-Cell')].find(c => c.querySelector('.nnedu-playground'));
  const img = cell && cell.querySelector('.jp-OutputArea-output img');
  return img ? img.getAttribute('src') : null;
}"""
JS_ALL_CELLS_RAN = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!k || k.status !== 'idle') return false;
  const cells = [...w.content.model.cells].filter(c => c.type === 'code');
  return cells.length > 0 && cells.every(c => c.executionCount > 0);
}"""


@contextlib.contextmanager
def lab_page(jupyterlab: dict, notebook: str) -> Iterator[Any]:
    """A headless Chromium page with ``notebook`` open in the test's JupyterLab (a fresh workspace: ``?reset``).

    Yields once the notebook's cells are in the page and it is JupyterLab's current document.
    """
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="nnedu-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{jupyterlab['url']}/lab/tree/{notebook}?reset&token={jupyterlab['token']}",
                      wait_until="domcontentloaded", timeout=60_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function(f"() => window.jupyterapp.shell.currentWidget && "
                                   f"window.jupyterapp.shell.currentWidget.context.path === {notebook!r}",
                                   timeout=60_000, polling=250)
            yield page
        finally:
            context.close()


def test_notebook06_in_jupyterlab(jupyterlab, screenshot_dir, capsys):
    require_chromium("BROWSER TEST", "JupyterLab + widgets were NOT tested in a browser.")
    with capsys.disabled():
        print(f"\n[test_browser] screenshots in {screenshot_dir}")
    with lab_page(jupyterlab, NOTEBOOK) as page:
        try:
            page.wait_for_function(JS_KERNEL_IDLE, timeout=KERNEL_READY_MS, polling=500)
            mode = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.notebookConfig.windowingMode")
            assert mode == "none", f"every cell must be rendered to be checked; windowingMode is {mode!r}"
            no_news = page.get_by_role("button", name="No", exact=True)
            if no_news.count():  # the "notified about official Jupyter news?" toast
                no_news.first.click()
            page.screenshot(path=str(screenshot_dir / "01_opened.png"))

            # the stored notebook shows the outputs of a full run: clear them, so that every prompt and
            # output checked below comes from this run (Edit > Clear Outputs of All Cells)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
            page.wait_for_function(JS_NO_OUTPUTS, timeout=30_000, polling=250)
            # Run > Run All Cells, through JupyterLab's command registry (what the menu item calls)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(JS_ALL_CELLS_RAN, timeout=RUN_ALL_MS, polling=1000)
            page.screenshot(path=str(screenshot_dir / "02_ran_all.png"), full_page=True)

            model_errors = page.evaluate(JS_MODEL_ERRORS)
            assert model_errors == [], f"cells raised errors: {model_errors}"
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
            assert errors.count() == 0, "a cell raised an error:\n" + "\n---\n".join(errors.all_inner_texts())
            body = page.inner_text("body")
            assert "Error displaying widget" not in body, "a widget failed to render in JupyterLab"
            # the playground and the scheduler explorer rendered, with their plots (ordinary image outputs
            # of the same cell, below the controls)
            assert page.locator(".jp-Cell:has(.nnedu-playground) .jp-OutputArea-output img").count() >= 1
            assert page.locator(".jp-Cell:has(.nnedu-explorer) .jp-OutputArea-output img").count() >= 1
            explorer = page.locator(".jp-Cell:has(.nnedu-explorer) .jp-OutputArea-output img").first
            explorer.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot_dir / "03_scheduler_explorer.png"))

            slider = page.locator(".nnedu-lr-slider").first
            slider.wait_for(state="attached", timeout=30_000)
            slider.scroll_into_view_if_needed()
            plot = page.locator(".jp-Cell:has(.nnedu-playground) .jp-OutputArea-output img").first
            plot.wait_for(state="visible", timeout=30_000)
            readout_before = slider.locator(".widget-readout").inner_text()
            src_before = plot.get_attribute("src")
            assert src_before and src_before.startswith("data:image/png"), src_before
            page.screenshot(path=str(screenshot_dir / "04_playground_before.png"))

            handle = slider.locator(".noUi-handle").first
            handle.focus()
            for _ in range(4):
                handle.press("ArrowRight")
            page.wait_for_function(f"() => ({JS_PLAYGROUND_IMG})() !== {src_before!r}",
                                   timeout=PLOT_CHANGE_MS, polling=250)
            # let every queued slider change finish redrawing before the last look
            page.wait_for_function(JS_KERNEL_IDLE, timeout=PLOT_CHANGE_MS, polling=500)
            page.wait_for_timeout(500)
            slider.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot_dir / "05_playground_after.png"))
            readout_after = slider.locator(".widget-readout").inner_text()
            assert readout_after != readout_before, (readout_before, readout_after)
            src_after = page.evaluate(JS_PLAYGROUND_IMG)
            assert src_after != src_before
            assert "Error displaying widget" not in page.inner_text("body")
        except Exception:
            try:
                page.screenshot(path=str(screenshot_dir / "99_failure.png"), full_page=True)
            finally:
                with capsys.disabled():
                    print(f"[test_browser] JupyterLab log: {jupyterlab['log']}\n"
                          + jupyterlab["log"].read_text()[-2000:])
            raise


@pytest.mark.parametrize("notebook", WIDGET_NOTEBOOKS)
def test_widget_cells_show_a_picture_before_they_run(jupyterlab, screenshot_dir, notebook):
    """Opened as stored (fresh copy, untrusted, nothing run): each widget cell shows its hint and figure."""
    require_chromium("BROWSER TEST", "JupyterLab + widgets were NOT tested in a browser.")
    with lab_page(jupyterlab, notebook) as page:
        page.wait_for_function(f"() => {{ const c = ({JS_WIDGET_CELLS})(); "
                               "return c.length > 0 && c.every(x => x.rendered); }",
                               timeout=60_000, polling=500)
        page.wait_for_timeout(1000)                 # let the widget manager try what it will
        cells = page.evaluate(JS_WIDGET_CELLS)
        stem = notebook.split("_")[0]
        for i, cell in enumerate(cells):
            page.evaluate("i => window.jupyterapp.shell.currentWidget.content.widgets[i].node.scrollIntoView()",
                          cell["index"])
            page.screenshot(path=str(screenshot_dir / f"10_{stem}_stored_widget_{i}.png"))
        for cell in cells:                          # every cell with a widget output (progress bars too)
            assert not re.search(r"\b(VBox|HBox|interactive)\(", cell["text"]), (
                f"a widget cell of {notebook} shows a raw widget repr before it runs: {cell}")
            assert "Error displaying widget" not in cell["text"], cell
        ours = [c for c in cells if NNEDU_WIDGET.search(c["source"])]
        expected = WIDGET_CELLS[notebook]
        assert len(ours) == expected, f"expected {expected} nnedu widget cells in {notebook}, found {cells}"
        for cell in ours:
            assert cell["images"] >= 1, f"a widget cell of {notebook} shows no picture before it runs: {cell}"
            assert "run this cell" in cell["text"], f"no hint to run the cell: {cell}"


JS_FIGURE_CELL = """() => {
  // the InteractiveFigure's cell: its pictures (the stored one is replaced in place, never added to)
  const cell = [...document.querySelectorAll('.jp-Cell')].find(c => c.querySelector('.nnedu-interactive-figure'));
  if (!cell) return null;
  const imgs = [...cell.querySelectorAll('.jp-OutputArea-output img')];
  return {images: imgs.length, src: imgs.length ? imgs[0].getAttribute('src') : null,
          text: cell.querySelector('.jp-OutputArea').innerText};
}"""


def test_interactive_figure_follows_its_slider_in_jupyterlab(jupyterlab, screenshot_dir):
    """Notebook 05 run in JupyterLab: the pooling figure is one picture, and moving a slider redraws it in place."""
    require_chromium("BROWSER TEST", "JupyterLab + widgets were NOT tested in a browser.")
    notebook = "05_pooling_padding.ipynb"
    with lab_page(jupyterlab, notebook) as page:
        page.wait_for_function(JS_KERNEL_IDLE, timeout=KERNEL_READY_MS, polling=500)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.wait_for_function(JS_NO_OUTPUTS, timeout=30_000, polling=250)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(JS_ALL_CELLS_RAN, timeout=RUN_ALL_MS, polling=1000)
        assert page.evaluate(JS_MODEL_ERRORS) == []
        page.wait_for_function(f"() => {{ const c = ({JS_FIGURE_CELL})(); return c && c.images > 0; }}",
                               timeout=30_000, polling=250)
        before = page.evaluate(JS_FIGURE_CELL)
        # one picture: the drawing's pyplot figure is closed, so the inline backend does not show it again
        assert before["images"] == 1, before
        assert before["src"].startswith("data:image/png"), before["src"][:40]
        slider = page.locator(".nnedu-interactive-figure .widget-slider").first
        slider.scroll_into_view_if_needed()
        readout = slider.locator(".widget-readout").inner_text()
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        page.wait_for_function(f"() => ({JS_FIGURE_CELL})().src !== {before['src']!r}",
                               timeout=PLOT_CHANGE_MS, polling=250)
        page.wait_for_function(JS_KERNEL_IDLE, timeout=PLOT_CHANGE_MS, polling=500)
        after = page.evaluate(JS_FIGURE_CELL)
        page.screenshot(path=str(screenshot_dir / "20_05_interactive_figure_after.png"))
        assert slider.locator(".widget-readout").inner_text() != readout
        assert after["images"] == 1 and after["src"].startswith("data:image/png"), after
        assert "Could not draw" not in after["text"], after["text"]
