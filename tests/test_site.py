"""The course website (``site/``): built from the executed notebooks, checked offline in a real browser.

A quick subset of the site is built in a temporary folder: the README, two
lessons (01: maths, figures, exercises; 06: ipywidgets) and every other page
(the API reference, the CLI page, results, data). Then:

- every generated HTML file is checked for resources (scripts, styles, fonts,
  images, frames) loaded from outside the site;
- the site is served on 127.0.0.1 and every page is opened in headless
  Chromium with every request outside 127.0.0.1 blocked: no request may be
  blocked or fail, no console error, every formula rendered by MathJax (no raw
  ``$$``, ``\\(`` or ``\\[`` left, no MathJax error marks), every image loaded,
  widgets shown as a still image with a note, never as ``VBox(children=...)``;
  "next" goes from one lesson to the next; the built-in search finds a lesson.

Screenshots go to a folder printed at the start (``NNEDU_SCREENSHOT_DIR``
overrides it). Needs Debian's ``chromium`` (``/usr/bin/chromium``, installed by
``.ci/run``; never a Playwright browser download); without it the browser test
skips loudly. ``NNEDU_CHROMIUM`` points to another Chromium binary.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from helpers import CHROMIUM, CHROMIUM_ARGS, require_chromium

REPO = Path(__file__).resolve().parents[1]
QUICK_LESSONS = ("01_linear_relu.ipynb", "06_optimizers_schedulers.ipynb")
# NNEDU_SITE_ALL_LESSONS=1 checks the whole course instead of the quick subset (a few minutes)
ALL_LESSONS = bool(os.environ.get("NNEDU_SITE_ALL_LESSONS"))
LESSONS = (tuple(sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))) if ALL_LESSONS
           else QUICK_LESSONS)
BUILD_TIMEOUT_S = 300
PAGE_TIMEOUT_MS = 30_000

# tags whose src/href the browser loads by itself (an <a href> is only followed when clicked)
_RESOURCE = re.compile(
    r"<(script|link|img|iframe|source|video|audio|embed|object|image|use)\b[^>]*?"
    r"\b(src|href|data|xlink:href|srcset)\s*=\s*[\"']\s*((?:https?:)?//[^\"']*)", re.I)
_CSS_URL = re.compile(r"url\(\s*[\"']?\s*((?:https?:)?//[^)\"']*)", re.I)
_CSS_IMPORT = re.compile(r"@import\s+[\"']((?:https?:)?//[^\"']*)", re.I)


def external_resources(html: str) -> list[str]:
    """URLs outside the site that a page would load: ``<script src>``, ``<link href>``, ``<img src>``, CSS ``url()``."""
    found = [m.group(3) for m in _RESOURCE.finditer(html)]
    return found + [m.group(1) for m in _CSS_URL.finditer(html)] + [m.group(1) for m in _CSS_IMPORT.finditer(html)]


def test_external_resource_detector():
    page = ('<script src="https://cdn.example.org/x.js"></script><link rel="stylesheet" href="//fonts.example/c.css">'
            '<img alt="" src="_images/a.png"><a href="https://example.org/">a link is fine</a>'
            '<style>@font-face{src:url("https://fonts.example/f.woff2")}</style>'
            '<script src="_static/mathjax/tex-chtml.js"></script>')
    assert external_resources(page) == ["https://cdn.example.org/x.js", "//fonts.example/c.css",
                                        "https://fonts.example/f.woff2"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built from a small copy of the repository: README, site/, and the lessons in LESSONS."""
    root = tmp_path_factory.mktemp("site")
    repo = root / "repo"
    shutil.copytree(REPO / "site", repo / "site",
                    ignore=shutil.ignore_patterns("lessons", "_readme", "reference", "_build", "__pycache__"))
    shutil.copy(REPO / "README.md", repo / "README.md")
    (repo / "notebooks").mkdir()
    for name in LESSONS:
        shutil.copy(REPO / "notebooks" / name, repo / "notebooks" / name)
        paired = (REPO / "notebooks" / name).with_suffix(".md")
        if paired.exists():  # the jupytext text source lies beside it; the site must ignore it
            shutil.copy(paired, repo / "notebooks" / paired.name)
    out = root / "html"
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "1", str(repo / "site"), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, cwd=repo)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    (out / "sphinx-warnings.txt").write_text(proc.stderr)
    return out


