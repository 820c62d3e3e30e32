"""What the notebooks must not do, checked on their text sources.

* No peeking at the test set: a value loaded from the MNIST *test* split is never given to anything
  that trains or steers training (``fit``, a training loop, a learning-rate search), and is never
  evaluated inside a training loop. The test set is used once, at the end.
* Heat maps carry their scale: a cell that draws an ``imshow``/``matshow``/``pcolormesh`` with a
  colour map other than a grey scale (a picture of a digit) also draws a colour bar.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STEMS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.md"))

#: Calls that train or steer training: test data must never reach them.
TRAINING_CALLS = {"fit", "train_one_epoch", "lr_range_test", "overfit_batch", "train", "step"}
#: Colour maps that show a picture (digits) rather than values: no colour bar needed.
PICTURE_CMAPS = {"gray", "gray_r", "binary", "binary_r", "Greys", "Greys_r"}


def _code(stem: str) -> list[str]:
    return [c.source for c in jupytext.read(NOTEBOOKS / f"{stem}.md").cells if c.cell_type == "code"]


def _parse(source: str) -> ast.Module | None:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _is_test_load(call: ast.AST) -> bool:
    if not isinstance(call, ast.Call):
        return False
    name = getattr(call.func, "id", getattr(call.func, "attr", ""))
    if name not in ("load_mnist", "load_fashion_mnist"):
        return False
    values = [a for a in call.args[:1]] + [k.value for k in call.keywords if k.arg == "split"]
    return any(isinstance(v, ast.Constant) and v.value == "test" for v in values)


def _test_names(trees: list[ast.Module]) -> set[str]:
    """Names bound (directly or by unpacking) to data loaded from the test split, and names like ``x_test``."""
    names = {n for tree in trees for n in _names_in(tree) if TEST_NAME.fullmatch(n)}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _is_test_load(node.value):
                for target in node.targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


#: Names and attributes that hold the test split by their name, e.g. ``x_test``, ``data.y_test``, ``test_x``.
TEST_NAME = re.compile(r"(?i)(x|y|images|labels|data)_?test|test_?(x|y|images|labels|data)")


def _names_in(node: ast.AST) -> set[str]:
    """Every name and attribute name used in ``node``."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
        {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def _call_name(call: ast.Call) -> str:
    return getattr(call.func, "id", getattr(call.func, "attr", ""))


def _peeks(tree: ast.Module, test: set[str]) -> list[str]:
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in TRAINING_CALLS:
            leaked = set().union(*(_names_in(a) for a in [*node.args, *[k.value for k in node.keywords]])) & test
            if leaked:
                problems.append(f"{_call_name(node)}(...) is given test data: {sorted(leaked)}")
        if isinstance(node, (ast.For, ast.While)):
            body = ast.Module(body=node.body, type_ignores=[])
            trains = any(isinstance(n, ast.Call) and _call_name(n) in TRAINING_CALLS for n in ast.walk(body))
            if trains and _names_in(body) & test:
                problems.append(f"a training loop (line {node.lineno}) looks at test data: "
                                f"{sorted(_names_in(body) & test)}")
    return problems


def test_test_names_are_found():
    trees = [ast.parse('x_test, y_test = load_mnist("test", normalize=True)\nz = load_mnist(split="test")')]
    assert _test_names(trees) == {"x_test", "y_test", "z"}
    assert _test_names([ast.parse("h = fit(m, c, o, tr, 5, val_loader=(data.x_test, data.y_test))")]) >= {"x_test"}
    loop = ast.parse("for e in range(3):\n    fit(m, c, o, tr, 1)\n    print(evaluate(m, x_test))")
    assert _peeks(loop, {"x_test"})
    assert _peeks(ast.parse("fit(m, c, o, tr, 5, val_loader=(x_test, y_test))"), {"x_test", "y_test"})
    assert not _peeks(ast.parse("fit(m, c, o, tr, 5, val_loader=(x_val, y_val))\nevaluate(m, x_test)"),
                      {"x_test"})


@pytest.mark.parametrize("stem", STEMS)
def test_no_notebook_trains_or_steers_on_test_data(stem):
    trees = [t for t in map(_parse, _code(stem)) if t is not None]
    test = _test_names(trees)
    problems = [p for tree in trees for p in _peeks(tree, test)]
    assert not problems, f"{stem}: " + "; ".join(problems)


def _heat_map_without_colour_bar(source: str) -> bool:
    if "colorbar" in source:
        return False
    for match in re.finditer(r"\b(imshow|matshow|pcolormesh)\(", source):
        call = source[match.end():match.end() + 300].split("\n)")[0]
        cmap = re.search(r"cmap\s*=\s*['\"]([\w]+)['\"]", call)
        if cmap is None or cmap.group(1) not in PICTURE_CMAPS:
            return True
    return False


def test_heat_map_rule():
    assert _heat_map_without_colour_bar("ax.imshow(fmap, cmap='viridis')")
    assert _heat_map_without_colour_bar("ax.imshow(fmap)")
    assert not _heat_map_without_colour_bar("ax.imshow(digit, cmap='gray_r')")
    assert not _heat_map_without_colour_bar("im = ax.imshow(fmap)\nfig.colorbar(im, ax=ax)")


@pytest.mark.parametrize("stem", STEMS)
def test_every_heat_map_has_a_colour_bar(stem):
    bad = [i for i, src in enumerate(_code(stem)) if _heat_map_without_colour_bar(src)]
    assert not bad, (f"{stem}: code cells {bad} draw a heat map (imshow with a colour map) without a colour bar; "
                     "add fig.colorbar(...) or use a grey-scale cmap for pictures of digits")
