"""Environment files in step: pyproject.toml (direct pins), requirements.lock, environment.yml,
and the notebooks' jupytext twins.

``pyproject.toml`` holds the direct pins; ``requirements.lock`` (``make lock``) every package
with its hashes, which ``make setup`` installs; ``environment.yml`` mirrors the pins for conda
users. Each ``notebooks/*.ipynb`` has a ``py:percent`` twin (``notebooks/*.py``) for review.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from analysis.core.paths import default_paths

ROOT = default_paths().root
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _pyproject_pins() -> dict[str, str]:
    data = _pyproject()
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dev"]
    return {_norm(r.split("==")[0]): r.split("==")[1].strip() for r in reqs}


def _norm(name: str) -> str:
    """PEP 503 name without extras (``dask[distributed]`` -> ``dask``)."""
    return re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", name).strip().lower())


def _lock() -> dict[str, tuple[str, int]]:
    """Package -> (version, number of hashes) from ``requirements.lock``."""
    out: dict[str, tuple[str, int]] = {}
    name = ""
    for line in (ROOT / "requirements.lock").read_text("utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ \\;]+)", line)
        if m:
            name = _norm(m.group(1))
            out[name] = (m.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, n = out[name]
            out[name] = (version, n + 1)
    return out


def test_every_pin_is_in_the_lock_at_the_same_version() -> None:
    lock = _lock()
    wrong = {
        k: (v, lock.get(k, ("absent", 0))[0])
        for k, v in _pyproject_pins().items()
        if lock.get(k, ("absent", 0))[0] != v
    }
    assert not wrong, (
        f"requirements.lock is out of step with pyproject.toml (pin, lock): {wrong}; "
        "run `make lock` and commit requirements.lock"
    )


def test_every_locked_package_has_a_hash() -> None:
    lock = _lock()
    assert len(lock) > len(_pyproject_pins())  # indirect packages are locked too
    assert not [k for k, (_, n) in lock.items() if n == 0]


def test_setup_installs_from_the_lock_with_hashes() -> None:
    script = (ROOT / "scripts" / "bootstrap.sh").read_text("utf-8")
    installs = [ln for ln in script.splitlines() if "pip install" in ln and not ln.lstrip().startswith("#")]
    assert any("--require-hashes -r requirements.lock" in ln for ln in installs), installs
    # Nothing else is resolved at install time: the project itself goes in without dependencies.
    assert all("--require-hashes" in ln or "--no-deps" in ln for ln in installs), installs


def test_environment_yml_in_step_with_pyproject() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_pins = {_norm(r.split("==")[0]): r.split("==")[1] for r in pip if "==" in r}
    assert conda_pins == _pyproject_pins()


def test_files_named_in_environment_yml_exist() -> None:
    text = (ROOT / "environment.yml").read_text("utf-8")
    named = re.findall(r"\b((?:tests|scripts|docs)/[\w./-]+\.\w+)", text)
    assert named and [n for n in named if not (ROOT / n).exists()] == []


def test_rpy2_pin_explained() -> None:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    assert '"rpy2==3.5.17"' in text
    assert "R_getVar" in text  # the reason sits next to the pin


# --- notebooks and their jupytext twins ------------------------------------------------------
def test_jupytext_pairing_is_configured() -> None:
    cfg = _pyproject()["tool"]["jupytext"]
    assert cfg["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_and_its_py_percent_twin_are_in_sync(notebook: Path) -> None:
    jupytext = pytest.importorskip("jupytext")
    from jupytext.config import load_jupytext_config

    twin = notebook.with_suffix(".py")
    rel_nb, rel_py = notebook.relative_to(ROOT), twin.relative_to(ROOT)
    fix = (
        f"run `.venv/bin/jupytext --sync {rel_nb}` from the project root (the newer of "
        f"{rel_nb.name} and {rel_py.name} wins), check the diff and commit both files"
    )
    assert twin.exists(), f"{rel_py} is missing: {fix}"
    config = load_jupytext_config(os.path.abspath(notebook))
    expected = jupytext.writes(jupytext.read(notebook, config=config), fmt="py:percent", config=config)
    assert twin.read_text("utf-8") == expected, f"{rel_py} is out of step with {rel_nb}: {fix}"


def test_every_py_twin_has_its_notebook() -> None:
    orphans = [p.name for p in (ROOT / "notebooks").glob("*.py") if not p.with_suffix(".ipynb").exists()]
    assert not orphans, f"notebooks/*.py without a notebook: {orphans}"
