"""pyproject.toml, environment.yml, README.md and .ci/run must tell the same story.

- every package (runtime and every extra) is in both pyproject.toml and
  environment.yml, with the same version bounds;
- the README's set-up and test commands are the ones .ci/run runs;
- every notebook in notebooks/ is in the README's table.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*?)\s*$")
_SPEC = re.compile(r"^(~=|===|==|!=|<=|>=|<|>|=)\s*([0-9][0-9A-Za-z.*+!-]*)$")


def parse_requirement(text: str) -> tuple[str, frozenset]:
    """``"numpy>=1.24; python_version<'3.11'"`` -> ``("numpy", {(">=", "1.24")})`` (markers dropped)."""
    text = text.split(";", 1)[0].split("#", 1)[0]
    match = _REQ.match(text)
    if not match:
        raise ValueError(f"cannot parse requirement {text!r}")
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    specs = set()
    for part in filter(None, (p.strip() for p in match.group(2).split(","))):
        spec = _SPEC.match(part)
        if not spec:
            raise ValueError(f"cannot parse version bound {part!r} of {text!r}")
        specs.add((spec.group(1), spec.group(2)))
    return name, frozenset(specs)


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def pyproject_requirements(project: dict) -> dict[str, frozenset]:
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    out: dict[str, frozenset] = {}
    for r in reqs:
        name, specs = parse_requirement(r)
        out[name] = out.get(name, frozenset()) | specs
    return out


def conda_requirements(env: dict) -> dict[str, frozenset]:
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, specs = parse_requirement(dep)
            out[name] = specs
    return out


def drift(pip_reqs: dict[str, frozenset], conda_reqs: dict[str, frozenset]) -> list[str]:
    """Every disagreement between the two lists (``python`` and ``pip`` are conda-only plumbing)."""
    conda_reqs = {k: v for k, v in conda_reqs.items() if k not in ("python", "pip")}
    problems = [f"{n} is in pyproject.toml but not in environment.yml"
                for n in sorted(set(pip_reqs) - set(conda_reqs))]
    problems += [f"{n} is in environment.yml but not in pyproject.toml"
                 for n in sorted(set(conda_reqs) - set(pip_reqs))]
    for name in sorted(set(pip_reqs) & set(conda_reqs)):
        if pip_reqs[name] != conda_reqs[name]:
            problems.append(f"{name}: pyproject.toml says {sorted(pip_reqs[name])}, "
                            f"environment.yml says {sorted(conda_reqs[name])}")
    return problems


def test_parse_requirement():
    assert parse_requirement("numpy>=1.24") == ("numpy", frozenset({(">=", "1.24")}))
    assert parse_requirement("tomli>=2.0; python_version < '3.11'") == ("tomli", frozenset({(">=", "2.0")}))
    assert parse_requirement("Pytest_Xdist >=3.3, <4") == ("pytest-xdist", frozenset({(">=", "3.3"), ("<", "4")}))
    assert parse_requirement("pip") == ("pip", frozenset())
    with pytest.raises(ValueError):
        parse_requirement("numpy>>1")


def test_drift_detector_catches_missing_and_conflicting_packages():
    pip_reqs = {"numpy": frozenset({(">=", "1.24")}), "tqdm": frozenset({(">=", "4.65")})}
    assert drift(pip_reqs, {"python": frozenset(), "numpy": frozenset({(">=", "1.24")}),
                            "tqdm": frozenset({(">=", "4.65")})}) == []
    assert drift(pip_reqs, {"numpy": frozenset({(">=", "1.24")})}) == [
        "tqdm is in pyproject.toml but not in environment.yml"]
    assert drift(pip_reqs, dict(pip_reqs, scipy=frozenset())) == [
        "scipy is in environment.yml but not in pyproject.toml"]
    assert drift(pip_reqs, dict(pip_reqs, numpy=frozenset({(">=", "2.0")})))[0].startswith("numpy: pyproject.toml says")


def test_environment_yml_matches_pyproject():
    problems = drift(pyproject_requirements(pyproject()["project"]), conda_requirements(environment()))
    assert problems == [], "pyproject.toml and environment.yml drifted apart:\n" + "\n".join(problems)


def test_python_versions_agree():
    requires = pyproject()["project"]["requires-python"]
    assert parse_requirement("python" + requires)[1] == conda_requirements(environment())["python"]


def test_environment_installs_project_with_all_extras():
    env = environment()
    assert env["name"] == "nnedu"
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert len(pip_sections) == 1 and "pip" in conda_requirements(env)
    extras = sorted(pyproject()["project"]["optional-dependencies"])
    assert pip_sections[0] == [f'-e ".[{",".join(extras)}]"']


def test_pytorch_is_never_a_runtime_dependency():
    project = pyproject()["project"]
    names = {parse_requirement(r)[0] for r in project["dependencies"]}
    assert not names & {"torch", "torchvision", "tensorflow", "jax", "autograd"}
    assert "nbval" in {parse_requirement(r)[0] for r in project["optional-dependencies"]["test"]}


def readme_commands() -> dict[str, str]:
    """The fenced line after each ``<!-- command:NAME -->`` marker in README.md."""
    text = (ROOT / "README.md").read_text()
    found = dict(re.findall(r"<!-- command:(\w+) -->\n```\w*\n(.+)\n```", text))
    assert set(found) == {"setup", "test"}, f"README.md command markers: {sorted(found)}"
    return found


def test_readme_two_commands():
    commands = readme_commands()
    extras = ",".join(sorted(pyproject()["project"]["optional-dependencies"]))
    assert commands["setup"] == (f'python3 -m venv .venv && .venv/bin/pip install -e ".[{extras}]" '
                                 f"&& .venv/bin/python -m nnedu exercises student notebooks/ my-course/ "
                                 f"&& .venv/bin/jupyter lab my-course/")
    assert "/my-course/" in (ROOT / ".gitignore").read_text().split()
    assert commands["test"].split()[0] == ".venv/bin/pytest"
    readme = (ROOT / "README.md").read_text()
    assert readme.index("command:setup") < readme.index("command:test") < readme.index("environment.yml")


def test_ci_runs_exactly_the_readme_commands():
    out = subprocess.run(["bash", str(ROOT / ".ci" / "run"), "--print-commands"], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    printed = dict(line.split(": ", 1) for line in out.splitlines())
    commands = readme_commands()
    assert printed["setup"] == commands["setup"]
    assert printed["test"] == commands["test"]
    assert printed["install"] == commands["setup"].split(" && .venv/bin/jupyter")[0]


def test_ci_script_essentials():
    script = (ROOT / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script
    assert "rm -rf .venv" in script and ".venv/bin/pip install torch==2.13.0" in script
    assert "apt-get install -y chromium" in script
    assert re.search(r"status -eq 5 \]\]; then\n(.*\n)*?\s*exit 1", script), "pytest exit 5 must fail CI"
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"


def test_pytest_configuration_runs_tests_and_notebooks():
    options = pyproject()["tool"]["pytest"]["ini_options"]
    assert options["testpaths"] == ["tests", "notebooks"]
    assert "--nbval" in options["addopts"]


def test_every_notebook_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    rows = set(re.findall(r"^\| \[(\d\d_\w+)\]\(notebooks/\1\.ipynb\) \|", readme, flags=re.M))
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert notebooks <= rows, f"notebooks missing from the README table: {sorted(notebooks - rows)}"
    assert {f"{i:02d}" for i in range(9)} <= {r[:2] for r in rows}
