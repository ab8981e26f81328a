"""Rebuild dependencies are derived from the code (issue 18 item 2).

Each test works on a temporary copy of the project (``src/``, ``notebooks/``, ``params/``,
``pyproject.toml``, ``data/reference/``), edits a module there that a step reaches only
through other modules, plans the build again and checks which steps re-run. Notebook
execution is replaced by a fake (no kernel, no R): these tests check the plan's inputs.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from analysis.core import deps
from analysis.core.paths import Paths, default_paths
from analysis.pipeline import run as run_mod
from analysis.pipeline import graph
from analysis.pipeline.build import ENTRIES, BuildConfig, plan
from analysis.pipeline.incremental import Runner, Step

ROOT = default_paths().root
CH1, CH2, CH3 = "01_planned_policy", "02_unplanned_seclusion", "03_change_across_measurements"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's code, notebooks, parameters and reference figures."""
    # Planning the ingest step digests the pseudonymisation key; the raw tree here is empty.
    monkeypatch.setenv("COMPENDIUM_PSEUDONYM_KEY", "test-key-for-planning-only-0123456789abcdef")
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("src", "notebooks", "params", "data/reference"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.fixture()
def fake_notebooks(monkeypatch: pytest.MonkeyPatch) -> None:
    def execute(source: Path, target: Path, params: dict, *, cwd: Path) -> float:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("{}")
        # the other single files the step table declares for this notebook (the planning CSVs)
        build = target.parent.parent
        rows = sorted(graph.STEPS, key=lambda r: "{" in r.name)  # a row of this very notebook first
        row = next(r for r in rows if r.name.format(notebook=source.stem) == f"notebook-{source.stem}")
        for out in row.outputs:
            if not out.family and out.base == "results":
                (build / "results" / out.pattern).parent.mkdir(parents=True, exist_ok=True)
                (build / "results" / out.pattern).write_text("x\n")
        return 0.0

    monkeypatch.setattr(run_mod, "execute", execute)


def _paths(project: Path) -> Paths:
    work = project.parent
    return Paths(
        project,
        build=work / "build",
        raw=work / "raw-empty",
        processed=work / "processed",
        output=work / "output",
    )


def _stages(project: Path) -> list[list[Step]]:
    cfg = BuildConfig(paths=_paths(project), synthetic=True, factsheets=False, model_set="primary")
    out = []
    for stage in plan(cfg):
        steps: list[Step] = []
        for factory in stage:
            made = factory()
            steps.extend(made if isinstance(made, list) else [made])
        out.append(steps)
    return out


def _notebook_steps(project: Path) -> list[Step]:
    return [s for stage in _stages(project) for s in stage if s.name.startswith("notebook-")]


def _direct_imports(notebook: Path) -> set[str]:
    return deps.imported_names(ast.parse(deps.notebook_source(notebook)))


def _indirect_only(project: Path, notebook: str, other: str) -> str:
    """A module the notebook's step reaches only through other modules, and ``other``'s does not."""
    src, nbs = project / "src", project / "notebooks"
    mine = set(deps.closure(ENTRIES["chapter"], [nbs / f"{notebook}.ipynb"], src))
    theirs = set(deps.closure(ENTRIES["chapter"], [nbs / f"{other}.ipynb"], src))
    direct = _direct_imports(nbs / f"{notebook}.ipynb") | set(ENTRIES["chapter"])
    # A leaf module (not a package __init__) that no direct import names.
    candidates = sorted(m for m in mine - theirs - direct if deps.module_path(m, src).name != "__init__.py")
    assert candidates, f"no module reached only indirectly by {notebook} and not by {other}"
    return candidates[0]


def _edit(project: Path, module: str) -> Path:
    path = deps.module_path(module, project / "src")
    assert path is not None
    path.write_text(path.read_text("utf-8") + "\n# edited by tests/test_deps.py\n", "utf-8")
    return path


def _reran(project: Path) -> set[str]:
    runner = Runner(_paths(project).state)
    return {r.name for r in (runner.run(s) for s in _notebook_steps(project)) if r.ran}


@pytest.mark.parametrize("notebook,other", [(CH2, CH3), (CH3, CH2)])
def test_editing_an_indirect_import_reruns_the_step(
    project: Path, fake_notebooks: None, notebook: str, other: str
) -> None:
    module = _indirect_only(project, notebook, other)
    assert module not in _direct_imports(project / "notebooks" / f"{notebook}.ipynb")
    first = _reran(project)
    assert f"notebook-{notebook}" in first and f"notebook-{other}" in first
    assert _reran(project) == set(), "a rebuild without changes re-ran steps"
    _edit(project, module)
    again = _reran(project)
    assert f"notebook-{notebook}" in again, f"editing {module} did not re-run {notebook}"
    assert f"notebook-{other}" not in again, f"editing {module} re-ran {other}, which never imports it"


def test_the_edited_module_changes_the_code_input_only(project: Path) -> None:
    module = _indirect_only(project, CH2, CH3)
    before = {s.name: dict(s.inputs) for s in _notebook_steps(project)}
    _edit(project, module)
    after = {s.name: dict(s.inputs) for s in _notebook_steps(project)}
    changed = {
        k for k in after[f"notebook-{CH2}"] if after[f"notebook-{CH2}"][k] != before[f"notebook-{CH2}"][k]
    }
    assert changed == {"code"}


def test_verification_steps_are_build_steps_with_declared_outputs(project: Path) -> None:
    stages = _stages(project)
    names = [[s.name for s in stage] for stage in stages]
    analysis = next(i for i, n in enumerate(names) if f"notebook-{CH2}" in n)
    assert {"calibration", "audit"} <= set(names[analysis])
    # The reproduction check reads every notebook's results: a stage of its own, just before render.
    assert names[-2:] == [["reproduction"], ["render"]] and len(names) - 2 > analysis
    p = _paths(project)
    by_name = {s.name: s for stage in stages for s in stage}
    assert by_name["reproduction"].outputs == [p.reproduction_check]
    assert by_name["audit"].outputs == [p.audit_findings]
    assert by_name["calibration"].outputs == [p.calibration_table]
    assert {"verify", "calibration"} <= set(by_name["render"].inputs)


def test_audit_and_reproduction_steps_write_what_render_reads(project: Path) -> None:
    from analysis.verify import audit, reproduction

    stages = _stages(project)
    by_name = {s.name: s for stage in stages for s in stage}
    render_before = by_name["render"].inputs["verify"]
    runner = Runner(_paths(project).state)
    assert runner.run(by_name["audit"]).ran and runner.run(by_name["reproduction"]).ran
    p = _paths(project)
    assert audit.read_result(p.audit_findings).checked
    assert len(reproduction.read_result(p.reproduction_check).table) > 0
    render_after = next(s for s in _stages(project)[-1] if s.name == "render").inputs["verify"]
    assert render_after != render_before, "render does not depend on the verification outputs"


def _verification_calls(source: str) -> set[str]:
    """Calls in ``source`` that run a check of :mod:`analysis.verify` (rather than read its output)."""
    computing = {"check", "compare", "audit", "audit_table", "calibration_table", "run_check"}
    tree = ast.parse(source)
    bare = {
        a.asname or a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("analysis.verify")
        for a in n.names
    }
    found = set()
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        if (
            isinstance(f, ast.Attribute)
            and f.attr in computing
            and isinstance(f.value, ast.Name)
            and f.value.id in {"reproduction", "audit", "calibration", "modelcheck"}
        ):
            found.add(f"{f.value.id}.{f.attr}")
        elif isinstance(f, ast.Name) and f.id in computing and f.id in bare:
            found.add(f.id)
    return found


def test_the_report_stage_computes_no_verification() -> None:
    # Rendering reads the verification steps' outputs; it must not run the checks itself.
    for path in sorted((ROOT / "src" / "analysis" / "report").rglob("*.py")):
        assert not _verification_calls(path.read_text("utf-8")), path.name


def test_the_verification_call_check_can_fail() -> None:
    old = (
        "from analysis.verify.reproduction import check\nfrom analysis.verify import audit\n"
        "def f(p):\n    return check(p), audit.audit(p)\n"
    )
    assert _verification_calls(old) == {"check", "audit.audit"}
