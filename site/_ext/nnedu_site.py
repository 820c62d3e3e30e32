"""The course website's own Sphinx extension: lessons and README sections as site pages.

Before Sphinx reads any page (``builder-inited``) it writes two generated folders
inside the site's source folder (both git-ignored, never edited by hand):

``lessons/``
    One copy of every executed ``notebooks/NN_name.ipynb`` (course order =
    numeric order; the paired ``NN_name.md`` text sources are never read, the
    site shows the stored outputs). Each copy is what a reader of the website
    should see:

    - what a student's copy shows (:func:`nnedu.exercises.student.make_student_notebook`):
      every reference solution replaced by ``raise NotImplementedError`` (model
      answers by ``YOUR ANSWER HERE``), the outputs of solution, check and
      answer cells cleared, every other stored output (figures, tables) kept;
      a notebook the generator refuses (a leaked solution) stops the build with
      its message. ``-D nnedu_show_solutions=1`` shows the instructor notebooks
      as they are, for instructors;
    - ``# NBVAL_...`` test markers removed from the code;
    - ipywidgets, which need a running kernel: a tqdm progress bar becomes the
      text of its final state; any other widget becomes one line saying that it
      is interactive in JupyterLab, followed by a still image of its figure
      (the image the cell stores beside the widget, else the figure saved in the
      widget's state). The widget's ``VBox(children=...)`` text never appears.

    A copy is rewritten only when its content changes, so Sphinx rebuilds only
    the lessons that changed.

``_readme/``
    Sections of the repository's README.md (the one source of those words),
    with links to notebooks pointing at the lesson pages and links to other
    repository files shown as paths. Pages include them with ``{include}``.
"""
from __future__ import annotations

import copy
import html
import os
import re
import tempfile
from pathlib import Path

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
LESSON_NAME = re.compile(r"^\d\d_\w+\.ipynb$")
NBVAL_MARKER = re.compile(r"^\s*#\s*NBVAL_[A-Z_]+\s*$")

#: README sections the site includes: section title -> (file in ``_readme/``, the page that includes it).
#: Links to one of these sections (``#for-instructors``) lead to that page.
README_SECTIONS = {
    "Two commands": ("setup.md", "index"),
    "Notebooks": ("notebooks.md", "index"),
    "For students": ("students.md", "course"),
    "For instructors": ("instructors.md", "course"),
    "Command line": ("command_line.md", "cli"),
    "Results": ("results.md", "results"),
    "Data": ("data.md", "data"),
}

WIDGET_NOTE = (
    '<p class="nnedu-widget-note"><strong>Interactive in JupyterLab.</strong> '
    "The widget of this cell (sliders, menus, buttons) needs a running notebook; "
    "{what}</p>"
)
NOTE_WITH_IMAGE = "the website shows a still image of its figure."
NOTE_WITHOUT_IMAGE = "open the notebook in JupyterLab to use it."


# --------------------------------------------------------------------------- lessons

def lesson_sources(notebooks: Path) -> list[Path]:
    """Every ``NN_name.ipynb`` in ``notebooks``, in course (numeric) order."""
    return sorted(p for p in notebooks.glob("*.ipynb") if LESSON_NAME.match(p.name))


def _widget_state(nb) -> dict:
    widgets = nb.metadata.get("widgets", {})
    return widgets.get(WIDGET_STATE, {}).get("state", {})


def _children(state: dict, model_id: str) -> list[str]:
    model = state.get(model_id, {}).get("state", {})
    return [c.replace("IPY_MODEL_", "") for c in model.get("children", []) if isinstance(c, str)]


def _progress_text(state: dict, model_id: str) -> str | None:
    """The final text of a tqdm progress bar (an HBox of HTML, *Progress, HTML), else ``None``."""
    kids = _children(state, model_id)
    names = [state.get(k, {}).get("model_name", "") for k in kids]
    if len(kids) != 3 or not names[1].endswith("ProgressModel") or {names[0], names[2]} != {"HTMLModel"}:
        return None
    left, bar, right = (state[k]["state"] for k in kids)
    fraction = bar.get("value", 0) / bar.get("max", 1) if bar.get("max") else 0.0
    filled = round(10 * min(max(fraction, 0.0), 1.0))
    text = f"{left.get('value', '')}|{'█' * filled}{' ' * (10 - filled)}|{right.get('value', '')}"
    return html.unescape(text).replace("\u2007", " ").strip()