def test_site_builds_without_warnings(site):
    """A warning is a page or docstring that renders wrong (e.g. a numpydoc section Sphinx cannot parse)."""
    warned = (site / "sphinx-warnings.txt").read_text().strip()
    assert warned == "", f"sphinx-build warned (fix the page or docstring named):\n{warned}"


def test_site_has_every_page_and_no_external_resources(site):
    pages = sorted(site.rglob("*.html"))
    assert (site / "sphinx-warnings.txt").exists()
    names = {p.relative_to(site).as_posix() for p in pages}
    lessons = {f"lessons/{Path(n).stem}.html" for n in LESSONS}
    assert {"index.html", "course.html", "api.html", "cli.html", "results.html", "data.html",
            "search.html"} | lessons <= names, names
    assert any(n.startswith("reference/nnedu.nn.linear") for n in names), "API reference of nnedu.nn.linear"
    assert {n for n in names if n.startswith("lessons/")} == lessons, "exactly the lessons given, no page per .md"
    problems = {p.relative_to(site).as_posix(): external_resources(p.read_text(encoding="utf-8"))
                for p in pages}
    for css in site.rglob("*.css"):
        problems[css.relative_to(site).as_posix()] = external_resources(css.read_text(encoding="utf-8"))
    problems = {k: v for k, v in problems.items() if v}
    assert problems == {}, f"resources loaded from outside the site: {problems}"
    # the search index knows the lessons, the API and the README's results
    index = (site / "searchindex.js").read_text(encoding="utf-8")
    assert "01_linear_relu" in index and "nnedu.nn.linear" in index and "results" in index


def test_lesson_pages_are_static_and_complete(site):
    """Widgets become a note and a still image; solutions are hidden; test markers are gone."""
    html = (site / "lessons" / "06_optimizers_schedulers.html").read_text(encoding="utf-8")
    assert "VBox(children" not in html and "HBox(children" not in html
    assert "widget-view+json" not in html and "widget-state+json" not in html
    notes = [m.start() for m in re.finditer(r'class="nnedu-widget-note"', html)]
    assert len(notes) >= 2, "the optimizer playground and the scheduler explorer each get a note"
    for at in notes:  # the outputs of each widget's cell hold the note and a still image of the widget's figure
        outputs = html[html.rfind('class="cell_output', 0, at):html.find('<div class="cell docutils', at)]
        assert re.search(r'<img [^>]*src="\.\./_images/[^"]+\.png"', outputs), outputs[:600]
    lesson01 = (site / "lessons" / "01_linear_relu.html").read_text(encoding="utf-8")
    assert "NotImplementedError" in lesson01, "exercise cells show the student's stub"
    assert "BEGIN SOLUTION" not in lesson01 and "NBVAL_IGNORE_OUTPUT" not in lesson01
    assert lesson01.count("<img ") >= 3, "the lesson's stored figures"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="lessons/01_linear_relu.html"' in index, "the README's lesson table links to the lesson pages"
    results = (site / "results.html").read_text(encoding="utf-8")
    assert "LeNet-5" in results and "PyTorch" in results, "the README's results"


