"""The conda environment file mirrors the pins of pyproject.toml."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names that differ from the PyPI names.
CONDA_TO_PYPI = {"pytorch": "torch"}


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    pins = {}
    for requirement in requirements:
        name, version = requirement.split("==")
        pins[_normalise(name)] = version
    return pins


def _conda_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for entry in env["dependencies"]:
        if not isinstance(entry, str) or "=" not in entry:
            continue
        name, version = entry.split("=", 1)
        pins[_normalise(CONDA_TO_PYPI.get(name, name))] = version
    return pins


def test_every_pyproject_requirement_is_an_exact_pin():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    loose = [r for r in project["dependencies"] if "==" not in r]
    assert not loose, f"unpinned requirements in pyproject.toml: {loose}"


def test_environment_yml_mirrors_pyproject():
    conda, pip = _conda_pins(), _pyproject_pins()
    python = conda.pop("python")
    differ = sorted(set(conda.items()) ^ set(pip.items()))
    assert not differ, f"environment.yml and pyproject.toml disagree on {differ}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={python}"