def _state_images(state: dict, model_id: str) -> list[dict]:
    """Image outputs saved in the Output widgets inside the widget ``model_id``, outermost first."""
    images, stack, seen = [], [model_id], set()
    while stack:
        mid = stack.pop(0)
        if mid in seen or mid not in state:
            continue
        seen.add(mid)
        model = state[mid]
        if model.get("model_name") == "OutputModel":
            for out in model["state"].get("outputs", []):
                data = {k: v for k, v in out.get("data", {}).items() if k in IMAGE_TYPES}
                if data:
                    images.append(nbformat.v4.new_output("display_data", data=data))
        stack.extend(_children(state, mid))
    return images


def _note(with_image: bool):
    what = NOTE_WITH_IMAGE if with_image else NOTE_WITHOUT_IMAGE
    return nbformat.v4.new_output("display_data", data={"text/html": WIDGET_NOTE.format(what=what),
                                                        "text/plain": "Interactive in JupyterLab."})


def static_outputs(outputs: list, state: dict) -> list:
    """A cell's outputs with every widget view replaced by what a static page can show."""
    is_widget = [o.get("output_type") in ("display_data", "execute_result") and WIDGET_VIEW in o.get("data", {})
                 for o in outputs]
    if not any(is_widget):
        return outputs
    cell_has_image = any(not w and any(k in o.get("data", {}) for k in IMAGE_TYPES)
                         for o, w in zip(outputs, is_widget))
    new = []
    for out, widget in zip(outputs, is_widget):
        if not widget:
            new.append(out)
            continue
        model_id = out["data"][WIDGET_VIEW].get("model_id", "")
        progress = _progress_text(state, model_id)
        if progress is not None:
            new.append(nbformat.v4.new_output("stream", name="stdout", text=progress + "\n"))
            continue
        own = {k: v for k, v in out["data"].items() if k in IMAGE_TYPES}
        if own:
            new += [_note(True), nbformat.v4.new_output("display_data", data=own)]
        elif cell_has_image:
            new.append(_note(True))
        else:
            images = _state_images(state, model_id)
            new += [_note(bool(images))] + images
    return new


def model_answer_boxes(markdown: str) -> str:
    """A markdown cell's ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` blocks as "Model answer" boxes."""
    from nnedu.exercises.student import parse_marker
    lines = []
    for line in markdown.split("\n"):
        marker = parse_marker(line)
        lines += ([":::{admonition} Model answer", ":class: tip"] if marker == "begin" else
                  [":::"] if marker == "end" else [line])
    return "\n".join(lines)