@pytest.fixture(scope="module")
def server(site):
    """The built site served on 127.0.0.1 by the standard library's HTTP server, in a thread."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def screenshot_dir() -> Path:
    base = os.environ.get("NNEDU_SCREENSHOT_DIR")
    path = Path(base) if base else Path(tempfile.gettempdir()) / f"nnedu-site-{time.strftime('%Y%m%d-%H%M%S')}"
    path.mkdir(parents=True, exist_ok=True)
    return path


# JavaScript run in each page once it has loaded
JS_MATHJAX_DONE = """async () => {
  if (!window.MathJax) return 'no MathJax';
  if (MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await document.fonts.ready;
  return 'typeset';
}"""
JS_PAGE_FACTS = r"""() => {
  const clone = document.body.cloneNode(true);  // the article and the navigation (lesson titles have maths)
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
  const text = clone.textContent;
  const raw = [];
  for (const mark of ['$$', '\\(', '\\)', '\\[', '\\]', '\\begin{', '\\frac']) if (text.includes(mark)) raw.push(mark);
  const dollar = text.match(/\$[^$\n]{1,80}\$/);
  if (dollar) raw.push(dollar[0]);
  const maths = [...document.querySelectorAll('.math')];
  return {
    raw: raw,
    maths: maths.length,
    unrendered: maths.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
    mathErrors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
    images: document.images.length,
    brokenImages: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 120)),
    widgetText: /([VH]Box|interactive)\(children=/.test(document.body.innerText),
    title: document.title,
  };
}"""


JS_MATHS_AND_FIGURE = """() => {
  // the first figure with a formula (displayed or inline) at most 1400 px above its bottom: from there down
  const y = e => e.getBoundingClientRect().top + window.scrollY;
  const maths = [...document.querySelectorAll('article .math')];
  for (const img of document.querySelectorAll('article img')) {
    const bottom = y(img) + img.getBoundingClientRect().height + 20;
    const above = maths.filter(m => y(m) < y(img) && bottom - y(m) + 60 <= 1400);
    if (above.length) return {x: 0, y: y(above[0]) - 60, width: window.innerWidth, height: bottom - y(above[0]) + 60};
  }
  return null;
}"""


def test_site_in_chromium_offline(site, server, screenshot_dir, capsys):
    require_chromium("SITE BROWSER TEST", "The course website was NOT checked in a browser.")
    from playwright.sync_api import sync_playwright

    with capsys.disabled():
        print(f"\n[test_site] screenshots in {screenshot_dir}")
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    blocked, failed, bad_status, console_errors = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="nnedu-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900})
        page = context.pages[0] if context.pages else context.new_page()
        try:
            def only_local(route):
                if urlparse(route.request.url).hostname == "127.0.0.1":
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()

            context.route("**/*", only_local)
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            current = {"page": ""}
            page.on("requestfailed", lambda r: failed.append((current["page"], r.url, r.failure)))
            page.on("response", lambda r: r.status >= 400 and bad_status.append((current["page"], r.url, r.status)))
            page.on("console", lambda m: m.type == "error" and console_errors.append((current["page"], m.text)))
            page.on("pageerror", lambda e: console_errors.append((current["page"], str(e))))

            facts = {}
            for name in pages:
                current["page"] = name
                page.goto(f"{server}/{name}", wait_until="load")
                assert page.evaluate(JS_MATHJAX_DONE) in ("typeset", "no MathJax")
                facts[name] = f = page.evaluate(JS_PAGE_FACTS)
                assert f["raw"] == [], f"{name}: maths left as raw TeX: {f['raw']}"
                assert f["unrendered"] == [], f"{name}: formulas MathJax did not render: {f['unrendered']}"
                assert f["mathErrors"] == 0, f"{name}: {f['mathErrors']} MathJax error marks"
                assert f["brokenImages"] == [], f"{name}: images that did not load: {f['brokenImages']}"
                assert not f["widgetText"], (f"{name}: a widget's text repr (VBox(children=...), "
                                             "interactive(children=...)) is shown")
            assert blocked == [], f"requests to outside the site: {blocked}"
            assert failed == [], f"failed requests: {failed}"
            assert bad_status == [], f"HTTP errors: {bad_status}"
            assert console_errors == [], f"console errors: {console_errors}"
            lesson01, lesson06 = (f"lessons/{Path(n).stem}.html" for n in QUICK_LESSONS)
            assert facts[lesson01]["maths"] >= 20 and facts[lesson01]["images"] >= 3, facts[lesson01]
            assert facts[lesson06]["images"] >= 3, facts[lesson06]

            # a lesson page with maths and a figure, as a student sees it
            current["page"] = "screenshots, next/previous and search"
            page.goto(f"{server}/{lesson01}", wait_until="load")
            page.evaluate(JS_MATHJAX_DONE)
            page.screenshot(path=str(screenshot_dir / "site-screenshot-lesson-top.png"))
            region = page.evaluate(JS_MATHS_AND_FIGURE)
            assert region, "lesson 01 has no figure close below a formula"
            page.screenshot(path=str(screenshot_dir / "site-screenshot-lesson-figure.png"), full_page=True, clip=region)

            # "next" at the bottom of lesson 01 leads to the next lesson (06 in the quick subset)
            following = f"lessons/{Path(LESSONS[LESSONS.index(QUICK_LESSONS[0]) + 1]).stem}.html"
            page.locator("a.next-page").click()
            page.wait_for_url(f"{server}/{following}")
            assert page.locator("article h1").first.inner_text().startswith(Path(following).stem[:2])
            page.locator("a.prev-page").click()  # and "previous" leads back
            page.wait_for_url(f"{server}/{lesson01}")

            # a widget on the static site: the note and the still image of its figure
            page.goto(f"{server}/{lesson06}", wait_until="load")
            page.evaluate(JS_MATHJAX_DONE)
            page.locator(".nnedu-widget-note").first.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot_dir / "site-screenshot-widget.png"))

            # Sphinx's built-in search works offline
            page.goto(f"{server}/search.html?q=backward", wait_until="load")
            results = page.locator("#search-results li a")
            results.first.wait_for(timeout=PAGE_TIMEOUT_MS)
            hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
            assert any("lessons/01_linear_relu" in h for h in hrefs), hrefs
            page.screenshot(path=str(screenshot_dir / "site-screenshot-search.png"))
            assert blocked == [] and failed == [] and bad_status == [] and console_errors == [], (
                blocked, failed, bad_status, console_errors)
        except Exception:
            page.screenshot(path=str(screenshot_dir / "site-failure.png"), full_page=True)
            raise
        finally:
            context.close()


# --------------------------------------------------------------------------- the site's notebook hook, unit by unit

def _site_ext():
    sys.path.insert(0, str(REPO / "site" / "_ext"))
    try:
        import nnedu_site
    finally:
        sys.path.pop(0)
    return nnedu_site


def _widget_notebook(outputs, state):
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nplayground = Playground()\nplayground",
                                          outputs=outputs)]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state, "version_major": 2}}
    return nb


def _view(model_id, **extra):
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {"application/vnd.jupyter.widget-view+json": {"model_id": model_id, "version_major": 2},
                     "text/plain": "VBox(children=(HBox(children=(FloatSlider(value=0.1),)),))", **extra}}


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
STATE = {
    "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_out"]}},
    "slider": {"model_name": "FloatSliderModel", "state": {"value": 0.1}},
    "out": {"model_name": "OutputModel", "state": {"outputs": [
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": PNG, "text/plain": "<Image>"}}]}},
    "bar": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_l", "IPY_MODEL_p", "IPY_MODEL_r"]}},
    "l": {"model_name": "HTMLModel", "state": {"value": "epoch\u20073/3:\u2007100%"}},
    "p": {"model_name": "FloatProgressModel", "state": {"value": 50.0, "max": 50.0}},
    "r": {"model_name": "HTMLModel", "state": {"value": "\u200750/50\u2007[00:01&lt;00:00]"}},
}


def _kinds(outputs):
    return [("note" if "nnedu-widget-note" in o.get("data", {}).get("text/html", "") else
             "image" if "image/png" in o.get("data", {}) else o["output_type"]) for o in outputs]


def test_widget_without_still_image_shows_the_figure_saved_in_its_state():
    ext = _site_ext()
    nb = ext.site_notebook(_widget_notebook([_view("box")], STATE), show_solutions=True)
    cell = nb.cells[0]
    assert _kinds(cell.outputs) == ["note", "image"]
    assert cell.outputs[1]["data"]["image/png"] == PNG
    assert "still image" in cell.outputs[0]["data"]["text/html"]
    assert "VBox" not in str(cell.outputs) and "widgets" not in nb.metadata
    assert cell.source == "playground = Playground()\nplayground", "the NBVAL marker is dropped"


def test_widget_with_a_still_image_beside_it_shows_that_image_once():
    ext = _site_ext()
    still = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "STILL", "text/plain": "<Figure>"}}
    nb = ext.site_notebook(_widget_notebook([_view("box"), still], STATE), show_solutions=True)
    assert _kinds(nb.cells[0].outputs) == ["note", "image"]
    assert nb.cells[0].outputs[1]["data"]["image/png"] == "STILL"
    # ... or inside the widget's own output bundle
    nb = ext.site_notebook(_widget_notebook([_view("box", **{"image/png": "OWN"})], STATE), show_solutions=True)
    assert _kinds(nb.cells[0].outputs) == ["note", "image"]
    assert nb.cells[0].outputs[1]["data"] == {"image/png": "OWN"}


def test_widget_with_no_image_anywhere_gets_the_note_alone():
    ext = _site_ext()
    nb = ext.site_notebook(_widget_notebook([_view("missing")], {}), show_solutions=True)
    assert _kinds(nb.cells[0].outputs) == ["note"]
    assert "open the notebook in JupyterLab" in nb.cells[0].outputs[0]["data"]["text/html"]


def test_progress_bar_becomes_the_text_of_its_final_state():
    ext = _site_ext()
    nb = ext.site_notebook(_widget_notebook([_view("bar")], STATE), show_solutions=True)
    (out,) = nb.cells[0].outputs
    assert out["output_type"] == "stream" and out["name"] == "stdout"
    assert out["text"] == "epoch 3/3: 100%|██████████| 50/50 [00:01<00:00]\n"


def test_lessons_show_what_a_student_copy_shows_unless_asked():
    import nbformat
    ext = _site_ext()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
                nbformat.v4.new_code_cell("check(f)", outputs=[nbformat.v4.new_output("stream", text="PASS  f\n")]),
                nbformat.v4.new_code_cell("plot()", outputs=[nbformat.v4.new_output("stream", text="figure\n")])]
    hidden, check, figure = ext.site_notebook(nb).cells
    assert "return 2 * x" not in hidden.source and "raise NotImplementedError" in hidden.source
    assert check.outputs == [], "the check's verdict is the student's to see"
    assert figure.outputs[0]["text"] == "figure\n", "the other stored outputs stay"
    shown = ext.site_notebook(nb, show_solutions=True).cells
    assert "return 2 * x" in shown[0].source and shown[1].outputs[0]["text"] == "PASS  f\n"
    assert "### BEGIN SOLUTION" in nb.cells[0].source, "the notebook itself is not modified"
    answer = nbformat.v4.new_markdown_cell("**Answer 1.**\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION")
    nb.cells = [answer]
    assert "Because." not in ext.site_notebook(nb).cells[0].source
    assert ext.site_notebook(nb, show_solutions=True).cells[0].source == (
        "**Answer 1.**\n\n:::{admonition} Model answer\n:class: tip\nBecause.\n:::"), "instructors: a box"


def test_readme_sections_link_lessons_and_show_other_files_as_paths():
    ext = _site_ext()
    readme = ("# T\n\nIntro.\n\n## Notebooks\n\n<!-- command:x -->\n"
              "| [01_a](notebooks/01_a.ipynb) | [02_b](notebooks/02_b.ipynb) |\n"
              "See [benchmarks/README.md](benchmarks/README.md#speed), [the data](data/README.md) "
              "and [MNIST](https://example.org/mnist); [graders](#for-instructors), [promises](#what-we-promise)."
              "\n\n## Next\n\nmore\n")
    body = ext.readme_section(readme, "Notebooks", {"01_a"})
    assert "[01_a](lessons/01_a.ipynb)" in body and "| 02_b |" in body
    assert "`benchmarks/README.md`" in body and "the data (`data/README.md`)" in body
    assert "[MNIST](https://example.org/mnist)" in body and "<!--" not in body and "more" not in body
    assert "[graders](course.md#for-instructors), promises." in body, "README sections the site has, or words"
    assert ext.readme_intro(readme) == "Intro.\n"
    with pytest.raises(ValueError, match="no '## Missing' section"):
        ext.readme_section(readme, "Missing")