def site_notebook(nb, show_solutions: bool = False, name: str = "notebook"):
    """What the website shows of the executed notebook ``nb`` (a new notebook; ``nb`` is not modified)."""
    if show_solutions:
        nb = copy.deepcopy(nb)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = model_answer_boxes(cell.source)
    else:
        from nnedu.exercises.student import StudentCopyError, make_student_notebook
        try:
            nb, _ = make_student_notebook(nb, clear="answers", name=name)
        except StudentCopyError as exc:
            raise RuntimeError(
                f"nnedu site: {name} is published as a student's copy shows it, and the student-copy "
                f"generator refuses it:\n{exc}\n(fix the notebook; an instructors' site with the solutions: "
                "sphinx-build -D nnedu_show_solutions=1 ...)") from exc
    state = _widget_state(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        cell.source = "\n".join(line for line in lines if not NBVAL_MARKER.match(line)).strip("\n")
        cell.outputs = static_outputs(cell.outputs, state)
    nb.metadata.pop("widgets", None)  # no widget manager is loaded (it would come from a CDN)
    return nb


def _write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` whole (temporary file + rename) unless it already holds it."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return True


def sync_lessons(notebooks: Path, lessons: Path, show_solutions: bool = False) -> list[Path]:
    """Write the site copy of every lesson of ``notebooks`` into ``lessons``; remove stale copies."""
    sources = lesson_sources(notebooks)
    if not sources:
        raise FileNotFoundError(f"nnedu site: no NN_name.ipynb lessons in {notebooks}")
    lessons.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        try:
            nb = nbformat.read(src, as_version=4)
        except Exception as exc:  # a broken notebook: name it
            raise RuntimeError(f"nnedu site: cannot read {src}: {exc}") from exc
        text = nbformat.writes(site_notebook(nb, show_solutions, name=src.name)) + "\n"
        _write_if_changed(lessons / src.name, text)
        written.append(lessons / src.name)
    keep = {p.name for p in sources}
    for old in lessons.glob("*.ipynb"):
        if old.name not in keep:
            old.unlink()
    return written


# --------------------------------------------------------------------------- README sections

_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")


def _slug(title: str) -> str:
    """GitHub's anchor of a heading: ``"For instructors"`` -> ``"for-instructors"``."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def _rewrite_link(match: re.Match, lessons: set[str]) -> str:
    text, target = match.groups()
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):
        return match.group(0)  # a URL
    if target.startswith("#"):  # a README section: its page on the site, or just the words
        pages = {_slug(title): page for title, (_, page) in README_SECTIONS.items()}
        page = pages.get(target[1:])
        return f"[{text}]({page}.md{target if page != 'index' else ''})" if page else text
    lesson = re.fullmatch(r"notebooks/(\d\d_\w+)\.ipynb", target)
    if lesson:  # a lesson page, or just its name if this build has no such lesson
        return f"[{text}](lessons/{lesson.group(1)}.ipynb)" if lesson.group(1) in lessons else text
    path = target.split("#", 1)[0]
    return f"`{path}`" if text.strip("`") == path else f"{text} (`{path}`)"


def readme_section(readme: str, title: str, lessons: set[str] = frozenset()) -> str:
    """The body of the ``## title`` section of ``readme`` (up to the next ``## `` heading).

    Links to ``notebooks/NN_name.ipynb`` point at the lesson page when ``NN_name``
    is in ``lessons`` (else they become plain text); links to a section of
    :data:`README_SECTIONS` point at the page that includes it (other sections:
    plain text); links to other repository files become their path.
    """
    match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", readme, flags=re.M | re.S)
    if not match:
        raise ValueError(f"nnedu site: README.md has no '## {title}' section (site/_ext/nnedu_site.py "
                         "README_SECTIONS lists the sections the site includes)")
    body = re.sub(r"^<!-- .*? -->\n", "", match.group(1), flags=re.M)
    return _LINK.sub(lambda m: _rewrite_link(m, set(lessons)), body).strip() + "\n"


def readme_intro(readme: str) -> str:
    """The README's text between its title and its first ``## `` section."""
    return readme.split("\n", 1)[1].split("\n## ", 1)[0].strip() + "\n"


def sync_readme(readme_path: Path, out: Path, lessons: set[str]) -> None:
    """Write the README sections of :data:`README_SECTIONS` (and its introduction) into ``out``."""
    readme = readme_path.read_text(encoding="utf-8")
    _write_if_changed(out / "intro.md", readme_intro(readme))
    for title, (name, _) in README_SECTIONS.items():
        _write_if_changed(out / name, readme_section(readme, title, lessons))


# --------------------------------------------------------------------------- Sphinx hooks

def _generate(app) -> None:
    src = Path(app.srcdir)
    repo = Path(app.config.nnedu_repository or src.parent).resolve()
    lessons = sync_lessons(repo / "notebooks", src / "lessons", bool(int(app.config.nnedu_show_solutions)))
    sync_readme(repo / "README.md", src / "_readme", {p.stem for p in lessons})


def setup(app):
    app.add_config_value("nnedu_repository", "", "env")
    app.add_config_value("nnedu_show_solutions", 0, "env")
    app.connect("builder-inited", _generate)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
